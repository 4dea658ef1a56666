#!/usr/bin/env python3
"""Allocates memory until it is stopped, to show a container memory limit being enforced.

Usage:
    python oom.py [CHUNK_MB] [MAX_MB]

Every 0.1 s it allocates another CHUNK_MB (default 50) MB, writes to every page so the memory
is really resident (not just reserved), and prints how much it holds. It never frees anything.
With `resources.limits.memory: 512Mi` the container is killed after about ten chunks and the
pod reports `OOMKilled` (exit code 137). MAX_MB (default: no limit) stops it cleanly instead,
for trying it outside a container without exhausting the machine.
"""

import os
import sys
import time

PAGE = 4096


def rss_mb():
    """Resident set size in MB from /proc (Linux), or None elsewhere."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") // (1024 * 1024)
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def main(argv):
    chunk_mb = int(argv[0]) if len(argv) > 0 else 50
    max_mb = int(argv[1]) if len(argv) > 1 else 0
    if chunk_mb < 1 or max_mb < 0:
        print("usage: python oom.py [CHUNK_MB>=1] [MAX_MB>=0]", flush=True)
        return 2
    chunk = chunk_mb * 1024 * 1024
    held = []
    print("allocating %d MB chunks until stopped%s" % (chunk_mb, " (at most %d MB)" % max_mb if max_mb else ""), flush=True)
    while True:
        if max_mb and (len(held) + 1) * chunk_mb > max_mb:
            print("reached MAX_MB=%d without being stopped; holding %d MB, exiting" % (max_mb, len(held) * chunk_mb), flush=True)
            return 0
        block = bytearray(chunk)
        for i in range(0, chunk, PAGE):  # touch every page so it counts against the limit
            block[i] = 1
        held.append(block)
        rss = rss_mb()
        print("holding %d MB%s" % (len(held) * chunk_mb, " (rss %d MB)" % rss if rss is not None else ""), flush=True)
        time.sleep(0.1)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
