# Cross-build the C library and its C tests for 64-bit ARM Linux (Raspberry Pi 3/4/5 on
# 64-bit Raspberry Pi OS) with Debian's cross compiler:
#   apt-get install gcc-aarch64-linux-gnu
#   cmake -S . -B build/aarch64 -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-aarch64.cmake
#   cmake --build build/aarch64 && (cd build/aarch64 && ctest)   # ctest runs them under qemu
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(EDGESTT_TRIPLET aarch64-linux-gnu)
set(EDGESTT_QEMU qemu-aarch64)
include("${CMAKE_CURRENT_LIST_DIR}/toolchain-linux-cross.cmake")
