#!/usr/bin/env bash
# Runs tiny-bench on one labgrid place: acquire it, run against its NetworkSerialPort, release it.
#   PLACE=my-board SERIAL_URL=rfc2217://exporter-host:4001 examples/labgrid/run-tiny-bench.sh [tiny-bench run options]
# SERIAL_URL comes from `labgrid-client -v resources` (host, port, protocol of the place's
# NetworkSerialPort: protocol rfc2217 -> rfc2217://host:port, raw -> tcp://host:port).
# Not tried on a real labgrid coordinator.
set -euo pipefail
: "${PLACE:?set PLACE to the labgrid place}"
: "${SERIAL_URL:?set SERIAL_URL, e.g. rfc2217://exporter-host:4001 (see labgrid-client -v resources)}"
labgrid-client -p "$PLACE" acquire
trap 'labgrid-client -p "$PLACE" release' EXIT
labgrid-client -p "$PLACE" show
npx tiny-bench run --port "$SERIAL_URL" "$@"
