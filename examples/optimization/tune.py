"""One trial of the OptimizationJob example: logistic regression on a synthetic, noisy two-class
dataset, trained by gradient descent with the learning rate, epochs and optimizer the trial was
given. Each epoch it pushes its progress and validation loss to the TrainJob's status, as Kubeflow
Trainer's status server takes them (the URL and the token file come in the environment); the
OptimizationJob reads the last `val_loss` as the trial's objective.
Pure Python: it runs on any interpreter, no packages needed.
"""
import argparse
import json
import math
import os
import random
import urllib.request


def push(progress, metrics):
    url = os.environ.get("KUBEFLOW_TRAINER_SERVER_URL")
    if not url:
        return  # not run by a TrainJob: nothing to report to
    with open(os.environ["KUBEFLOW_TRAINER_SERVER_TOKEN"]) as f:
        token = f.read().strip()
    body = {"trainerStatus": {"progressPercentage": progress, "metrics": [{"name": k, "value": f"{v:.6g}"} for k, v in metrics.items()]}}
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        urllib.request.urlopen(req, timeout=5).read()
    except OSError as e:  # a lost report must not stop the training
        print(f"could not report progress: {e}", flush=True)


def dataset(n, seed):
    rng = random.Random(seed)
    w = [1.5, -2.0, 0.7, 0.0, 0.3]
    rows = []
    for _ in range(n):
        x = [rng.gauss(0, 1) for _ in w]
        z = sum(a * b for a, b in zip(w, x)) + rng.gauss(0, 0.8)
        rows.append((x, 1.0 if z > 0 else 0.0))
    return rows


def loss(weights, bias, rows):
    total = 0.0
    for x, y in rows:
        p = 1 / (1 + math.exp(-max(-30.0, min(30.0, sum(a * b for a, b in zip(weights, x)) + bias))))
        total -= y * math.log(p + 1e-12) + (1 - y) * math.log(1 - p + 1e-12)
    return total / len(rows)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lr", type=float, required=True)
    ap.add_argument("--epochs", type=int, required=True)
    ap.add_argument("--optimizer", choices=["sgd", "momentum"], required=True)
    a = ap.parse_args()
    train, val = dataset(400, 1), dataset(200, 2)
    weights, bias = [0.0] * 5, 0.0
    velocity, vb = [0.0] * 5, 0.0
    beta = 0.9 if a.optimizer == "momentum" else 0.0
    for epoch in range(1, a.epochs + 1):
        grad, gb = [0.0] * 5, 0.0
        for x, y in train:
            p = 1 / (1 + math.exp(-max(-30.0, min(30.0, sum(w * v for w, v in zip(weights, x)) + bias))))
            for i, v in enumerate(x):
                grad[i] += (p - y) * v / len(train)
            gb += (p - y) / len(train)
        velocity = [beta * m + g for m, g in zip(velocity, grad)]
        vb = beta * vb + gb
        weights = [w - a.lr * m for w, m in zip(weights, velocity)]
        bias -= a.lr * vb
        val_loss = loss(weights, bias, val)
        push(round(100 * epoch / a.epochs), {"val_loss": val_loss, "epoch": epoch})
    print(f"lr={a.lr} epochs={a.epochs} optimizer={a.optimizer} val_loss={val_loss:.6f}", flush=True)


if __name__ == "__main__":
    main()
