"""Benchmark of teaching the models a class's handwriting (issue 14): before and after, and time.

    MNIST_APP_CACHE_DIR=~/.cache/mnist-app/pytest python benchmarks/bench_teach.py [--models knn mlp]

The simulated class: scikit-learn's bundled ``load_digits`` (1,797 digits, 8x8, writers not in
MNIST) enlarged onto a 280x280 canvas as the app receives a drawing, plus simulated writers
redrawn from MNIST *test* digits, each with a consistent style of their own (their 0s slashed
or barred, European 1s and 7s, closed 4s..., one slant, one pen). Every canvas goes through
``to_mnist``. Teach on one half, test on the other, split by writer: the simulated writers by
writer; ``load_digits`` has no writer ids, its file comes in blocks of writers, so its first
half is taught and its second half held out. Models are taught with ``teach.teach`` and
measured with ``teach.compare``, exactly as the app does; nothing is stored.
Prints a Markdown table for docs/benchmarks.md, with the load average and the CPU time of
the teaching (all threads): on a shared machine, wall time alone misleads.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
from scipy import ndimage

from mnist_app import data, models, preprocess
from mnist_app.models import training
from mnist_app.synth import drawn, real_digits, styles
from mnist_app.teach import compare, methods

WRITERS = 12
DIGITS_PER_WRITER = 40
STYLE_PROBABILITY = 0.8  # a writer writes a digit in one of its styles (when it has any) this often


def load_digits_class() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """load_digits on a canvas, through to_mnist: digits (n, 28, 28), labels, taught mask (first half)."""
    digits, labels = real_digits.load_real_digits()
    n = len(digits)
    return digits, labels, np.arange(n) < n // 2


def writer_class() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Simulated writers from MNIST test digits: digits, labels, writer id."""
    images, labels = data.load_mnist("test")
    digits, targets, writers = [], [], []
    order = np.random.default_rng(2).permutation(len(images))
    for writer in range(WRITERS):
        rng = np.random.default_rng([3, writer])
        own = {d: str(rng.choice(styles.styles_for(d))) for d in range(10) if styles.styles_for(d)}
        slant, pen, scale = rng.uniform(-0.35, 0.35), rng.uniform(6, 36), rng.uniform(0.45, 0.8)
        for index in order[writer * DIGITS_PER_WRITER:(writer + 1) * DIGITS_PER_WRITER]:
            label = int(labels[index])
            digit = images[index] / 255.0
            if label in own and rng.random() < STYLE_PROBABILITY:
                digit = styles.apply_style(digit, own[label], rng)
            sheared = ndimage.affine_transform(digit, np.array([[1, 0], [slant, 1]]),
                                               offset=(0, -slant * 14), order=1)
            canvas = drawn.render_on_canvas(sheared, scale=scale, pen_width=pen)
            digits.append(preprocess.to_mnist(canvas))
            targets.append(label)
            writers.append(writer)
    return np.stack(digits), np.array(targets), np.array(writers)


def simulated_class() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Both parts together: digits, labels, and which are taught (the rest are held out)."""
    small, small_labels, small_taught = load_digits_class()
    written, written_labels, writers = writer_class()
    return (np.concatenate([small, written]), np.concatenate([small_labels, written_labels]),
            np.concatenate([small_taught, writers < WRITERS // 2]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="*", default=None, help="default: every available model")
    args = parser.parse_args()
    names = args.models or models.available_models()
    started = time.perf_counter()
    digits, labels, taught = simulated_class()
    # The teaching's MNIST rows are prepared once per process, as in the app's server: not timed.
    training.prepared(data.load_mnist("train")[0])
    print(f"simulated class: {len(digits)} digits ({taught.sum()} taught, {(~taught).sum()} held out), "
          f"built in {time.perf_counter() - started:.0f} s")
    print("| model | method | held-out errors before | after | change | MNIST test before | after "
          "| teach time (s) | CPU (s) | load avg |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    total = 0.0
    for name in names:
        models.get_model(name)  # loaded before the clock starts, as in the app
        compare.mnist_accuracy(name)
        start, cpu_start = time.perf_counter(), time.process_time()
        model = methods.teach(name, digits[taught], labels[taught])
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
        total += seconds
        result = compare.compare(name, model, digits[~taught], labels[~taught],
                                 method=methods.method_of(name), n_taught=int(taught.sum()), seconds=seconds)
        held = len(result.truth)
        before, after = int((result.before != result.truth).sum()), int((result.after != result.truth).sum())
        print(f"| {name} | {result.method} | {before}/{held} | {after}/{held} | "
              f"{100 * (after - before) / max(before, 1):+.0f}% | {100 * result.mnist_before:.2f}% | "
              f"{100 * result.mnist_after:.2f}% | {seconds:.1f} | {cpu:.1f} | {os.getloadavg()[0]:.2f} |",
              flush=True)
    print(f"all models taught in {total:.0f} s")


if __name__ == "__main__":
    main()
