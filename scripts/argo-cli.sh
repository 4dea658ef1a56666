#!/usr/bin/env bash
# The real `argo` CLI for the Argo Server API tests, built once from its Go module and cached
# outside the repository. The module's UI package embeds a built web app that the module does
# not ship; a placeholder page stands in for it (the CLI never serves it).
#
#   scripts/argo-cli.sh ensure   build it if it is missing; print its path
#   scripts/argo-cli.sh path     print where it is (whether or not it exists)
set -euo pipefail
VERSION=v4.0.5 # the newest the Go module proxy serves here (v3 is not served)
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/drover/argo/$VERSION
BIN=$CACHE/bin/argo

case "${1:-}" in
  path) echo "$BIN" ;;
  ensure)
    if [[ ! -x $BIN ]]; then
      echo "argo-cli: building argo $VERSION from Go modules (once; cached in $CACHE)" >&2
      work=$(mktemp -d)
      trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
      (cd "$work" && go mod init argo-build >/dev/null 2>&1 && go mod download -x "github.com/argoproj/argo-workflows/v4@$VERSION" >/dev/null 2>&1)
      src=$(cd "$work" && go list -m -f '{{.Dir}}' "github.com/argoproj/argo-workflows/v4@$VERSION" 2>/dev/null || true)
      [[ -n $src && -d $src ]] || src=$(go env GOMODCACHE)/github.com/argoproj/argo-workflows/v4@$VERSION
      cp -r "$src" "$work/src" && chmod -R u+w "$work/src"
      mkdir -p "$work/src/ui/dist/app" && echo '<!-- no UI in this build -->' > "$work/src/ui/dist/app/index.html"
      mkdir -p "$CACHE/bin"
      (cd "$work/src" && go build -o "$BIN.tmp" ./cmd/argo) >&2
      mv "$BIN.tmp" "$BIN"
    fi
    echo "$BIN"
    ;;
  *) echo "usage: $0 ensure|path" >&2; exit 2 ;;
esac
