#!/usr/bin/env python3
"""Trains a small classifier on a deterministic synthetic dataset (standard library only).

Usage:
    python train.py [EPOCHS] [MODEL] [LR] [--hidden N] [--seed N] [--hp FILE]

    MODEL is `softmax` (multinomial logistic regression) or `mlp` (one tanh hidden layer).
    Example: python train.py 5 softmax 0.5

Where each hyperparameter comes from, lowest to highest precedence:
    1. built-in defaults          epochs 5, model softmax, lr 0.5, hidden 16, seed 42
    2. a hyperparameter file      /model_hp/exp.yaml if it exists, or the file named by
                                  --hp FILE or the HP_FILE env var (must then exist).
                                  Flat `key: value` YAML, or a JSON object, with keys
                                  epochs, model, lr, hidden, seed.
    3. environment variables      TRAIN_EPOCHS, TRAIN_MODEL, TRAIN_LR, TRAIN_HIDDEN, TRAIN_SEED
    4. the command line           positional EPOCHS MODEL LR, --hidden, --seed
The script prints which source each value came from.

Output: per epoch a progress line and a Katib-style metrics line
(`epoch=2 loss=0.2571 accuracy=0.9067 train-loss=0.2161`), then the final metrics each on a line of their own
(`accuracy=0.9133`, `loss=0.2415`), which Katib's default StdOut metrics collector picks up.
Accuracy and loss are measured on a held-out validation split.

Two settings help watch a run (environment only):
    TRAIN_EPOCH_SECONDS  each epoch lasts at least this long (default 0), so progress and early
                         stopping can be seen on this tiny dataset.
    METRICS_FILE         also append each epoch's metrics to this file, as `name=value` lines
                         or, when the name ends in .json, one JSON object per line (the formats
                         of Katib's File metrics collector).

With DATA_DIR set, the training and validation splits are read from DATA_DIR/train.json and
DATA_DIR/val.json (written by prepare_data.py) instead of being generated.

The model is saved as JSON to $MODEL_DIR/model.json (default MODEL_DIR /model_storage). The
default directory is expected to be a mounted volume and is never created; a MODEL_DIR set
explicitly is created if missing. If the directory cannot be used the script exits 1.

Exit status: 0 trained and saved; 1 model directory unusable; 2 bad arguments or hp file.
"""

import argparse
import json
import os
import sys
import time

import drover_data as data

DEFAULTS = {"epochs": 5, "model": "softmax", "lr": 0.5, "hidden": 16, "seed": 42}
ENV_VARS = {k: "TRAIN_" + k.upper() for k in DEFAULTS}
DEFAULT_HP_FILE = "/model_hp/exp.yaml"
DEFAULT_MODEL_DIR = "/model_storage"
BATCH_SIZE = 16


class UsageError(Exception):
    pass


def log(msg=""):
    print(msg, flush=True)


def err(msg):
    """Errors and hints go to stderr (a pod's log shows both streams)."""
    sys.stdout.flush()
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# Hyperparameter file: flat `key: value` YAML (the standard library has no YAML) or JSON.


