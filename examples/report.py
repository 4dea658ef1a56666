#!/usr/bin/env python3
"""Compares the models the pipeline trained (standard library only).

Usage: python report.py MODELS_DIR [--best-file F]

Reads MODELS_DIR/*/model.json, prints a table sorted by validation accuracy and the best model's
name, and writes that name to --best-file when given. Exit status 0, or 1 when no model is found.
"""
import argparse
import json
import os
import sys


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models_dir")
    parser.add_argument("--best-file")
    args = parser.parse_args(argv)
    rows = []
    for name in sorted(os.listdir(args.models_dir)) if os.path.isdir(args.models_dir) else []:
        path = os.path.join(args.models_dir, name, "model.json")
        if not os.path.isfile(path):
            continue
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        rows.append((doc["accuracy"], doc["loss"], name, doc["model"], doc["lr"]))
    if not rows:
        print("error: no model.json under %s" % args.models_dir, file=sys.stderr)
        return 1
    rows.sort(key=lambda r: (-r[0], r[1]))
    print("%-14s %-8s %-6s %-9s %s" % ("NAME", "MODEL", "LR", "ACCURACY", "LOSS"))
    for acc, loss, name, model, lr in rows:
        print("%-14s %-8s %-6s %-9.4f %.4f" % (name, model, lr, acc, loss))
    best = rows[0][2]
    print("best=%s accuracy=%.4f" % (best, rows[0][0]))
    if args.best_file:
        with open(args.best_file, "w", encoding="utf-8") as f:
            f.write(best)
    return 0


if __name__ == "__main__":
    sys.exit(main())
