#!/usr/bin/env bash
# A real S3-compatible server for Drover's tests and local trials: versitygw (Versity S3 Gateway)
# with its posix backend (buckets are directories, objects are files), built once from Go modules
# and cached outside the repository. It checks SigV4 signatures, so tests catch signing mistakes.
#
#   scripts/s3-server.sh ensure        build if missing; prints the binary's path
#   scripts/s3-server.sh path          prints the binary's path; fails if it is not built
#   scripts/s3-server.sh start [PORT]  runs it on 127.0.0.1 (default port 9000); prints the endpoint
#   scripts/s3-server.sh stop
#
# start uses $DROVER_S3_DIR (default ~/.local/state/drover/s3) for data, pid and log, creates the
# bucket $DROVER_S3_BUCKET (default drover), and takes keys from $DROVER_S3_ACCESS_KEY and
# $DROVER_S3_SECRET_KEY (defaults drover / drover-secret).
set -euo pipefail

VERSION=v1.8.0
MODULE=github.com/versity/versitygw/cmd/versitygw
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/drover/s3/versitygw-$VERSION
BIN=$CACHE/bin/versitygw
RUN_DIR=${DROVER_S3_DIR:-$HOME/.local/state/drover/s3}
BUCKET=${DROVER_S3_BUCKET:-drover}
ACCESS_KEY=${DROVER_S3_ACCESS_KEY:-drover}
SECRET_KEY=${DROVER_S3_SECRET_KEY:-drover-secret}

ensure() {
  if [[ -x $BIN ]]; then echo "$BIN"; return; fi
  command -v go >/dev/null || { echo "s3-server: Go is needed to build versitygw $VERSION" >&2; exit 1; }
  echo "s3-server: building versitygw $VERSION (once; cached in $CACHE)" >&2
  mkdir -p "$CACHE"
  local tmp start
  tmp=$(mktemp -d "$CACHE/build.XXXXXX")
  start=$SECONDS
  # Installed to a temp dir and moved into place, so an interrupted build is never taken as done.
  if ! GOBIN=$tmp GOFLAGS="${GOFLAGS:-} -trimpath" go install "$MODULE@$VERSION" >&2; then
    rm -rf "$tmp"
    echo "s3-server: building versitygw $VERSION failed" >&2
    exit 1
  fi
  mkdir -p "$CACHE/bin"
  mv -f "$tmp/versitygw" "$BIN"
  rm -rf "$tmp"
  echo "s3-server: built in $((SECONDS - start))s" >&2
  echo "$BIN"
}

running_pid() {
  local pid
  [[ -f $RUN_DIR/pid ]] || return 1
  pid=$(<"$RUN_DIR/pid")
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

start() {
  local port=${1:-9000} pid
  ensure >/dev/null
  if pid=$(running_pid); then
    echo "s3-server: already running (pid $pid); stop it first" >&2
    exit 1
  fi
  mkdir -p "$RUN_DIR/data/$BUCKET"
  ROOT_ACCESS_KEY_ID=$ACCESS_KEY ROOT_SECRET_ACCESS_KEY=$SECRET_KEY \
    nohup "$BIN" --port "127.0.0.1:$port" --quiet posix "$RUN_DIR/data" >"$RUN_DIR/log" 2>&1 &
  echo $! >"$RUN_DIR/pid"
  for _ in $(seq 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "http://127.0.0.1:$port"
      echo "s3-server: bucket $BUCKET, access key $ACCESS_KEY; data in $RUN_DIR/data" >&2
      return
    fi
    kill -0 "$!" 2>/dev/null || break
    sleep 0.1
  done
  echo "s3-server: did not start; log:" >&2
  cat "$RUN_DIR/log" >&2
  exit 1
}

stop() {
  local pid
  if ! pid=$(running_pid); then echo "s3-server: not running" >&2; return; fi
  kill "$pid"
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$RUN_DIR/pid"
}

case ${1:-} in
  ensure) ensure ;;
  path) [[ -x $BIN ]] || { echo "s3-server: versitygw $VERSION is not built; run: bash scripts/s3-server.sh ensure" >&2; exit 1; }; echo "$BIN" ;;
  start) start "${2:-}" ;;
  stop) stop ;;
  *) echo "usage: $0 ensure|path|start [PORT]|stop" >&2; exit 2 ;;
esac
