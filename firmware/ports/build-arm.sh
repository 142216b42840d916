#!/usr/bin/env bash
# Builds the Cortex-M4F image of one benchmark for one port:
#   build-arm.sh <mps2-an386|stm32f4> <benchmark id> <model.tflite> <out-dir> [extra gcc flags...]
# Sources, flags, benchmark ids and arena sizes come from firmware/build.json (one description for
# every build). The model is linked in (common/model.S). Writes <out-dir>/tiny-bench-<bench>-<port>.elf
# and .bin, prints the image and RAM sizes, then the ELF path. An image too big for the port's
# memory fails with one line naming the region and the shortfall.
# Needs Debian's gcc-arm-none-eabi and libnewlib-arm-none-eabi, and node (to read build.json).
set -euo pipefail
port=$1 bench=$2 model=$3 out=$4
shift 4
here=$(cd "$(dirname "$0")" && pwd)
fw=$(cd "$here/.." && pwd)
config="$fw/tools/build-config.mjs"
# Benchmark index (tb_bench_id), tensor arena (the planner's need plus slack; too small fails at
# boot with a message) and input buffer (the harness advertises it in m-db-buffer-[N]).
bench_txt=$(node "$config" bench "$bench")
read -r id arena _ input_buffer <<<"$bench_txt"
flags_txt=$(node "$config" flags arm)
sources_txt=$(node "$config" port-sources "$port")
sources_txt+=$'\n'$(node "$config" sources)
mapfile -t flags <<<"$flags_txt"
mapfile -t sources <<<"$sources_txt"
mkdir -p "$out"
model_abs="$(cd "$(dirname "$model")" && pwd)/$(basename "$model")"
elf="$out/tiny-bench-$bench-$port.elf"
log="$out/link-errors.txt"
if ! arm-none-eabi-gcc "${flags[@]}" \
  --specs=nano.specs --specs=nosys.specs -nostartfiles \
  -DTB_BENCH="$id" -DTB_ARENA_SIZE="$arena" -DEE_DB_MAX="$input_buffer" -DMODEL_FILE="\"$model_abs\"" "$@" \
  -T "$here/$port/link.ld" -Wl,--gc-sections -Wl,-Map="$out/$bench.map" \
  -o "$elf" \
  "${sources[@]/#/$fw/}" -lm 2>"$log"; then
  # The linker names each overflowing region; say it in the port's terms, first line first.
  sed -n "s/.*region \`\([A-Za-z]*\)' overflowed by \([0-9]*\) bytes.*/\1 \2/p" "$log" | while read -r region bytes; do
    size=$(sed -n "s/^ *$region *([a-z]*) *:.*LENGTH *= *\([0-9]*[KM]\).*/\1/p" "$here/$port/link.ld")
    echo "$bench needs $bytes bytes more $region than the $port port has (its $region is ${size%[KM]} ${size: -1}B): it does not fit this part" |
      sed 's/ FLASH / flash /g' >&2
  done
  cat "$log" >&2
  exit 1
fi
cat "$log" >&2
rm -f "$log"
# A raw image for flashing (st-flash write <bin> 0x08000000, or copy it to a NUCLEO's USB drive).
arm-none-eabi-objcopy -O binary "$elf" "${elf%.elf}.bin"
arm-none-eabi-size -A "$elf" | awk -v b="$bench" -v p="$port" '
  $1 ~ /^\.(text|ARM\.exidx)$/ { flash += $2 }
  $1 == ".data" { flash += $2; ram += $2 }
  $1 ~ /^\.(bss|ccm)$/ { ram += $2 }
  END { printf "%s on %s: image %d bytes (code + model), RAM %d bytes\n", b, p, flash, ram }'
echo "$elf"
