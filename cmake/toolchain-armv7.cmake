# Cross-build the C library and its C tests for 32-bit ARMv7 hard-float Linux (Raspberry Pi 2/3/4/5 and
# Zero 2 on 32-bit Raspberry Pi OS) with Debian's cross compiler:
#   apt-get install gcc-arm-linux-gnueabihf
#   cmake -S . -B build/armv7 -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-armv7.cmake
#   cmake --build build/armv7 && (cd build/armv7 && ctest)   # ctest runs them under qemu
# Override the compiler prefix with -DEDGESTT_CROSS_PREFIX=... (e.g. another vendor's triplet).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR armv7l)

set(EDGESTT_CROSS_PREFIX "arm-linux-gnueabihf-" CACHE STRING "Cross compiler prefix")
set(CMAKE_C_COMPILER "${EDGESTT_CROSS_PREFIX}gcc")

# Look for libraries and headers in the target's tree only, programs on the host.
set(CMAKE_FIND_ROOT_PATH /usr/arm-linux-gnueabihf)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# ctest runs the cross-built test executables through qemu (qemu-user-static), with the
# cross toolchain's libc as the ELF interpreter's root: no binfmt_misc registration needed.
# Point EDGESTT_QEMU_ROOT at a target root file system (e.g. a debootstrap) to use its libc.
set(EDGESTT_QEMU_ROOT "/usr/arm-linux-gnueabihf" CACHE PATH "Root (-L) for qemu-arm")
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-arm-static -L "${EDGESTT_QEMU_ROOT}")
