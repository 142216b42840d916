#!/usr/bin/env bash
# Builds the virtual DUT (firmware/ports/wasm/dist/tiny_dut.cjs) with Debian's emscripten.
# The output is committed so `npm ci` needs no C toolchain; CI rebuilds it and
# fails if the committed file differs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
fw=$(cd "$here/../.." && pwd)
out=${1:-$here/dist/tiny_dut.cjs}
mkdir -p "$(dirname "$out")"
# Debian's emscripten 3.1.6 needs its node modules for -O1 and above.
export NODE_PATH=${NODE_PATH:-/usr/share/nodejs}
# A private cache: the system one is read-only, and a fresh one keeps builds reproducible.
export EM_CACHE=${EM_CACHE:-${TMPDIR:-/tmp}/tiny-bench-emcache}
if [ ! -d "$EM_CACHE" ]; then cp -r /usr/share/emscripten/cache "$EM_CACHE" 2>/dev/null || mkdir -p "$EM_CACHE"; fi
cd "$fw"
emcc -std=c99 -O2 -msimd128 -Wall -Wextra \
  ports/wasm/wasm_port.c harness/ee_harness.c harness/tb_bench_io.c engine/*.c engine/kernels/*.c \
  --js-library ports/wasm/uart_library.js \
  -sMODULARIZE=1 -sEXPORT_NAME=createTinyDut -sSINGLE_FILE=1 -sENVIRONMENT=node \
  -sINITIAL_MEMORY=4194304 -sALLOW_MEMORY_GROWTH=0 -sTOTAL_STACK=262144 \
  -sNODEJS_CATCH_EXIT=0 -sNODEJS_CATCH_REJECTION=0 \
  -sEXPORTED_RUNTIME_METHODS='["HEAPU8","HEAP8","UTF8ToString"]' \
  -sINCOMING_MODULE_JS_API='["onUartTx","onTimestampEdge","print","printErr"]' \
  -o "$out"
echo "built $out ($(wc -c < "$out") bytes)"
