"""Shared code for the Drover examples: a deterministic synthetic dataset and the two models.

Standard library only, so the examples run on any Python 3 without installing anything.

The dataset is three overlapping 2-D Gaussian blobs whose centres sit on a circle 120 degrees
apart. The overlap is chosen so that a linear model reaches roughly 0.9 accuracy (the best any
model can do is about 0.92), which makes the numbers meaningful without being trivially 1.0.
"""

import json
import math
import random

NUM_CLASSES = 3
NUM_FEATURES = 2
CENTRE_RADIUS = 2.0
NOISE_STD = 1.0
# The blobs are centred away from the origin so the model has to learn its biases too; this
# makes the learning rate matter (too small and 5 epochs are not enough, too large diverges).
OFFSET = (1.5, 1.0)

# Each split draws from its own stream, so the validation and test sets never overlap the
# training set but are still reproducible from the seed.
SPLITS = {"train": 0, "val": 1, "test": 2}
DEFAULT_SIZES = {"train": 600, "val": 300, "test": 600}

MODEL_FORMAT = "drover-example-model/v1"


def make_dataset(split, seed=42, n=None):
    """Returns (xs, ys): n points of the given split ("train", "val" or "test")."""
    if split not in SPLITS:
        raise ValueError("unknown split %r (want one of %s)" % (split, ", ".join(SPLITS)))
    if n is None:
        n = DEFAULT_SIZES[split]
    rng = random.Random(int(seed) * 1000 + SPLITS[split])
    centres = [
        (OFFSET[0] + CENTRE_RADIUS * math.cos(2 * math.pi * k / NUM_CLASSES),
         OFFSET[1] + CENTRE_RADIUS * math.sin(2 * math.pi * k / NUM_CLASSES))
        for k in range(NUM_CLASSES)
    ]
    xs, ys = [], []
    for i in range(n):
        label = i % NUM_CLASSES
        cx, cy = centres[label]
        xs.append([cx + rng.gauss(0.0, NOISE_STD), cy + rng.gauss(0.0, NOISE_STD)])
        ys.append(label)
    # Shuffle so classes are interleaved irregularly.
    order = list(range(n))
    rng.shuffle(order)
    return [xs[i] for i in order], [ys[i] for i in order]


def save_split(directory, split, xs, ys):
    """Writes one split as JSON {"x": [...], "y": [...]}; returns the path."""
    import json
    import os
    path = os.path.join(directory, "%s.json" % split)
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"x": xs, "y": ys}, f)
    return path


def load_split(directory, split):
    """Reads a split written by save_split."""
    import json
    import os
    with open(os.path.join(directory, "%s.json" % split), encoding="utf-8") as f:
        doc = json.load(f)
    return doc["x"], doc["y"]


# ---------------------------------------------------------------------------------------------
# Models. Parameters are plain nested lists so they serialise to JSON as they are.


def softmax(logits):
    m = max(logits)
    exps = [math.exp(v - m) for v in logits]
    total = sum(exps)
    return [e / total for e in exps]


def init_params(model, hidden, seed):
    rng = random.Random(int(seed) * 1000 + 99)
    if model == "softmax":
        return {
            "W": [[0.0] * NUM_FEATURES for _ in range(NUM_CLASSES)],
            "b": [0.0] * NUM_CLASSES,
        }
    if model == "mlp":
        s1 = 1.0 / math.sqrt(NUM_FEATURES)
        s2 = 1.0 / math.sqrt(hidden)
        return {
            "W1": [[rng.uniform(-s1, s1) for _ in range(NUM_FEATURES)] for _ in range(hidden)],
            "b1": [0.0] * hidden,
            "W2": [[rng.uniform(-s2, s2) for _ in range(hidden)] for _ in range(NUM_CLASSES)],
            "b2": [0.0] * NUM_CLASSES,
        }
    raise ValueError("unknown model %r (want softmax or mlp)" % (model,))


def _dot(w, x):
    return sum(wi * xi for wi, xi in zip(w, x))


def forward(model, params, x):
    """Returns (probabilities, hidden activations or None)."""
    if model == "softmax":
        logits = [_dot(w, x) + b for w, b in zip(params["W"], params["b"])]
        return softmax(logits), None
    h = [math.tanh(_dot(w, x) + b) for w, b in zip(params["W1"], params["b1"])]
    logits = [_dot(w, h) + b for w, b in zip(params["W2"], params["b2"])]
    return softmax(logits), h


def sgd_step(model, params, batch_x, batch_y, lr):
    """One mini-batch of gradient descent on the cross-entropy loss; returns the batch loss sum."""
    n = len(batch_x)
    loss = 0.0
    if model == "softmax":
        gW = [[0.0] * NUM_FEATURES for _ in range(NUM_CLASSES)]
        gb = [0.0] * NUM_CLASSES
        for x, y in zip(batch_x, batch_y):
            p, _ = forward(model, params, x)
            loss -= math.log(max(p[y], 1e-12))
            for k in range(NUM_CLASSES):
                d = p[k] - (1.0 if k == y else 0.0)
                gb[k] += d
                for j in range(NUM_FEATURES):
                    gW[k][j] += d * x[j]
        for k in range(NUM_CLASSES):
            params["b"][k] -= lr * gb[k] / n
            for j in range(NUM_FEATURES):
                params["W"][k][j] -= lr * gW[k][j] / n
        return loss

    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    hidden = len(b1)
    gW1 = [[0.0] * NUM_FEATURES for _ in range(hidden)]
    gb1 = [0.0] * hidden
    gW2 = [[0.0] * hidden for _ in range(NUM_CLASSES)]
    gb2 = [0.0] * NUM_CLASSES
    for x, y in zip(batch_x, batch_y):
        p, h = forward(model, params, x)
        loss -= math.log(max(p[y], 1e-12))
        dlogits = [p[k] - (1.0 if k == y else 0.0) for k in range(NUM_CLASSES)]
        dh = [0.0] * hidden
        for k in range(NUM_CLASSES):
            d = dlogits[k]
            gb2[k] += d
            row = gW2[k]
            wrow = W2[k]
            for i in range(hidden):
                row[i] += d * h[i]
                dh[i] += d * wrow[i]
        for i in range(hidden):
            dz = dh[i] * (1.0 - h[i] * h[i])
            gb1[i] += dz
            for j in range(NUM_FEATURES):
                gW1[i][j] += dz * x[j]
    for k in range(NUM_CLASSES):
        b2[k] -= lr * gb2[k] / n
        for i in range(hidden):
            W2[k][i] -= lr * gW2[k][i] / n
    for i in range(hidden):
        b1[i] -= lr * gb1[i] / n
        for j in range(NUM_FEATURES):
            W1[i][j] -= lr * gW1[i][j] / n
    return loss


def evaluate(model, params, xs, ys):
    """Returns (mean cross-entropy loss, accuracy)."""
    loss = 0.0
    correct = 0
    for x, y in zip(xs, ys):
        p, _ = forward(model, params, x)
        loss -= math.log(max(p[y], 1e-12))
        if max(range(NUM_CLASSES), key=lambda k: p[k]) == y:
            correct += 1
    return loss / len(xs), correct / len(xs)


def load_model(path):
    """Reads a model.json written by train.py; raises ValueError if it is not one."""
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    if not isinstance(doc, dict) or doc.get("format") != MODEL_FORMAT:
        raise ValueError("%s is not a model written by train.py (format %r)" % (path, doc.get("format") if isinstance(doc, dict) else None))
    return doc
