#!/usr/bin/env python3
"""Evaluates the model saved by train.py on a freshly generated held-out test set.

Usage:
    python evaluate.py [--n N] [--seed N]

Reads $MODEL_DIR/model.json (default MODEL_DIR /model_storage) and draws the "test" split of
the same generator train.py used (see drover_data.py); the test split never overlaps the
training or validation data. By default it uses the seed recorded in the model.

Prints the final metrics each on a line of its own (`accuracy=0.9400`, `loss=0.1767`).
Exit status: 0 evaluated; 1 model missing or unreadable; 2 bad arguments.
"""

import argparse
import os
import sys

import drover_data as data

DEFAULT_MODEL_DIR = "/model_storage"


def log(msg=""):
    print(msg, flush=True)


def err(msg):
    """Errors and hints go to stderr (a pod's log shows both streams)."""
    sys.stdout.flush()
    print(msg, file=sys.stderr, flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="evaluate.py", description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=data.DEFAULT_SIZES["test"], help="test points to draw")
    parser.add_argument("--seed", type=int, help="data seed (default: the one the model was trained with)")
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("--n must be at least 1")

    model_dir = os.environ.get("MODEL_DIR") or DEFAULT_MODEL_DIR
    path = os.path.join(model_dir, "model.json")
    if not os.path.isfile(path):
        err("error: no model at %s" % path)
        if not os.path.isdir(model_dir):
            err("  (the directory %s does not exist: is the volume mounted?)" % model_dir)
        err("hint: run train.py first with the same MODEL_DIR / volume")
        return 1
    try:
        model = data.load_model(path)
        kind, params = model["model"], model["params"]
    except (OSError, ValueError, KeyError) as e:
        err("error: cannot read the model at %s: %s" % (path, e))
        return 1

    seed = args.seed if args.seed is not None else int(model.get("seed", 42))
    xs, ys = data.make_dataset("test", seed, args.n)
    log("model: %s from %s (trained %s epochs, lr %s, validation accuracy %s)"
        % (kind, path, model.get("epochs"), model.get("lr"), model.get("accuracy")))
    log("test set: %d fresh points (seed %d)" % (len(xs), seed))
    try:
        loss, accuracy = data.evaluate(kind, params, xs, ys)
    except (KeyError, IndexError, TypeError) as e:
        err("error: the model at %s is malformed: %r" % (path, e))
        return 1
    log("accuracy=%.4f" % accuracy)
    log("loss=%.4f" % loss)
    return 0


if __name__ == "__main__":
    sys.exit(main())
