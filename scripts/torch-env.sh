#!/usr/bin/env bash
# The `torch` environment the distributed-training examples and their end-to-end test use: a
# virtual environment outside the repository, made once and cached. Pods run as uid 65534, so
# the environment and the interpreter it is built on must be readable by everyone: it is built
# on the system's /usr/bin/python3 (not a per-user pyenv) and lives in /var/cache/drover when that
# is writable, else in the user's cache (then the pods need that directory to be reachable too).
# The CPU-only wheel index is tried first (a few hundred MB); PyPI's default wheel pulls the CUDA
# libraries (several GB) and is the fallback when that index cannot be reached.
#
#   scripts/torch-env.sh ensure   make the environment if it is missing; print its python
#   scripts/torch-env.sh path     print where its python is (whether or not it exists)
set -euo pipefail
if [[ -n ${DROVER_TORCH_VENV:-} ]]; then
  VENV=$DROVER_TORCH_VENV
elif mkdir -p /var/cache/drover 2>/dev/null && [[ -w /var/cache/drover ]]; then
  VENV=/var/cache/drover/torch-venv
else
  VENV=${XDG_CACHE_HOME:-$HOME/.cache}/drover/torch-venv
fi
PY=$VENV/bin/python
BASE=/usr/bin/python3
[[ -x $BASE ]] || BASE=$(command -v python3)

case "${1:-}" in
  path) echo "$PY" ;;
  ensure)
    # The marker is written last: an interrupted install is never taken as done.
    if [[ ! -f $VENV/.complete ]]; then
      echo "torch-env: installing torch (CPU) into $VENV (once)" >&2
      rm -rf "$VENV"
      "$BASE" -m venv "$VENV"
      pip=("$VENV/bin/pip" install --quiet --disable-pip-version-check)
      if ! "${pip[@]}" torch numpy --index-url https://download.pytorch.org/whl/cpu >&2; then
        echo "torch-env: the CPU wheel index failed; installing PyPI's torch (with CUDA libraries)" >&2
        "${pip[@]}" torch numpy >&2 || { rm -rf "$VENV"; exit 1; }
      fi
      "$PY" -c 'import torch, torch.distributed as d; assert d.is_gloo_available()' >&2 || { rm -rf "$VENV"; exit 1; }
      chmod -R a+rX "$VENV"
      touch "$VENV/.complete"
    fi
    echo "$PY"
    ;;
  *) echo "usage: $0 ensure|path" >&2; exit 2 ;;
esac
