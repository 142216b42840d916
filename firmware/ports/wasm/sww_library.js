// emscripten --js-library: the streaming-wakeword pins (wasm_sww.c). The host
// installs onSwwPin on the module object before booting.
mergeInto(LibraryManager.library, {
  js_sww_pin: function (pin, level, timeUs) {
    if (Module.onSwwPin) Module.onSwwPin(pin, level, timeUs);
  },
});
