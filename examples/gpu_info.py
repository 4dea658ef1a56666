#!/usr/bin/env python3
"""Prints which GPUs the container was given.

Usage:
    python gpu_info.py

Prints `CUDA_VISIBLE_DEVICES=...` and `NVIDIA_VISIBLE_DEVICES=...` (`<unset>` when not set)
and, when `nvidia-smi` is on the PATH, its `-L` listing, which honours CUDA_VISIBLE_DEVICES
only for CUDA programs, so it is shown for information. Always exits 0.
"""

import os
import shutil
import subprocess
import sys


def main():
    for name in ("CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES"):
        value = os.environ.get(name)
        print("%s=%s" % (name, "<unset>" if value is None else value), flush=True)
    smi = shutil.which("nvidia-smi")
    if smi:
        try:
            out = subprocess.run([smi, "-L"], capture_output=True, text=True, timeout=20)
            listing = (out.stdout or out.stderr).strip()
        except (OSError, subprocess.SubprocessError) as e:
            listing = "nvidia-smi failed: %s" % e
        print("nvidia-smi -L:", flush=True)
        for line in listing.splitlines():
            print("  " + line, flush=True)
    else:
        print("nvidia-smi: not found on PATH", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
