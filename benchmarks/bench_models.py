"""Benchmark of the model zoo: training, accuracy, latency, warm start, memory.

    python benchmarks/bench_models.py fit        # train all seven from scratch (fresh cache)
    python benchmarks/bench_models.py latency    # one drawing end to end, per model
    python benchmarks/bench_models.py warm       # new process: all seven ready; its RSS
    python benchmarks/bench_models.py augment    # with vs without augmentation (MNIST + drawn)

``fit`` uses a fresh temporary cache unless ``--cache-dir`` is given; the others need a
cache with the trained models (``--cache-dir``, default: the app's cache). Needs MNIST
(``$MNIST_DATA_DIR``). Prints Markdown rows for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

TARGETS = {"fit_total_s": 300, "latency_median_ms": 30, "latency_p95_ms": 60, "warm_s": 3, "rss_gb": 1.5}


def run_fit(args: argparse.Namespace) -> None:
    """Train every classic model from scratch in this process, then evaluate it."""
    cache = args.cache_dir or tempfile.mkdtemp(prefix="bench-models-")
    os.environ["MNIST_APP_CACHE_DIR"] = str(cache)
    from mnist_app import models
    from mnist_app.evaluation import evaluate

    names = _names(args, models)
    print(f"cache: {cache}; load average before: {os.getloadavg()[0]:.1f}")
    total = 0.0
    print("| model | fit s (wall) | fit CPU s | test accuracy | model file MB | 1-digit predict_proba ms |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name in names:
        started = time.perf_counter()
        models.get_model(name)
        elapsed = time.perf_counter() - started
        total += elapsed
        result = evaluate(name)
        cpu = models.model_info(name).get("fit_cpu_seconds", float("nan"))
        print(f"| {name} | {result.fit_seconds:.1f} | {cpu:.1f} | {result.accuracy:.4f} | "
              f"{result.size_bytes / 1e6:.1f} | {result.latency_ms:.2f} |", flush=True)
    print(f"\nall {len(names)} trained from scratch (incl. data preparation and saving): {total:.0f} s "
          f"(target < {TARGETS['fit_total_s']} s); load average after: {os.getloadavg()[0]:.1f}")


def run_latency(args: argparse.Namespace) -> None:
    """to_mnist + the one prediction path (models.predict_digit) on drawn digits, as the app does."""
    _use_cache(args)
    from mnist_app import models, preprocess, synth

    canvases, _ = synth.make_drawn_benchmark(args.drawings, seed=1)
    print(f"{len(canvases)} drawn canvases (280x280 RGBA); load average: {os.getloadavg()[0]:.1f}")
    print("| model | median ms | p95 ms |")
    print("| --- | --- | --- |")
    for name in _names(args, models):
        models.predict_digit(preprocess.to_mnist(canvases[0]), name)  # load and warm up
        times = []
        for canvas in canvases:
            started = time.perf_counter()
            models.predict_digit(preprocess.to_mnist(canvas), name)
            times.append((time.perf_counter() - started) * 1000)
        print(f"| {name} | {np.median(times):.1f} | {np.percentile(times, 95):.1f} |", flush=True)


_WARM_CHILD = """
import json, time, sys
started = time.perf_counter()
from mnist_app import models
names = sys.argv[1].split(",")
for name in names:
    models.get_model(name)
elapsed = time.perf_counter() - started
rss = int(open("/proc/self/status").read().split("VmRSS:")[1].split()[0]) * 1024
print(json.dumps({"seconds": elapsed, "rss_bytes": rss}))
"""


def run_warm(args: argparse.Namespace) -> None:
    """A new Python process loads all seven from the cache: time and resident memory."""
    _use_cache(args)
    from mnist_app import models

    names = _names(args, models)
    missing = [name for name in names if not models.is_trained(name)]
    if missing:
        sys.exit(f"not trained yet: {missing}; run `mnist-app train` or the fit benchmark first")
    runs = []
    for _ in range(args.repeats):
        output = subprocess.run([sys.executable, "-c", _WARM_CHILD, ",".join(names)], check=True,
                                capture_output=True, text=True, env=os.environ).stdout
        runs.append(json.loads(output.strip().splitlines()[-1]))
    seconds = [run["seconds"] for run in runs]
    rss = max(run["rss_bytes"] for run in runs) / 1e9
    print(f"warm start, {len(names)} models, new process incl. imports: median {np.median(seconds):.2f} s "
          f"(runs: {', '.join(f'{s:.2f}' for s in seconds)}; target < {TARGETS['warm_s']} s)")
    print(f"resident memory with all loaded: {rss:.2f} GB (target < {TARGETS['rss_gb']} GB); "
          f"load average: {os.getloadavg()[0]:.1f}")


def run_augment(args: argparse.Namespace) -> None:
    """Train selected models with and without augmentation; MNIST test and drawn accuracy."""
    _use_cache(args)
    from sklearn.base import clone

    from mnist_app import models, preprocess, synth
    from mnist_app.data import load_mnist

    images, labels = load_mnist("train")
    test_images, test_labels = load_mnist("test")
    rng = np.random.default_rng(0)
    subset = rng.permutation(len(images))[: args.train]
    images, labels = images[subset], labels[subset]
    plain = preprocess.prepare_training(images)
    varied = preprocess.augment_digits(images, seed=0)
    augmented = np.concatenate([plain, preprocess.prepare_training(varied)])
    doubled = np.concatenate([labels, labels])
    test = preprocess.prepare_training(test_images)
    canvases, drawn_labels = synth.make_drawn_benchmark(args.drawings, seed=2)
    drawn = np.stack([preprocess.to_mnist(canvas).reshape(-1) for canvas in canvases])
    print(f"{args.train} training digits (augmented: twice that), {len(drawn)} drawn digits")
    print("| model | augmentation | fit s | MNIST test | drawn |")
    print("| --- | --- | --- | --- | --- |")
    for name in _names(args, models):
        for label, (features, targets) in [("none", (plain, labels)), ("yes", (augmented, doubled))]:
            estimator = clone(models.MODELS[name].build())
            started = time.perf_counter()
            estimator.fit(features, targets)
            fit = time.perf_counter() - started
            mnist_accuracy = np.mean(estimator.predict(test) == test_labels)
            drawn_accuracy = np.mean(estimator.predict(drawn) == drawn_labels)
            print(f"| {name} | {label} | {fit:.1f} | {mnist_accuracy:.4f} | {drawn_accuracy:.4f} |",
                  flush=True)


def _use_cache(args: argparse.Namespace) -> None:
    if args.cache_dir:
        os.environ["MNIST_APP_CACHE_DIR"] = str(args.cache_dir)


def _names(args: argparse.Namespace, models) -> list[str]:
    return args.models.split(",") if args.models else list(models.CLASSIC_MODELS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["fit", "latency", "warm", "augment"])
    parser.add_argument("--models", default=None, help="comma-separated names (default: the seven)")
    parser.add_argument("--cache-dir", type=Path, default=None)
    parser.add_argument("--drawings", type=int, default=200, help="drawn digits for latency/augment")
    parser.add_argument("--repeats", type=int, default=3, help="warm-start runs")
    parser.add_argument("--train", type=int, default=20000, help="training digits for augment")
    args = parser.parse_args()
    {"fit": run_fit, "latency": run_latency, "warm": run_warm, "augment": run_augment}[args.what](args)


if __name__ == "__main__":
    main()
