"""Benchmark of the CNN: training time and accuracy, latency, drawn digits.

    python benchmarks/bench_cnn.py fit       # train the CNN from scratch (fresh cache), evaluate it
    python benchmarks/bench_cnn.py latency   # one drawing end to end: to_mnist + predict_proba
    python benchmarks/bench_cnn.py drawn     # every available model on the drawn-digit benchmark

``fit`` uses a fresh temporary cache unless ``--cache-dir`` is given; ``latency`` and
``drawn`` use ``--cache-dir`` (default: the app's cache) and train what is missing there.
Needs MNIST (``$MNIST_DATA_DIR``) and torch. Prints Markdown for docs/benchmarks.md.

The machine is shared: every run prints the load average, and ``fit`` prints CPU time as
well as wall time, because other work slows the wall clock several-fold.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

TARGETS = {"accuracy": 0.994, "fit_s": 300, "latency_ms": 20}


def run_fit(args: argparse.Namespace) -> None:
    """Train the CNN from scratch through the model zoo, with progress, then evaluate it."""
    os.environ["MNIST_APP_CACHE_DIR"] = str(args.cache_dir or tempfile.mkdtemp(prefix="bench-cnn-"))
    from mnist_app import models
    from mnist_app.evaluation import evaluate

    if models.is_trained("cnn"):
        raise SystemExit("the CNN is already trained in this cache; use a fresh --cache-dir")
    print(f"cache: {os.environ['MNIST_APP_CACHE_DIR']}; load average before: {_load()}")
    started = time.perf_counter()
    epoch_started: dict[str, float] = {}

    def progress(fraction: float, message: str) -> None:
        epoch = message.split(",")[0]
        if "epoch" in epoch and epoch not in epoch_started:
            now = time.perf_counter() - started
            epoch_started[epoch] = now
            print(f"  {now:6.1f} s  {fraction:5.1%}  {epoch}  (load {_load()})", flush=True)

    models.get_model("cnn", progress=progress)
    info = models.model_info("cnn")
    result = evaluate("cnn")
    starts = list(epoch_started.values())
    epoch_seconds = np.diff(starts) if len(starts) > 1 else np.array([float("nan")])
    print(f"\nload average after: {_load()}")
    print("| fit s (wall) | fit CPU s | s per epoch (median) | test accuracy | model file MB | "
          "1-digit predict_proba ms |")
    print("| --- | --- | --- | --- | --- | --- |")
    print(f"| {info['fit_seconds']:.0f} | {info.get('fit_cpu_seconds', float('nan')):.0f} | "
          f"{np.median(epoch_seconds):.0f} | {result.accuracy:.4f} | {result.size_bytes / 1e6:.2f} | "
          f"{result.latency_ms:.2f} |")
    print(f"targets: accuracy >= {TARGETS['accuracy']}, fit < {TARGETS['fit_s']} s on a quiet machine")


def run_latency(args: argparse.Namespace) -> None:
    """to_mnist + predict_proba of the CNN on drawn canvases, one at a time, as the app does."""
    _use_cache(args)
    from mnist_app import models, preprocess, synth

    canvases, _ = synth.make_drawn_benchmark(args.drawings, seed=1)
    model = models.get_model("cnn")
    model.predict_proba(preprocess.to_mnist(canvases[0]).reshape(1, -1))  # warm-up
    end_to_end, model_only = [], []
    for canvas in canvases:
        started = time.perf_counter()
        digit = preprocess.to_mnist(canvas).reshape(1, -1)
        prepared = time.perf_counter()
        model.predict_proba(digit)
        done = time.perf_counter()
        end_to_end.append((done - started) * 1000)
        model_only.append((done - prepared) * 1000)
    print(f"{len(canvases)} drawn canvases (280x280 RGBA); load average: {_load()}")
    print("| what | median ms | p95 ms |")
    print("| --- | --- | --- |")
    for label, times in (("to_mnist + predict_proba", end_to_end), ("predict_proba alone", model_only)):
        print(f"| {label} | {np.median(times):.1f} | {np.percentile(times, 95):.1f} |")
    print(f"target: end to end < {TARGETS['latency_ms']} ms")


def run_drawn(args: argparse.Namespace) -> None:
    """Accuracy of every available model on the drawn-digit benchmark, and the CNN's gain."""
    _use_cache(args)
    from mnist_app import models, preprocess, synth
    from mnist_app.evaluation import evaluate

    canvases, labels = synth.make_drawn_benchmark(args.drawings, seed=args.seed)
    digits = np.stack([preprocess.to_mnist(canvas).reshape(-1) for canvas in canvases])
    print(f"{len(digits)} drawn digits (synth seed {args.seed}); load average: {_load()}")
    print("| model | drawn accuracy | MNIST test accuracy |")
    print("| --- | --- | --- |")
    scores: dict[str, float] = {}
    for name in models.available_models():
        model = models.get_model(name)
        scores[name] = float(np.mean(model.predict(digits) == labels))
        print(f"| {name} | {scores[name]:.4f} | {evaluate(name).accuracy:.4f} |", flush=True)
    classic = {name: score for name, score in scores.items() if name != "cnn"}
    best = max(classic, key=classic.get)
    gain = scores["cnn"] - classic[best]
    errors_cut = 1 - (1 - scores["cnn"]) / (1 - classic[best]) if classic[best] < 1 else float("nan")
    print(f"\nCNN {scores['cnn']:.4f} vs best classic ({best}) {classic[best]:.4f}: "
          f"{gain * 100:+.1f} points, {errors_cut:.0%} fewer errors")


def _use_cache(args: argparse.Namespace) -> None:
    if args.cache_dir:
        os.environ["MNIST_APP_CACHE_DIR"] = str(args.cache_dir)


def _load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["fit", "latency", "drawn"])
    parser.add_argument("--cache-dir", type=Path, default=None)
    parser.add_argument("--drawings", type=int, default=1000, help="drawn digits for latency/drawn")
    parser.add_argument("--seed", type=int, default=2, help="seed of the drawn-digit benchmark")
    args = parser.parse_args()
    {"fit": run_fit, "latency": run_latency, "drawn": run_drawn}[args.what](args)


if __name__ == "__main__":
    main()
