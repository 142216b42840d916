#!/usr/bin/env bash
# Installs the Debian packages the tests need: a C compiler for the native
# engine and sanitizer builds, emscripten for the WebAssembly DUT, the Arm
# toolchain and QEMU for the Cortex-M DUT, socat to bridge QEMU's UART to a pty,
# ser2net to export a pty over RFC 2217 and raw TCP (the network-link tests),
# Chromium for the report's browser test, clang-format for the C style check.
# Safe to re-run: does nothing when everything is present. Needs root (or sudo).
set -euo pipefail
packages=(gcc libc6-dev emscripten gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm socat ser2net chromium clang-format)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "toolchain: all packages present"
  exit 0
fi
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "toolchain: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "toolchain: installed"
