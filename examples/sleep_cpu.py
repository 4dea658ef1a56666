#!/usr/bin/env python3
"""Keeps one CPU busy (or sleeps) for a given time, printing when it started and ended.

Usage:
    python sleep_cpu.py SECONDS [--sleep]

By default it burns CPU in a busy loop for SECONDS of wall-clock time; with --sleep it sleeps
instead. It prints `start=<unix time>` and `end=<unix time>` (seconds, microsecond precision)
on lines of their own, plus the pod name when POD_NAME is set, so a test running many copies
can check how many ran at the same time.
"""

import os
import socket
import sys
import time


def main(argv):
    args = [a for a in argv if a != "--sleep"]
    sleep = len(args) != len(argv)
    if len(args) != 1:
        print("usage: python sleep_cpu.py SECONDS [--sleep]", flush=True)
        return 2
    try:
        seconds = float(args[0])
        if seconds < 0:
            raise ValueError
    except ValueError:
        print("error: SECONDS must be a non-negative number, got %r" % args[0], flush=True)
        return 2

    who = os.environ.get("POD_NAME") or socket.gethostname()
    start = time.time()
    print("start=%.6f" % start, flush=True)
    print("%s for %.3f s (pid %d on %s)" % ("sleeping" if sleep else "burning CPU", seconds, os.getpid(), who), flush=True)
    if sleep:
        time.sleep(seconds)
        iterations = 0
    else:
        deadline = time.monotonic() + seconds
        iterations = 0
        x = 0
        while time.monotonic() < deadline:
            for i in range(10000):
                x = (x * 31 + i) % 1000003
            iterations += 1
    end = time.time()
    print("end=%.6f" % end, flush=True)
    print("elapsed=%.3f" % (end - start), flush=True)
    if not sleep:
        print("iterations=%d" % iterations, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
