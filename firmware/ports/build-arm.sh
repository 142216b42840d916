#!/usr/bin/env bash
# Builds the Cortex-M4F image of one benchmark for one port:
#   build-arm.sh <mps2-an386|stm32f4> <kws01|vww01|ic01|ad01|sww01> <model.tflite> <out-dir> [extra gcc flags...]
# The model is linked in (common/model.S). Writes <out-dir>/tiny-bench-<bench>-<port>.elf and .bin,
# prints the image and RAM sizes, then the ELF path.
# Needs Debian's gcc-arm-none-eabi and libnewlib-arm-none-eabi.
set -euo pipefail
port=$1 bench=$2 model=$3 out=$4
shift 4
# Benchmark id and tensor arena (the planner's need plus slack; too small fails at boot with a message).
case $bench in
  kws01) id=0 arena=20480 ;;
  vww01) id=1 arena=86016 ;;
  ic01) id=2 arena=55296 ;;
  ad01) id=3 arena=4096 ;;
  sww01) id=4 arena=12288 ;;
  *) echo "unknown benchmark $bench" >&2; exit 2 ;;
esac
here=$(cd "$(dirname "$0")" && pwd)
fw=$(cd "$here/.." && pwd)
[ -f "$here/$port/port.c" ] || { echo "unknown port $port" >&2; exit 2; }
mkdir -p "$out"
model_abs="$(cd "$(dirname "$model")" && pwd)/$(basename "$model")"
elf="$out/tiny-bench-$bench-$port.elf"
# Sizes for small MCUs: the engine's tables are capped to what the four
# reference models need (vww01: 89 tensors, 31 ops, 2737 multipliers; checked at
# load time, with an error naming the limit).
arm-none-eabi-gcc -std=c99 -O2 -Wall -Wextra -Werror \
  -mcpu=cortex-m4 -mthumb -mfpu=fpv4-sp-d16 -mfloat-abi=hard \
  -ffunction-sections -fdata-sections --specs=nano.specs --specs=nosys.specs -nostartfiles \
  -DTB_BENCH=$id -DTB_ARENA_SIZE=$arena -DEE_CMD_SIZE=1024 -DEE_CMD_MAX=1024 \
  -DTB_MAX_TENSORS=96 -DTB_MAX_OPS=40 -DTB_MAX_CHANNEL_PARAMS=2816 -DTB_MAX_SCRATCH=512 \
  -DMODEL_FILE="\"$model_abs\"" "$@" \
  -T "$here/$port/link.ld" -Wl,--gc-sections -Wl,-Map="$out/$bench.map" \
  -o "$elf" \
  "$here/$port/startup.c" "$here/$port/port.c" "$here/common/mcu.c" "$here/common/mcu_sww.c" "$here/common/model.S" \
  "$fw/harness/ee_harness.c" "$fw/harness/tb_bench_io.c" "$fw/harness/tb_sww.c" "$fw"/dsp/*.c "$fw"/engine/*.c "$fw"/engine/kernels/*.c -lm
# A raw image for flashing (st-flash write <bin> 0x08000000, or copy it to a NUCLEO's USB drive).
arm-none-eabi-objcopy -O binary "$elf" "${elf%.elf}.bin"
arm-none-eabi-size -A "$elf" | awk -v b="$bench" -v p="$port" '
  $1 ~ /^\.(text|ARM\.exidx)$/ { flash += $2 }
  $1 == ".data" { flash += $2; ram += $2 }
  $1 ~ /^\.(bss|ccm)$/ { ram += $2 }
  END { printf "%s on %s: image %d bytes (code + model), RAM %d bytes\n", b, p, flash, ram }'
echo "$elf"
