#!/usr/bin/env bash
# The main job: sets up what Drover needs, starts it, trains a model as a batch/v1 Job that
# saves it on a PersistentVolumeClaim, then evaluates it from a second Job on the same claim.
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
# Start from a clean slate so the pipeline can be run again.
drover delete job train-save evaluate --ignore-not-found >/dev/null
drover apply -f examples/job-model-storage.yaml
drover wait job/train-save --for=condition=Complete --timeout=300s
drover logs job/train-save
drover apply -f examples/job-evaluate.yaml
drover wait job/evaluate --for=condition=Complete --timeout=300s
echo "--- evaluation of the saved model (a second Job reading the claim)"
drover logs job/evaluate
drover get jobs
