#!/usr/bin/env bash
# The real Python clients the end-to-end tests drive (test/python/requirements.txt), in a virtual
# environment outside the repository, made once per requirements file and cached.
#
#   scripts/python-clients.sh ensure   make the environment if it is missing; print its python
#   scripts/python-clients.sh path     print where its python is (whether or not it exists)
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
REQ=$HERE/test/python/requirements.txt
KEY=$(sha256sum "$REQ" | cut -c1-12)
VENV=${XDG_CACHE_HOME:-$HOME/.cache}/drover/python-clients-$KEY
PY=$VENV/bin/python

case "${1:-}" in
  path) echo "$PY" ;;
  ensure)
    # The marker is written last: an interrupted install is never taken as done.
    if [[ ! -f $VENV/.complete ]]; then
      echo "python-clients: installing $(grep -v '^#' "$REQ" | xargs) into $VENV (once)" >&2
      rm -rf "$VENV"
      python3 -m venv "$VENV"
      "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REQ" >&2 || { rm -rf "$VENV"; exit 1; }
      touch "$VENV/.complete"
    fi
    echo "$PY"
    ;;
  *) echo "usage: $0 ensure|path" >&2; exit 2 ;;
esac
