#!/usr/bin/env bash
# A private Kubernetes control plane for Drover's Kubernetes-runtime tests: real kube-apiserver,
# kube-controller-manager, kube-scheduler and etcd, built once from Go modules and cached outside
# the repository, with fake nodes run by kwok (no kubelet, no containers: kwok moves pods through
# their phases by Stages, see scripts/test-cluster/stages.yaml).
#
#   scripts/test-cluster.sh build    build what is missing (cached in ~/.cache/drover/k8s/<version>)
#   scripts/test-cluster.sh up       build, start on loopback, register the nodes, print
#                                    `export KUBECONFIG=PATH` as the last line (idempotent)
#   scripts/test-cluster.sh down     stop everything (the state directory is removed)
#   scripts/test-cluster.sh status   say what runs; exit 1 when the cluster is not up
#   scripts/test-cluster.sh nodes N  add N more fake nodes (bench-0…, role=bench, 4 CPUs, 16Gi)
#   scripts/test-cluster.sh restart-apiserver   kill -9 kube-apiserver and start it again
#   scripts/test-cluster.sh kubectl-path        where the real kubectl the API tests drive is (built with the rest)
#
# State (certificates, kubeconfigs, etcd data, logs, pids) lives in $DROVER_TEST_CLUSTER_DIR
# (default ~/.local/state/drover/test-cluster). The apiserver listens on 127.0.0.1:$DROVER_TEST_CLUSTER_PORT
# (default 6443) with TLS, RBAC and a static admin token.
set -euo pipefail

