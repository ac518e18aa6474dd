# Cross-build the C library and its C tests for 64-bit ARM Linux (Raspberry Pi 3/4/5 on
# 64-bit Raspberry Pi OS) with Debian's cross compiler:
#   apt-get install gcc-aarch64-linux-gnu
#   cmake -S . -B build/aarch64 -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-aarch64.cmake
#   cmake --build build/aarch64 && (cd build/aarch64 && ctest)   # ctest runs them under qemu
# Override the compiler prefix with -DEDGESTT_CROSS_PREFIX=... (e.g. another vendor's triplet).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(EDGESTT_CROSS_PREFIX "aarch64-linux-gnu-" CACHE STRING "Cross compiler prefix")
set(CMAKE_C_COMPILER "${EDGESTT_CROSS_PREFIX}gcc")

# Look for libraries and headers in the target's tree only, programs on the host.
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# ctest runs the cross-built test executables through qemu (qemu-user-static), with the
# cross toolchain's libc as the ELF interpreter's root: no binfmt_misc registration needed.
# Point EDGESTT_QEMU_ROOT at a target root file system (e.g. a debootstrap) to use its libc.
set(EDGESTT_QEMU_ROOT "/usr/aarch64-linux-gnu" CACHE PATH "Root (-L) for qemu-aarch64")
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64-static -L "${EDGESTT_QEMU_ROOT}")
