# Shared body of the ARM Linux toolchain files (toolchain-aarch64.cmake, toolchain-armv7.cmake),
# which set before including it:
#   CMAKE_SYSTEM_PROCESSOR, EDGESTT_TRIPLET (Debian's cross triplet), EDGESTT_QEMU (qemu-user binary).
# Override the compiler prefix with -DEDGESTT_CROSS_PREFIX=... (e.g. another vendor's triplet).
set(CMAKE_SYSTEM_NAME Linux)

set(EDGESTT_CROSS_PREFIX "${EDGESTT_TRIPLET}-" CACHE STRING "Cross compiler prefix")
set(CMAKE_C_COMPILER "${EDGESTT_CROSS_PREFIX}gcc")

# Look for libraries and headers in the target's tree only, programs on the host.
set(CMAKE_FIND_ROOT_PATH "/usr/${EDGESTT_TRIPLET}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# ctest runs the cross-built test executables through qemu (qemu-user-static), with the
# cross toolchain's libc as the ELF interpreter's root: no binfmt_misc registration needed.
# Point EDGESTT_QEMU_ROOT at a target root file system (e.g. a debootstrap) to use its libc.
set(EDGESTT_QEMU_ROOT "/usr/${EDGESTT_TRIPLET}" CACHE PATH "Root (-L) for ${EDGESTT_QEMU}")
set(CMAKE_CROSSCOMPILING_EMULATOR "${EDGESTT_QEMU}-static" -L "${EDGESTT_QEMU_ROOT}")
