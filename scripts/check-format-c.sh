#!/usr/bin/env bash
# Checks that the firmware's C sources follow .clang-format (Debian's clang-format 14, installed by
# scripts/install-toolchain.sh). Lists the files that differ and exits 1; with --fix rewrites them.
#   scripts/check-format-c.sh [--fix]
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || { echo "clang-format is missing: run scripts/install-toolchain.sh" >&2; exit 2; }
mapfile -t files < <(git ls-files 'firmware/*.c' 'firmware/*.h')
if [ "${1:-}" = "--fix" ]; then
  clang-format -i --style=file "${files[@]}"
  echo "formatted ${#files[@]} C files"
  exit 0
fi
bad=()
for f in "${files[@]}"; do
  clang-format --dry-run --Werror --style=file "$f" >/dev/null 2>&1 || bad+=("$f")
done
if [ ${#bad[@]} -gt 0 ]; then
  printf 'not formatted: %s\n' "${bad[@]}" >&2
  echo "${#bad[@]} of ${#files[@]} C files differ from .clang-format; run scripts/check-format-c.sh --fix" >&2
  exit 1
fi
echo "C format: ${#files[@]} files follow .clang-format"
