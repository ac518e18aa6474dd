# Cross-build the C library and its C tests for 32-bit ARMv7 hard-float Linux (Raspberry Pi 2/3/4/5 and
# Zero 2 on 32-bit Raspberry Pi OS) with Debian's cross compiler:
#   apt-get install gcc-arm-linux-gnueabihf
#   cmake -S . -B build/armv7 -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-armv7.cmake
#   cmake --build build/armv7 && (cd build/armv7 && ctest)   # ctest runs them under qemu
set(CMAKE_SYSTEM_PROCESSOR armv7l)
set(EDGESTT_TRIPLET arm-linux-gnueabihf)
set(EDGESTT_QEMU qemu-arm)
include("${CMAKE_CURRENT_LIST_DIR}/toolchain-linux-cross.cmake")
