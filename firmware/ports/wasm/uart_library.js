// emscripten --js-library: the two imports the wasm port calls. The host
// installs the handlers on the module object before booting.
mergeInto(LibraryManager.library, {
  js_uart_tx: function (ptr, len) {
    Module.onUartTx(HEAPU8.slice(ptr, ptr + len));
  },
  js_timestamp_edge: function (timeUs) {
    Module.onTimestampEdge(timeUs);
  },
});