K8S_VERSION=v1.35.4
ETCD_VERSION=v3.6.16
KWOK_VERSION=v0.8.0
STAGING_VERSION=v0.${K8S_VERSION#v1.}
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/drover/k8s/$K8S_VERSION
BIN=$CACHE/bin
HERE=$(cd "$(dirname "$0")" && pwd)
STATE=${DROVER_TEST_CLUSTER_DIR:-$HOME/.local/state/drover/test-cluster}
PORT=${DROVER_TEST_CLUSTER_PORT:-6443}
ETCD_PORT=${DROVER_TEST_CLUSTER_ETCD_PORT:-2479}
KWOK_PORT=${DROVER_TEST_CLUSTER_KWOK_PORT:-10247}
# kubectl is no part of the control plane: it is the real client the API tests drive.
COMPONENTS=(kube-apiserver kube-controller-manager kube-scheduler kubectl)

log() { echo "test-cluster: $*" >&2; }
die() { log "$*"; exit 1; }

goproxy() { local p; p=$(go env GOPROXY); p=${p%%,*}; [[ $p == direct || $p == off ]] && p=https://proxy.golang.org; echo "$p"; }

# Builds into a temp dir and moves into place, so an interrupted build is never taken as done.
build_kubernetes() {
  local missing=() c
  for c in "${COMPONENTS[@]}"; do [[ -x $BIN/$c ]] || missing+=("$c"); done
  ((${#missing[@]})) || return 0
  log "building ${missing[*]} $K8S_VERSION from Go modules (once; cached in $CACHE)"
  local mod=$CACHE/src/kubernetes start=$SECONDS
  mkdir -p "$mod" "$BIN"
  # k8s.io/kubernetes points its staging modules at ./staging; a module that requires it must
  # replace each one with its published version. The list comes from upstream's own go.mod.
  {
    echo "module drover.dev/test-cluster/kubernetes"
    echo
    echo "go 1.24"
    echo
    echo "require k8s.io/kubernetes $K8S_VERSION"
    echo
    echo "replace ("
    curl -fsS "$(goproxy)/k8s.io/kubernetes/@v/$K8S_VERSION.mod" |
      sed -n 's#^\s*\(k8s.io/[a-z0-9-]*\) => ./staging/src/.*#\t\1 => \1 '"$STAGING_VERSION"'#p'
    echo ")"
  } >"$mod/go.mod"
  grep -q 'k8s.io/api =>' "$mod/go.mod" || die "could not read the staging modules of k8s.io/kubernetes $K8S_VERSION"
  (cd "$mod" && GOFLAGS=-mod=mod go get "k8s.io/kubernetes/cmd/kube-apiserver@$K8S_VERSION" >&2)
  local tmp; tmp=$(mktemp -d "$CACHE/build.XXXXXX")
  # The version the binaries report (kubectl refuses to run without one), set as upstream's build does.
  local minor=${K8S_VERSION#v1.} ldflags="-s" pkg
  minor=${minor%%.*}
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
  done
  for c in "${missing[@]}"; do
    (cd "$mod" && GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -ldflags="$ldflags" -o "$tmp/$c" "k8s.io/kubernetes/cmd/$c" >&2) ||
      { rm -rf "$tmp"; die "building $c failed"; }
    mv -f "$tmp/$c" "$BIN/$c"
    log "built $c ($((SECONDS - start))s so far)"
  done
  rm -rf "$tmp"
}

build_etcd() {
  [[ -x $BIN/etcd ]] && return 0
  log "building etcd $ETCD_VERSION from Go modules (once)"
  local mod=$CACHE/src/etcd
  mkdir -p "$mod" "$BIN"
  cat >"$mod/main.go" <<'EOF'
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
EOF
  printf 'module drover.dev/test-cluster/etcd\n\ngo 1.24\n' >"$mod/go.mod"
  (cd "$mod" && go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >&2 && go mod tidy >&2 &&
    CGO_ENABLED=0 go build -trimpath -ldflags=-s -o "$BIN/etcd.tmp" . >&2) || die "building etcd failed"
  mv -f "$BIN/etcd.tmp" "$BIN/etcd"
}

build_kwok() {
  [[ -x $BIN/kwok ]] && return 0
  log "building kwok $KWOK_VERSION (once)"
  local tmp; tmp=$(mktemp -d "$CACHE/build.XXXXXX")
  GOBIN=$tmp CGO_ENABLED=0 go install -trimpath "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" >&2 || { rm -rf "$tmp"; die "building kwok failed"; }
  mv -f "$tmp/kwok" "$BIN/kwok"
  rm -rf "$tmp"
}

build() {
  command -v go >/dev/null || die "Go is needed to build the test control plane"
  local start=$SECONDS
  build_etcd
  build_kwok
  build_kubernetes
  log "binaries ready in $BIN ($((SECONDS - start))s)"
}

# A killed component nobody reaps stays a zombie, which kill -0 still finds: read its state.
running() {
  local pid
  [[ -f $STATE/$1.pid ]] || return 1
  pid=$(<"$STATE/$1.pid")
  kill -0 "$pid" 2>/dev/null && [[ $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) != Z ]]
}

# Starts one component in the background with its own log and pid file, unless it already runs.
launch() {
  local name=$1; shift
  running "$name" && return 0
  setsid "$@" >"$STATE/$name.log" 2>&1 </dev/null &
  echo $! >"$STATE/$name.pid"
}

api() { # api METHOD PATH [JSON]: the apiserver as admin
  local args=(-fsS --cacert "$STATE/pki/ca.crt" -H "Authorization: Bearer $(<"$STATE/admin-token")" -X "$1")
  [[ $# -ge 3 ]] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
  curl "${args[@]}" "https://127.0.0.1:$PORT$2"
}

# Creates an object unless it exists (409 is fine): `up` can be run again.
ensure_object() {
  local code
  code=$(curl -sS -o "$STATE/last-response.json" -w '%{http_code}' --cacert "$STATE/pki/ca.crt" \
    -H "Authorization: Bearer $(<"$STATE/admin-token")" -H 'Content-Type: application/json' \
    -X POST --data-binary "$2" "https://127.0.0.1:$PORT$1")
  [[ $code == 201 || $code == 409 ]] || die "POST $1 answered $code: $(cat "$STATE/last-response.json")"
}

wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...
  local deadline=$((SECONDS + $1)) what=$2; shift 2
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || die "$what did not come up in time; see the logs in $STATE"
    sleep 0.2
  done
}

pki() {
  [[ -f $STATE/pki/apiserver.crt ]] && return 0
  local d=$STATE/pki
  mkdir -p "$d"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=drover-test-ca \
    -keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj /CN=kube-apiserver -keyout "$d/apiserver.key" -out "$d/apiserver.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc\n' >"$d/san.ext"
  openssl x509 -req -in "$d/apiserver.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial -days 3650 \
    -extfile "$d/san.ext" -out "$d/apiserver.crt" 2>/dev/null
  openssl genrsa -out "$d/sa.key" 2048 2>/dev/null
  openssl rsa -in "$d/sa.key" -pubout -out "$d/sa.pub" 2>/dev/null
  head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$STATE/admin-token"
  echo "$(<"$STATE/admin-token"),drover-admin,drover-admin,system:masters" >"$d/tokens.csv"
}

kubeconfig() { # kubeconfig FILE USER TOKEN [NAMESPACE]
  cat >"$1" <<YAML
apiVersion: v1
kind: Config
clusters:
- name: drover-test
  cluster:
    server: https://127.0.0.1:$PORT
    certificate-authority: $STATE/pki/ca.crt
users:
- name: $2
  user:
    token: $3
contexts:
- name: drover-test
  context: {cluster: drover-test, user: $2, namespace: ${4:-default}}
current-context: drover-test
YAML
}

# Every container of every pod "logs" the same lines (CRI format), served by kwok through pods/log,
# so log streaming is tested through the real apiserver.
container_logs() {
  cat >"$STATE/container.log" <<'LOG'
2026-01-01T00:00:00.000000000Z stdout F epoch=1 loss=0.9000
2026-01-01T00:00:00.100000000Z stdout F epoch=2 loss=0.4000
2026-01-01T00:00:00.200000000Z stdout F accuracy=0.9100
LOG
  cat >"$STATE/kwok-logs.yaml" <<YAML
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterLogs
metadata: {name: drover-test-logs}
spec:
  logs:
  - logsFile: $STATE/container.log
    follow: false
YAML
}

node_json() { # node_json NAME ROLE CPU MEMORY [GPUS]
  local gpu=${5:-0} extra=''
  ((gpu > 0)) && extra=",\"nvidia.com/gpu\":\"$gpu\""
  local res="{\"cpu\":\"$3\",\"memory\":\"$4\",\"pods\":\"110\"$extra}"
  echo "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"$1\",\"annotations\":{\"kwok.x-k8s.io/node\":\"fake\"},\"labels\":{\"role\":\"$2\",\"type\":\"kwok\",\"kubernetes.io/hostname\":\"$1\",\"kubernetes.io/os\":\"linux\"}},\"status\":{\"capacity\":$res,\"allocatable\":$res}}"
}

add_nodes() { # add_nodes COUNT: generic nodes for load tests (role=bench, 4 CPUs each)
  local i
  for ((i = 0; i < $1; i++)); do ensure_object /api/v1/nodes "$(node_json "bench-$i" bench 4 16Gi)"; done
}

start_apiserver() {
  local d=$STATE/pki
  launch kube-apiserver "$BIN/kube-apiserver" --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$PORT" \
    --tls-cert-file "$d/apiserver.crt" --tls-private-key-file "$d/apiserver.key" --client-ca-file "$d/ca.crt" \
    --token-auth-file "$d/tokens.csv" --authorization-mode RBAC \
    --service-account-issuer https://kubernetes.default.svc --service-account-key-file "$d/sa.pub" \
    --service-account-signing-key-file "$d/sa.key" --service-cluster-ip-range 10.0.0.0/24 \
    --allow-privileged=true --max-requests-inflight 1000 --max-mutating-requests-inflight 500 \
    --kubelet-preferred-address-types InternalIP
}

# Kills kube-apiserver (as a crash would) and starts it again, for tests of clients that must
# survive it. Returns once the whole cluster works again: a probe pod is scheduled and finishes
# (kube-scheduler and kwok reconnect with their own back-off).
restart_apiserver() {
  running kube-apiserver || die "the test cluster is not up"
  local pid probe=restart-probe-$RANDOM
  pid=$(<"$STATE/kube-apiserver.pid")
  kill -9 "$pid"
  # The leader thread turns zombie before its siblings let go of the socket: wait for the port.
  for _ in $(seq 100); do port_open "$PORT" || break; sleep 0.1; done
  rm -f "$STATE/kube-apiserver.pid"
  start_apiserver
  wait_for 90 kube-apiserver api GET /readyz
  # A fresh namespace gets its ServiceAccount from kube-controller-manager, its pod a node from
  # kube-scheduler and an end from kwok: all three are back.
  ensure_object /api/v1/namespaces "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"$probe\"}}"
  wait_for 180 'the ServiceAccount controller after the restart' api GET "/api/v1/namespaces/$probe/serviceaccounts/default"
  ensure_object "/api/v1/namespaces/$probe/pods" "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"probe\",\"annotations\":{\"kwok.drover.dev/run-for\":\"0s\"}},\"spec\":{\"restartPolicy\":\"Never\",\"containers\":[{\"name\":\"probe\",\"image\":\"none\"}]}}"
  wait_for 180 'a probe pod after the restart' probe_done "$probe"
  api DELETE "/api/v1/namespaces/$probe" >/dev/null
  log "kube-apiserver restarted; the controllers, the scheduler and kwok work again"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

probe_done() { api GET "/api/v1/namespaces/$1/pods/probe" | tr -d ' \n' | grep -q '"phase":"Succeeded"'; }

up() {
  build
  mkdir -p "$STATE"
  pki
  kubeconfig "$STATE/admin.kubeconfig" drover-admin "$(<"$STATE/admin-token")"
  local d=$STATE/pki
  launch etcd "$BIN/etcd" --name test --data-dir "$STATE/etcd" --unsafe-no-fsync \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" --initial-advertise-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" \
    --initial-cluster "test=http://127.0.0.1:$((ETCD_PORT + 1))"
  wait_for 30 etcd curl -fsS "http://127.0.0.1:$ETCD_PORT/health"
  start_apiserver
  wait_for 90 kube-apiserver api GET /readyz
  launch kube-controller-manager "$BIN/kube-controller-manager" --kubeconfig "$STATE/admin.kubeconfig" \
    --leader-elect=false --secure-port 0 --service-account-private-key-file "$d/sa.key" --root-ca-file "$d/ca.crt" \
    --use-service-account-credentials=false --enable-hostpath-provisioner=true --cluster-name drover-test \
    --kube-api-qps 500 --kube-api-burst 1000 --concurrent-gc-syncs 50
  launch kube-scheduler "$BIN/kube-scheduler" --kubeconfig "$STATE/admin.kubeconfig" --leader-elect=false \
    --secure-port 0 --kube-api-qps 500 --kube-api-burst 1000
  container_logs
  # kwok also plays the kubelet's API: pods/log reaches it through the apiserver (TLS on loopback).
  launch kwok "$BIN/kwok" --kubeconfig "$STATE/admin.kubeconfig" --manage-all-nodes=true \
    --config "$HERE/test-cluster/stages.yaml" --config "$STATE/kwok-logs.yaml" --node-ip 127.0.0.1 \
    --cidr 10.0.1.0/24 --node-port "$KWOK_PORT" --server-address "127.0.0.1:$KWOK_PORT" \
    --tls-cert-file "$d/apiserver.crt" --tls-private-key-file "$d/apiserver.key"
  local i
  for i in 0 1 2 3; do ensure_object /api/v1/nodes "$(node_json "train-cpu-$i" train-cpu 2 8Gi)"; done
  ensure_object /api/v1/nodes "$(node_json train-mem-0 train-mem 8 64Gi)"
  for i in 0 1; do ensure_object /api/v1/nodes "$(node_json "train-gpu-$i" train-gpu 8 32Gi 1)"; done
  # Claims are provisioned as host directories by kube-controller-manager's hostPath provisioner.
  ensure_object /apis/storage.k8s.io/v1/storageclasses '{"apiVersion":"storage.k8s.io/v1","kind":"StorageClass","metadata":{"name":"standard","annotations":{"storageclass.kubernetes.io/is-default-class":"true"}},"provisioner":"kubernetes.io/host-path","reclaimPolicy":"Delete"}'
  wait_for 60 'the fake nodes' nodes_ready
  log "up: apiserver https://127.0.0.1:$PORT, $(api GET /api/v1/nodes | grep -c '"kwok.x-k8s.io/node"') nodes; logs in $STATE"
  echo "export KUBECONFIG=$STATE/admin.kubeconfig"
}

nodes_ready() { # every node Ready (kwok keeps their heartbeats)
  local json; json=$(api GET /api/v1/nodes | tr -d ' \n')
  [[ $(grep -o '"type":"Ready","status":"True"' <<<"$json" | wc -l) -ge 7 ]]
}

down() {
  local c pid
  for c in kwok kube-scheduler kube-controller-manager kube-apiserver etcd; do
    [[ -f $STATE/$c.pid ]] || continue
    pid=$(<"$STATE/$c.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do running "$c" || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  rm -rf "$STATE"
  log "down"
}

status() {
  local c up=0
  for c in etcd kube-apiserver kube-controller-manager kube-scheduler kwok; do
    if running "$c"; then echo "$c: running (pid $(<"$STATE/$c.pid"))"; else echo "$c: stopped"; up=1; fi
  done
  ((up == 0)) && echo "export KUBECONFIG=$STATE/admin.kubeconfig"
  return $up
}

case ${1:-} in
  build) build ;;
  up) up ;;
  down) down ;;
  status) status ;;
  nodes) add_nodes "${2:?usage: $0 nodes COUNT}" ;;
  kubectl-path) echo "$BIN/kubectl" ;;
  restart-apiserver) restart_apiserver ;;
  *) die "usage: $0 build|up|down|status|nodes COUNT|restart-apiserver|kubectl-path" ;;
esac
