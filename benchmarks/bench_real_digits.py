"""Benchmark on real handwriting of writers not in MNIST: scikit-learn's ``load_digits`` on the canvas.

    python benchmarks/bench_real_digits.py [--cache-dir D] [--models a,b] [--digits-file F.npz]

The 1,797 digits of ``load_digits`` (UCI optdigits: real handwriting, unseen writers; 8x8
counts of scanned 32x32 bitmaps) are enlarged onto the 280x280 canvas and prepared by
``to_mnist`` (``mnist_app.synth.real_digits``), then every trained model of the cache
answers them through the one prediction path (``models.predict_digits``). A proxy for the
app's input (low resolution, scanned ink, not a pen on a canvas), not a substitute.

``--digits-file`` keeps the prepared digits: when the file exists they are read from it, so
models trained by another version of the code (e.g. a ``git worktree`` of an older commit on
``PYTHONPATH``) answer exactly the same 28x28 inputs. Models not trained in the cache are
skipped. Prints Markdown for docs/benchmarks.md (accuracy, errors, accuracy per digit).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np


def _load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def real_digits(digits_file: Path | None) -> tuple[np.ndarray, np.ndarray]:
    """The prepared real digits and labels, read from ``digits_file`` when it exists."""
    if digits_file and digits_file.is_file():
        with np.load(digits_file) as stored:
            return stored["digits"], stored["labels"]
    from mnist_app.synth.real_digits import load_real_digits

    started = time.perf_counter()
    digits, labels = load_real_digits()
    print(f"real digits: {len(labels)} prepared in {time.perf_counter() - started:.0f} s")
    if digits_file:
        np.savez_compressed(digits_file, digits=digits, labels=labels)
    return digits, labels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache-dir", type=Path, default=None, help="model cache (default: the app's)")
    parser.add_argument("--models", default="", help="comma-separated (default: every trained model)")
    parser.add_argument("--digits-file", type=Path, default=None, help=".npz of the prepared digits")
    args = parser.parse_args()
    if args.cache_dir:
        os.environ["MNIST_APP_CACHE_DIR"] = str(args.cache_dir)
    from mnist_app import models

    digits, labels = real_digits(args.digits_file)
    names = args.models.split(",") if args.models else models.available_models()
    print(f"{len(labels)} real digits (load_digits on the canvas); load average {_load()}")
    print("| model | accuracy | errors | " + " | ".join(f"{d}" for d in range(10)) + " |")
    print("|" + " --- |" * 13)
    for name in names:
        if not models.is_trained(name):
            print(f"| {name} | not trained in this cache | | " + " | " * 9 + " |")
            continue
        predicted = models.predict_digits(digits, name).argmax(axis=1)
        right = predicted == labels
        per_digit = " | ".join(f"{right[labels == d].mean():.3f}" for d in range(10))
        print(f"| {name} | {right.mean():.4f} | {int((~right).sum())} | {per_digit} |", flush=True)


if __name__ == "__main__":
    main()
