#!/usr/bin/env bash
# Builds the Cortex-M4F image of one benchmark for QEMU's mps2-an386:
#   build.sh <kws01|vww01|ic01|ad01> <model.tflite> <out-dir>
# Prints the image and RAM sizes. Needs gcc-arm-none-eabi and libnewlib-arm-none-eabi.
set -euo pipefail
bench=$1 model=$2 out=$3
case $bench in kws01) id=0 ;; vww01) id=1 ;; ic01) id=2 ;; ad01) id=3 ;; *) echo "unknown benchmark $bench" >&2; exit 2 ;; esac
here=$(cd "$(dirname "$0")" && pwd)
fw=$(cd "$here/../.." && pwd)
mkdir -p "$out"
elf="$out/tiny-bench-$bench-mps2-an386.elf"
arm-none-eabi-gcc -std=c99 -O2 -Wall -Wextra -Werror \
  -mcpu=cortex-m4 -mthumb -mfpu=fpv4-sp-d16 -mfloat-abi=hard \
  -ffunction-sections -fdata-sections --specs=nano.specs --specs=nosys.specs -nostartfiles \
  -DTB_BENCH=$id -DEE_CMD_SIZE=1024 -DEE_CMD_MAX=1024 -DMODEL_FILE="\"$(cd "$(dirname "$model")" && pwd)/$(basename "$model")\"" \
  -T "$here/link.ld" -Wl,--gc-sections -Wl,-Map="$out/$bench.map" \
  -o "$elf" \
  "$here/startup.c" "$here/port.c" "$here/model.S" \
  "$fw/harness/ee_harness.c" "$fw/harness/tb_bench_io.c" "$fw"/engine/*.c "$fw"/engine/kernels/*.c -lm
arm-none-eabi-size "$elf" | awk -v b="$bench" 'NR==2 { printf "%s: image %d bytes (code+model %d, data %d), RAM %d bytes (data+bss)\n", b, $1+$2, $1, $2, $2+$3 }'
echo "$elf"
