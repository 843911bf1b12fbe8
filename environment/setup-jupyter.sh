#!/usr/bin/env bash
# Jupyter + the tslab kernel for molab's notebooks. Idempotent: safe to run again.
#   - Jupyter from Debian/Ubuntu packages when `jupyter nbconvert` is missing and apt-get is usable
#     (root or sudo); otherwise use environment.yml (conda) or `pip install notebook nbconvert`.
#   - `--pretest` (what `npm test` runs first): when Jupyter cannot be installed here, say so in one line
#     and exit 0, so the unit tests still run and the notebook tests fail with the same hint.
#   - The kernel spec points at this checkout's own tslab binary (node_modules/.bin/tslab),
#     so it needs no global install.
set -euo pipefail
export PYDEVD_DISABLE_FILE_VALIDATION=1
cd "$(dirname "$0")/.."
ROOT="$PWD"
PRETEST=0
[ "${1:-}" = "--pretest" ] && PRETEST=1
cannot() {
  echo "setup-jupyter: $1" >&2
  [ "$PRETEST" = 1 ] && exit 0
  exit 1
}

have_nbconvert() { command -v jupyter >/dev/null 2>&1 && jupyter nbconvert --version >/dev/null 2>&1; }

if ! have_nbconvert; then
  SUDO=""
  if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
  if command -v apt-get >/dev/null 2>&1 && { [ -z "$SUDO" ] || command -v sudo >/dev/null 2>&1; }; then
    PKGS="jupyter-nbconvert python3-nbclient jupyter-client python3-ipykernel jupyter-notebook"
    echo "setup-jupyter: installing $PKGS"
    $SUDO apt-get install -y --no-install-recommends $PKGS >/dev/null 2>&1 || {
      $SUDO apt-get update >/dev/null 2>&1 && $SUDO apt-get install -y --no-install-recommends $PKGS >/dev/null 2>&1
    } || cannot "apt-get could not install $PKGS: install Jupyter with conda (environment/environment.yml) or pip, then npm test again"
  else
    cannot "cannot install Jupyter here (no apt-get, or not root and no sudo): run 'conda env create -f environment/environment.yml && conda activate molab' (or 'pip install notebook nbconvert'), then npm test again"
  fi
fi

if [ ! -x "$ROOT/node_modules/.bin/tslab" ]; then
  cannot "node_modules/.bin/tslab missing; run 'npm ci' first"
fi

# The kernel launcher must run under the Python that has jupyter_client (Debian's is /usr/bin/python3).
JUPYTER_PY="$(head -1 "$(command -v jupyter)" | sed -n 's/^#! *//p' | awk '{print $1}')"
PY="${JUPYTER_PY:-python3}"
case "$PY" in */env) PY="python3" ;; esac
# Re-install the kernel spec only when it does not point at this checkout's tslab.
SPEC_DIR="$(jupyter kernelspec list 2>/dev/null | awk '$1=="tslab"{print $2}')"
# (the whole quoted path: /x/work/main/... must not pass for /work/main/...)
if [ -z "$SPEC_DIR" ] || ! grep -qsF "\"$ROOT/node_modules/.bin/tslab\"" "$SPEC_DIR/kernel.json"; then
  "$ROOT/node_modules/.bin/tslab" install --python="$PY" --binary="$ROOT/node_modules/.bin/tslab" >/dev/null
fi
jupyter kernelspec list 2>/dev/null | grep '^ *tslab ' >/dev/null || cannot "the tslab kernel spec did not install (jupyter kernelspec list does not show tslab)"
echo "setup-jupyter: ready ($(jupyter nbconvert --version | head -1) nbconvert; kernel tslab -> $ROOT/node_modules/.bin/tslab)"