def _unquote(value):
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def _strip_comment(line):
    """Removes a `# comment` that starts the line or follows whitespace, outside quotes."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i]
    return line


def parse_flat_yaml(text, source="<hp file>"):
    """Parses flat `key: value` YAML into a dict of strings. Nested YAML is rejected."""
    result = {}
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = _strip_comment(raw).rstrip()
        if not line.strip() or line.strip() in ("---", "..."):
            continue
        if line[0] in " \t":
            raise UsageError("%s line %d: nested or indented YAML is not supported: %r" % (source, lineno, raw))
        key, sep, value = line.partition(":")
        if not sep or not key.strip():
            raise UsageError("%s line %d: expected `key: value`, got %r" % (source, lineno, raw))
        result[key.strip()] = _unquote(value.strip())
    return result


def read_hp_file(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if text.lstrip().startswith("{"):
        try:
            doc = json.loads(text)
        except ValueError as e:
            raise UsageError("%s: invalid JSON: %s" % (path, e))
        if not isinstance(doc, dict):
            raise UsageError("%s: expected a JSON object" % path)
        return {str(k): str(v) for k, v in doc.items()}
    return parse_flat_yaml(text, path)


# ---------------------------------------------------------------------------------------------
# Hyperparameter resolution.


def convert(key, value, source):
    try:
        if key in ("epochs", "hidden", "seed"):
            v = int(str(value).strip())
            if key != "seed" and v < 1:
                raise ValueError("must be at least 1")
            return v
        if key == "lr":
            v = float(str(value).strip())
            if not v > 0:
                raise ValueError("must be positive")
            return v
        if key == "model":
            v = str(value).strip().lower()
            if v not in ("softmax", "mlp"):
                raise ValueError("must be softmax or mlp")
            return v
    except ValueError as e:
        raise UsageError("%s from %s: invalid value %r (%s)" % (key, source, value, e))
    raise UsageError("unknown hyperparameter %r" % key)


def resolve_hyperparameters(argv, environ):
    parser = argparse.ArgumentParser(
        prog="train.py",
        description="Train a small classifier; see the module docstring for details.",
    )
    parser.add_argument("epochs", nargs="?", help="number of epochs (e.g. 5)")
    parser.add_argument("model", nargs="?", help="softmax or mlp")
    parser.add_argument("lr", nargs="?", help="learning rate (e.g. 0.5)")
    parser.add_argument("--hidden", help="hidden units of the mlp")
    parser.add_argument("--seed", help="random seed of data and initialisation")
    parser.add_argument("--hp", metavar="FILE", help="hyperparameter file (flat YAML or JSON)")
    args = parser.parse_args(argv)

    values = dict(DEFAULTS)
    sources = {k: "default" for k in DEFAULTS}

    # 2. Hyperparameter file.
    if args.hp:
        hp_path, explicit = args.hp, "--hp"
    elif environ.get("HP_FILE"):
        hp_path, explicit = environ["HP_FILE"], "HP_FILE"
    else:
        hp_path, explicit = DEFAULT_HP_FILE, None
    if os.path.isfile(hp_path):
        try:
            entries = read_hp_file(hp_path)
        except OSError as e:
            raise UsageError("cannot read hyperparameter file %s: %s" % (hp_path, e))
        log("hyperparameter file: %s" % hp_path)
        for key, raw in entries.items():
            if key not in DEFAULTS:
                log("  warning: ignoring unknown key %r in %s" % (key, hp_path))
                continue
            source = "file %s" % hp_path
            values[key] = convert(key, raw, source)
            sources[key] = source
    elif explicit:
        raise UsageError("hyperparameter file %s (from %s) does not exist" % (hp_path, explicit))
    else:
        log("hyperparameter file: none (%s does not exist)" % hp_path)

    # 3. Environment.
    for key, var in ENV_VARS.items():
        if environ.get(var, "") != "":
            source = "env %s" % var
            values[key] = convert(key, environ[var], source)
            sources[key] = source

    # 4. Command line.
    for key in ("epochs", "model", "lr", "hidden", "seed"):
        raw = getattr(args, key)
        if raw is not None:
            values[key] = convert(key, raw, "command line")
            sources[key] = "command line"

    return values, sources


# ---------------------------------------------------------------------------------------------
# Model directory.


def prepare_model_dir(environ):
    """Returns a writable model directory, or raises SystemExit(1) with a clear message."""
    explicit = environ.get("MODEL_DIR", "") != ""
    model_dir = environ["MODEL_DIR"] if explicit else DEFAULT_MODEL_DIR

    def fail(reason):
        err("error: cannot save the model: %s" % reason)
        if not explicit:
            err("hint: mount a volume at %s (e.g. a PersistentVolumeClaim) or set MODEL_DIR" % DEFAULT_MODEL_DIR)
        sys.exit(1)

    if not os.path.isdir(model_dir):
        if os.path.exists(model_dir):
            fail("MODEL_DIR %s exists but is not a directory" % model_dir)
        if not explicit:
            fail("model directory %s does not exist" % model_dir)
        try:
            os.makedirs(model_dir)
        except OSError as e:
            fail("model directory %s does not exist and cannot be created (%s)" % (model_dir, e.strerror or e))
    probe = os.path.join(model_dir, ".write-test-%d" % os.getpid())
    try:
        with open(probe, "w") as f:
            f.write("ok")
        os.remove(probe)
    except OSError as e:
        fail("model directory %s is not writable (%s)" % (model_dir, e.strerror or e))
    return model_dir


def save_model(model_dir, doc):
    path = os.path.join(model_dir, "model.json")
    tmp = path + ".tmp"
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=1, sort_keys=True)
            f.write("\n")
        os.replace(tmp, path)
    except OSError as e:
        err("error: cannot write %s: %s" % (path, e.strerror or e))
        sys.exit(1)
    return path


# ---------------------------------------------------------------------------------------------


def train(hp):
    model, epochs, lr, seed = hp["model"], hp["epochs"], hp["lr"], hp["seed"]
    data_dir = os.environ.get("DATA_DIR", "")
    if data_dir:
        # A pipeline's data step wrote the splits; train on exactly those.
        train_x, train_y = data.load_split(data_dir, "train")
        val_x, val_y = data.load_split(data_dir, "val")
        log("data: read from %s" % data_dir)
    else:
        train_x, train_y = data.make_dataset("train", seed)
        val_x, val_y = data.make_dataset("val", seed)
    log("data: %d training and %d validation points, %d features, %d classes"
        % (len(train_x), len(val_x), data.NUM_FEATURES, data.NUM_CLASSES))
    params = data.init_params(model, hp["hidden"], seed)
    rng = data.random.Random(seed * 1000 + 7)
    order = list(range(len(train_x)))
    val_loss = val_acc = None
    for epoch in range(1, epochs + 1):
        started = time.monotonic()
        rng.shuffle(order)
        train_loss = 0.0
        for start in range(0, len(order), BATCH_SIZE):
            idx = order[start:start + BATCH_SIZE]
            train_loss += data.sgd_step(model, params, [train_x[i] for i in idx], [train_y[i] for i in idx], lr)
        train_loss /= len(order)
        val_loss, val_acc = data.evaluate(model, params, val_x, val_y)
        width = 20
        filled = epoch * width // epochs
        log("[%s%s] epoch %d/%d  train loss %.4f  val loss %.4f  val accuracy %.4f  (%.0f ms)"
            % ("#" * filled, "." * (width - filled), epoch, epochs, train_loss, val_loss, val_acc,
               (time.monotonic() - started) * 1000))
        log("epoch=%d loss=%.4f accuracy=%.4f train-loss=%.4f" % (epoch, val_loss, val_acc, train_loss))
        write_metrics_file(epoch, val_loss, val_acc)
        pause = float(os.environ.get("TRAIN_EPOCH_SECONDS") or 0) - (time.monotonic() - started)
        if pause > 0:
            time.sleep(pause)
    return params, val_loss, val_acc


def write_metrics_file(epoch, loss, accuracy):
    path = os.environ.get("METRICS_FILE")
    if not path:
        return
    with open(path, "a") as f:
        if path.endswith(".json"):
            f.write(json.dumps({"epoch": str(epoch), "loss": "%.4f" % loss, "accuracy": "%.4f" % accuracy,
                                "timestamp": time.time()}) + "\n")
        else:
            f.write("epoch=%d loss=%.4f accuracy=%.4f\n" % (epoch, loss, accuracy))


def main(argv=None, environ=None):
    environ = os.environ if environ is None else environ
    started = time.monotonic()
    try:
        hp, sources = resolve_hyperparameters(sys.argv[1:] if argv is None else argv, environ)
    except UsageError as e:
        err("error: %s" % e)
        return 2
    log("hyperparameters:")
    for key in ("epochs", "model", "lr", "hidden", "seed"):
        if key == "hidden" and hp["model"] != "mlp":
            log("  %-7s %-10s (%s; unused by softmax)" % (key + ":", hp[key], sources[key]))
        else:
            log("  %-7s %-10s (%s)" % (key + ":", hp[key], sources[key]))

    # Check the destination before spending time on training.
    model_dir = prepare_model_dir(environ)
    log("model directory: %s" % model_dir)

    params, loss, accuracy = train(hp)

    doc = {
        "format": data.MODEL_FORMAT,
        "model": hp["model"],
        "hidden": hp["hidden"] if hp["model"] == "mlp" else None,
        "epochs": hp["epochs"],
        "lr": hp["lr"],
        "seed": hp["seed"],
        "accuracy": round(accuracy, 6),
        "loss": round(loss, 6),
        "features": data.NUM_FEATURES,
        "classes": data.NUM_CLASSES,
        "params": params,
    }
    path = save_model(model_dir, doc)
    log("saved model to %s" % path)
    log("training took %.2f s" % (time.monotonic() - started))
    # Final metrics, each on a line of its own, for Katib's StdOut collector and for tests.
    log("accuracy=%.4f" % accuracy)
    log("loss=%.4f" % loss)
    return 0


if __name__ == "__main__":
    sys.exit(main())
