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
# Sources and flags come from firmware/build.json, the one description every build reads.
flags_txt=$(node "$fw/tools/build-config.mjs" flags wasm)
sources_txt=$(node "$fw/tools/build-config.mjs" port-sources wasm)
sources_txt+=$'\n'$(node "$fw/tools/build-config.mjs" sources)
mapfile -t flags <<<"$flags_txt"
mapfile -t sources <<<"$sources_txt"
cd "$fw"
emcc "${flags[@]}" \
  "${sources[@]}" \
  --js-library ports/wasm/uart_library.js --js-library ports/wasm/sww_library.js \
  -sMODULARIZE=1 -sEXPORT_NAME=createTinyDut -sSINGLE_FILE=1 -sENVIRONMENT=node \
  -sINITIAL_MEMORY=4194304 -sALLOW_MEMORY_GROWTH=0 -sTOTAL_STACK=262144 \
  -sNODEJS_CATCH_EXIT=0 -sNODEJS_CATCH_REJECTION=0 \
  -sEXPORTED_RUNTIME_METHODS='["HEAPU8","HEAP8","UTF8ToString"]' \
  -sINCOMING_MODULE_JS_API='["onUartTx","onTimestampEdge","onSwwPin","onUartBaud","onBaudWindow","print","printErr"]' \
  -o "$out"
echo "built $out ($(wc -c < "$out") bytes)"
