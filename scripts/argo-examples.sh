#!/usr/bin/env bash
# Argo Workflows' own examples/ directory, for test/argo-examples.e2e.test.ts: taken from the
# argo-workflows Go module (the Go module proxy serves its source zip) and cached outside the
# repository; nothing of it is copied into Drover. Same version as scripts/argo-cli.sh.
#
#   scripts/argo-examples.sh ensure   fetch them if missing; print the examples directory
#   scripts/argo-examples.sh path     print where they are (whether or not they exist)
set -euo pipefail
VERSION=v4.0.5
MODULE=github.com/argoproj/argo-workflows/v4
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/drover/argo-examples/$VERSION
DIR=$CACHE/examples

case "${1:-}" in
  path) echo "$DIR" ;;
  ensure)
    if [[ ! -f $DIR/hello-world.yaml ]]; then
      echo "argo-examples: fetching $MODULE@$VERSION's examples (once; cached in $CACHE)" >&2
      work=$(mktemp -d)
      trap 'rm -rf "$work"' EXIT
      # `go mod download -json` prints the module's directory in the module cache (Dir).
      src=$(cd "$work" && go mod init argo-examples >/dev/null 2>&1 && go mod download -json "$MODULE@$VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
      [[ -n $src && -d $src/examples ]] || { echo "argo-examples: $MODULE@$VERSION has no examples/ (Dir: '$src')" >&2; exit 1; }
      mkdir -p "$CACHE"
      rm -rf "$DIR.tmp"
      cp -r "$src/examples" "$DIR.tmp"
      # The module cache is read-only; the copy is the cache's to remove later.
      chmod -R u+w,a+rX "$DIR.tmp"
      rm -rf "$DIR"
      mv "$DIR.tmp" "$DIR"
    fi
    echo "$DIR"
    ;;
  *) echo "usage: $0 ensure|path" >&2; exit 2 ;;
esac
