// emscripten --js-library: the UART imports the wasm port calls. The host
// installs the handlers on the module object before booting.
mergeInto(LibraryManager.library, {
  js_uart_tx: function (ptr, len) {
    Module.onUartTx(HEAPU8.slice(ptr, ptr + len));
  },
  js_timestamp_edge: function (timeUs) {
    Module.onTimestampEdge(timeUs);
  },
  js_uart_baud: function (rate) {
    if (Module.onUartBaud) Module.onUartBaud(rate);
  },
  js_baud_window: function (ms) {
    if (Module.onBaudWindow) Module.onBaudWindow(ms);
  },
  js_wall_ms: function () {
    return performance.now();
  },
});
