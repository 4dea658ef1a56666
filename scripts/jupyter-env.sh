#!/usr/bin/env bash
# The `jupyter` environment Notebooks with a JupyterLab image run in (see "Notebooks" in
# ARCHITECTURE.md: an image whose name says jupyter runs JupyterLab from here). A virtual
# environment outside the repository with `jupyterlab` (and `ipykernel`, which it pulls in) from
# PyPI, made once and cached, with the Kubernetes Python client (pinned as test/python's), so code in
# a notebook can submit Jobs, Workflows and Experiments with load_incluster_config(). Pods run as uid 65534, so it is built on the system's
# /usr/bin/python3 and made readable by everyone; it lives in /var/cache/drover when that is
# writable, else in the user's cache (then pods need that directory to be reachable too).
#
#   scripts/jupyter-env.sh ensure   make the environment if it is missing; print its directory
#   scripts/jupyter-env.sh path     print its directory (whether or not it exists)
set -euo pipefail
if [[ -n ${DROVER_JUPYTER_VENV:-} ]]; then
  VENV=$DROVER_JUPYTER_VENV
elif mkdir -p /var/cache/drover 2>/dev/null && [[ -w /var/cache/drover ]]; then
  VENV=/var/cache/drover/jupyter-venv
else
  VENV=${XDG_CACHE_HOME:-$HOME/.cache}/drover/jupyter-venv
fi
BASE=/usr/bin/python3
KUBE_CLIENT=$(grep -E '^kubernetes==' "$(dirname "$0")/../test/python/requirements.txt" || echo kubernetes)
[[ -x $BASE ]] || BASE=$(command -v python3)

case "${1:-}" in
  path) echo "$VENV" ;;
  ensure)
    # The marker is written last: an interrupted install is never taken as done.
    if [[ ! -f $VENV/.complete ]]; then
      echo "jupyter-env: installing jupyterlab into $VENV (once)" >&2
      rm -rf "$VENV"
      "$BASE" -m venv "$VENV"
      "$VENV/bin/pip" install --quiet --disable-pip-version-check jupyterlab "$KUBE_CLIENT" >&2 || { rm -rf "$VENV"; exit 1; }
      "$VENV/bin/jupyter" lab --version >/dev/null || { rm -rf "$VENV"; exit 1; }
      "$VENV/bin/python" -c 'import ipykernel' || { rm -rf "$VENV"; exit 1; }
      chmod -R a+rX "$VENV"
      touch "$VENV/.complete"
    elif ! "$VENV/bin/python" -c 'import kubernetes' 2>/dev/null; then
      # Made before the client was part of it: added in place.
      echo "jupyter-env: adding $KUBE_CLIENT to $VENV" >&2
      "$VENV/bin/pip" install --quiet --disable-pip-version-check "$KUBE_CLIENT" >&2
      chmod -R a+rX "$VENV"
    fi
    echo "$VENV"
    ;;
  *) echo "usage: $0 ensure|path" >&2; exit 2 ;;
esac
