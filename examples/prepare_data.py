#!/usr/bin/env python3
"""Writes the training and validation splits for the pipeline (standard library only).

Usage: python prepare_data.py DIR [--seed N]

Writes DIR/train.json and DIR/val.json, each {"x": [[f1, f2], ...], "y": [label, ...]}, and
prints one line per split and a `points=N` line. Exit status 0, or 2 on bad arguments.
"""
import argparse
import os
import sys

import drover_data as data


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    os.makedirs(args.dir, exist_ok=True)
    total = 0
    for split in ("train", "val"):
        xs, ys = data.make_dataset(split, args.seed)
        path = data.save_split(args.dir, split, xs, ys)
        total += len(xs)
        print("wrote %d %s points to %s" % (len(xs), split, path), flush=True)
    print("points=%d" % total)
    return 0


if __name__ == "__main__":
    sys.exit(main())
