#!/usr/bin/env bash
# The main job: sets up what Drover needs, starts it, and runs the ML pipeline as an Argo
# Workflow: prepare data on a per-run claim, train three models in parallel, compare them, and
# notify a webhook (a small local receiver here) with the outcome.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v bwrap >/dev/null; then
  if [[ $(id -u) == 0 ]]; then
    apt-get update -qq && apt-get install -y -qq bubblewrap >/dev/null
  else
    echo "Drover needs bubblewrap: sudo apt-get install bubblewrap" >&2
    exit 1
  fi
fi
if [[ ! -d node_modules ]]; then
  [[ -d /usr/include/node ]] && export npm_config_nodedir=/usr
  npm ci --no-audit --no-fund
fi
npm run --silent build

drover() { node bin/drover.js "$@"; }

drover up -d
drover apply -f examples/model-storage-claim.yaml

# A local webhook receiver stands in for Slack or a chat bot.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
hooklog=$(mktemp)
python3 examples/webhook.py --port "$port" --count 1 >"$hooklog" &
receiver=$!
trap 'kill $receiver 2>/dev/null || true; rm -f "$hooklog"' EXIT

# Pods reach this machine as host.drover.internal (their own 127.0.0.1 is their own).
wf=$(drover submit examples/pipeline.yaml -p webhook="http://host.drover.internal:$port/hook" -o name)
echo "submitted $wf"
drover wait "$wf" --for=condition=Completed --timeout=600s >/dev/null
drover get "$wf"
echo "--- the report step"
drover logs "$wf" | grep -E 'report-[0-9]+: ' | sed 's/^[^:]*: //'
wait "$receiver" || true
echo "--- the webhook received"
grep '^POST' "$hooklog"
phase=$(drover get "$wf" -o jsonpath='{.status.phase}' 2>/dev/null || drover get "$wf" -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"]["phase"])')
[[ $phase == Succeeded ]]
