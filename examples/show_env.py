#!/usr/bin/env python3
"""Prints the environment a pod was given, then optionally runs another example script.

Usage:
    python show_env.py [SCRIPT [ARGS...]]

Prints, each on a line of its own as `NAME=value`, the variables the hyperparameter example sets
(from a ConfigMap key, a Secret key, `envFrom` a ConfigMap, and the Downward API fields
metadata.name / metadata.namespace), `<unset>` for any that is missing, and lists the files
mounted from the `train-hp` ConfigMap under /model_hp. If SCRIPT is given (e.g. train.py) it
then runs it in the same Python process with ARGS as its command line, so a single container
command shows both the environment and the training run.
"""

import os
import runpy
import sys

# Variables set by job-hp.yaml, and where each comes from.
SHOWN = [
    ("POD_NAME", "fieldRef metadata.name"),
    ("POD_NAMESPACE", "fieldRef metadata.namespace"),
    ("TRAIN_SEED", "configMapKeyRef train-env/seed"),
    ("API_TOKEN", "secretKeyRef train-secret/token"),
    ("DATASET", "envFrom configMapRef train-env"),
    ("OWNER", "envFrom configMapRef train-env"),
    ("MODEL_DIR", "env value"),
    ("HP_FILE", "env value"),
]
HP_DIR = "/model_hp"


def main(argv):
    print("environment:", flush=True)
    for name, _origin in SHOWN:
        value = os.environ.get(name)
        print("%s=%s" % (name, "<unset>" if value is None else value), flush=True)
    if os.path.isdir(HP_DIR):
        for entry in sorted(os.listdir(HP_DIR)):
            path = os.path.join(HP_DIR, entry)
            if entry.startswith(".") or not os.path.isfile(path):
                continue  # ConfigMap volumes hold ..data symlinks on a cluster
            with open(path, encoding="utf-8", errors="replace") as f:
                content = f.read()
            print("file %s (%d bytes):" % (path, len(content)), flush=True)
            for line in content.splitlines():
                print("  | " + line, flush=True)
    else:
        print("file %s: not mounted" % HP_DIR, flush=True)

    if argv:
        script = argv[0]
        print("running %s" % " ".join(argv), flush=True)
        sys.argv = list(argv)
        sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
        runpy.run_path(script, run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
