#!/usr/bin/env bash
# OpenBLAS and molab's native CPU addon (native/, built by scripts/build-native.cjs). Idempotent: does nothing when
# the addon is built or MOLAB_NATIVE=0. On Debian/Ubuntu it installs libopenblas-dev with apt-get (root or sudo)
# when missing, then builds. `--pretest` (what `npm test` runs first): whatever cannot be done here is said in one
# line and the script exits 0; molab then runs on the wasm path and the native-path tests say what to install.
set -uo pipefail
cd "$(dirname "$0")/.."
PRETEST=0
[ "${1:-}" = "--pretest" ] && PRETEST=1
[ "${MOLAB_NATIVE:-}" = "0" ] && exit 0
# Built, and from the current sources (a checkout that changed native/ rebuilds it).
A=native/build/Release/molab_native.node
[ -f $A ] && [ $A -nt native/molab_native.cc ] && [ $A -nt native/binding.gyp ] && exit 0
if [ "$(uname)" = Linux ] && command -v apt-get >/dev/null 2>&1 && ! dpkg -s libopenblas-dev >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" != 0 ] && SUDO="sudo"
  if [ -z "$SUDO" ] || command -v sudo >/dev/null 2>&1; then
    echo "setup-native: installing libopenblas-dev"
    { $SUDO apt-get install -y -qq libopenblas-dev || { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq libopenblas-dev; }; } \
      >/dev/null 2>&1 || echo "setup-native: apt-get could not install libopenblas-dev; molab uses the wasm path" >&2
  fi
fi
node scripts/build-native.cjs
[ -f native/build/Release/molab_native.node ] || [ "$PRETEST" = 1 ] || exit 1
