// Loads LiteRT.js (@litertjs/core, XNNPACK in WebAssembly) in Node for speed
// comparisons. The package targets browsers and workers: it loads its
// emscripten glue with importScripts() into `self`, fetches the .wasm by URL,
// and its tensor types know float32/int32/uint8 but not int8. So: `self` and
// importScripts are provided (the glue runs in this context), the .wasm bytes
// are handed to the glue directly, and a copy of the package entry with an
// int8 row in its type table is imported. Speed peer only: LiteRT's int8
// arithmetic is not TFLite Micro's (outputs differ by a few LSB).
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import vm from 'node:vm';

const require = createRequire(import.meta.url);

/**
 * LiteRT's native log (INFO/WARNING lines of its C++ runtime) and its failed
 * WebGPU probe (an error with a stack trace: Node has no navigator) go to
 * stderr from glue that bound console.error when it loaded, so they are
 * dropped at process.stderr, by pattern, for the rest of the run; the count is
 * kept for the bench to mention.
 */
let hiddenLogLines = 0;
const LITERT_LOG = /^(INFO|WARNING): (\[[\w.]+:\d+\]|Created TensorFlow Lite)|^Failed to create default WebGPU device/;
function hideLiteRtLog() {
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = (chunk, ...rest) => {
    if (LITERT_LOG.test(String(chunk))) {
      hiddenLogLines++;
      return true;
    }
    return write(chunk, ...rest);
  };
}
export const liteRtLogLinesHidden = () => hiddenLogLines;

export async function loadLiteRtForNode() {
  hideLiteRtLog();
  const coreEntry = require.resolve('@litertjs/core');
  const coreDir = dirname(dirname(coreEntry));
  const utilsEntry = require.resolve('@litertjs/wasm-utils');
  const source = readFileSync(coreEntry, 'utf8');
  const table = 'var DATATYPES = Object.freeze([';
  if (!source.includes(table)) throw new Error(`@litertjs/core: its type table was not found in ${coreEntry}; the int8 patch needs updating`);
  const patched = source
    .replace(table, `${table}\n  { dtype: "int8", typedArrayConstructor: Int8Array, elementType: ElementType.INT8 },`)
    .replace('from "@litertjs/wasm-utils"', `from ${JSON.stringify(pathToFileURL(utilsEntry).href)}`);
  const patchedPath = join(tmpdir(), 'tiny-bench-litert-core-int8.mjs');
  writeFileSync(patchedPath, patched);

  globalThis.self ??= globalThis;
  // The glue is a UMD script that, seeing Node, reads its .wasm with require('node:fs')
  // beside __dirname: run it as CommonJS and publish its factory where the loader looks.
  globalThis.importScripts = (url) => {
    const path = url.startsWith('file:') ? new URL(url).pathname : url;
    const wrapped = vm.runInThisContext(`(function (require, module, exports, __dirname, __filename) {${readFileSync(path, 'utf8')}\n})`, { filename: path });
    const module = { exports: {} };
    wrapped(require, module, module.exports, dirname(path), path);
    globalThis.ModuleFactory = module.exports;
  };
  const core = await import(pathToFileURL(patchedPath).href);
  const wasmDir = join(coreDir, 'wasm');
  await core.loadLiteRt(`${wasmDir}/`);
  return core;
}
