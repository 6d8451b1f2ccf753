# Cross build for Cortex-M4 with Debian's gcc-arm-none-eabi and newlib-nano:
#   cmake -S . -B build-mcu -DCMAKE_TOOLCHAIN_FILE=cmake/arm-none-eabi.cmake
# gives libe4's core with the portable crypto backend (E4_CRYPTO=portable,
# E4_HOSTED=OFF) and the test firmware of tests/mcu (run by
# scripts/mcu-test.sh under qemu-system-arm -M mps2-an386).
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_ASM_COMPILER arm-none-eabi-gcc)
set(CMAKE_AR arm-none-eabi-ar)
set(CMAKE_RANLIB arm-none-eabi-ranlib)
set(CMAKE_SIZE arm-none-eabi-size)
# No host linker run for the compiler checks (there is no startup code yet).
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

# Soft float: libe4 has no floating point, and the firmware runs on any M4.
set(E4_MCU_FLAGS "-mcpu=cortex-m4 -mthumb -mfloat-abi=soft")
set(CMAKE_C_FLAGS_INIT "${E4_MCU_FLAGS} -ffunction-sections -fdata-sections")
set(CMAKE_EXE_LINKER_FLAGS_INIT "${E4_MCU_FLAGS} -Wl,--gc-sections --specs=nano.specs")
# -Os for every build type: size is the point on a device.
set(CMAKE_C_FLAGS_RELEASE_INIT "-Os")
set(CMAKE_C_FLAGS_MINSIZEREL_INIT "-Os")
set(CMAKE_C_FLAGS_RELWITHDEBINFO_INIT "-Os -g")
set(CMAKE_C_FLAGS_DEBUG_INIT "-Os -g")

set(E4_CRYPTO portable CACHE STRING "libe4 crypto backend" FORCE)
set(E4_HOSTED OFF CACHE BOOL "no OS on the device" FORCE)

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
