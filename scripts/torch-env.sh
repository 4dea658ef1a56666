#!/usr/bin/env bash
# The `torch` environment the distributed-training examples and their end-to-end test use: a
# virtual environment outside the repository, made once and cached. The CPU-only wheel index is
# tried first (a few hundred MB); PyPI's default wheel pulls the CUDA libraries (several GB) and
# is the fallback when that index cannot be reached.
#
#   scripts/torch-env.sh ensure   make the environment if it is missing; print its python
#   scripts/torch-env.sh path     print where its python is (whether or not it exists)
set -euo pipefail
VENV=${DROVER_TORCH_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/drover/torch-venv}
PY=$VENV/bin/python

case "${1:-}" in
  path) echo "$PY" ;;
  ensure)
    # The marker is written last: an interrupted install is never taken as done.
    if [[ ! -f $VENV/.complete ]]; then
      echo "torch-env: installing torch (CPU) into $VENV (once)" >&2
      rm -rf "$VENV"
      python3 -m venv "$VENV"
      pip=("$VENV/bin/pip" install --quiet --disable-pip-version-check)
      if ! "${pip[@]}" torch --index-url https://download.pytorch.org/whl/cpu >&2; then
        echo "torch-env: the CPU wheel index failed; installing PyPI's torch (with CUDA libraries)" >&2
        "${pip[@]}" torch >&2 || { rm -rf "$VENV"; exit 1; }
      fi
      "$PY" -c 'import torch, torch.distributed as d; assert d.is_gloo_available()' >&2 || { rm -rf "$VENV"; exit 1; }
      touch "$VENV/.complete"
    fi
    echo "$PY"
    ;;
  *) echo "usage: $0 ensure|path" >&2; exit 2 ;;
esac
