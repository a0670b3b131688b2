"""Benchmark of the explanations (issue 16): time per drawing, faithfulness, the data map's method.

    python benchmarks/bench_explain.py latency       # each explanation of one drawing, per model
    python benchmarks/bench_explain.py faithfulness  # erasing the strongest vs random ink, per model
    python benchmarks/bench_explain.py map METHOD    # pca | opentsne | sklearn-tsne: time and quality

Needs MNIST (``$MNIST_DATA_DIR``) and trained models in the cache (``$MNIST_APP_CACHE_DIR``,
default: the app's cache). Prints Markdown rows for docs/benchmarks.md with the load average:
the machine is shared, so compare within one run.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable

import numpy as np

TARGET_MS = 300


def drawn_digits(count: int) -> np.ndarray:
    """Drawn-digit benchmark canvases (MNIST test digits redrawn as strokes) through ``to_mnist``."""
    from mnist_app import preprocess, synth

    samples = synth.iter_drawn_digits(count, seed=16)
    return np.stack([preprocess.to_mnist(sample.canvas) for sample in samples])


def timed_ms(work: Callable[[], object], digits: np.ndarray) -> np.ndarray:
    """Milliseconds of ``work(digit)`` for each digit (one warm-up call first)."""
    work(digits[0])
    times = []
    for digit in digits:
        started = time.perf_counter()
        work(digit)
        times.append((time.perf_counter() - started) * 1000)
    return np.array(times)


def _spread(times: np.ndarray) -> str:
    return f"{np.median(times):.0f} / {np.percentile(times, 90):.0f}"


def run_latency(args: argparse.Namespace) -> None:
    """Median and 90th percentile of each explanation per model, over drawn digits."""
    from mnist_app import models
    from mnist_app.explain import datamap, views
    from mnist_app.explain.evidence import evidence
    from mnist_app.explain.neighbours import neighbours, voters

    digits = drawn_digits(args.n)
    own_view: dict[str, Callable[[np.ndarray], object]] = {
        "logistic_regression": lambda d: views.logistic_weights(),
        "naive_bayes": lambda d: views.naive_bayes_means(),
        "decision_tree": views.tree_path, "random_forest": views.forest_votes, "knn": voters,
        "mlp": views.mlp_active_neurons, "cnn": lambda d: (views.cnn_filters(), views.cnn_feature_maps(d)),
        "svm": lambda d: (views.svm_margins(d), views.svm_nearest_support_vectors(d)),
    }
    print(f"{len(digits)} drawn digits; load average before: {os.getloadavg()[0]:.1f}")
    print("| model | evidence ms median / p90 | own view ms median / p90 |")
    print("| --- | --- | --- |")
    for name in args.models or models.available_models():
        models.get_model(name)
        ev = timed_ms(lambda d, name=name: evidence(d, name), digits)
        view = timed_ms(own_view[name], digits)
        print(f"| {name} | {_spread(ev)} | {_spread(view)} |", flush=True)
    near = timed_ms(lambda d: neighbours(d, k=8), digits)
    print(f"| nearest training digits (any model) | {_spread(near)} | |")
    if datamap.is_ready():
        place = timed_ms(datamap.data_map().place, digits)
        print(f"| the drawing placed on the data map | {_spread(place)} | |")
    print(f"load average after: {os.getloadavg()[0]:.1f}; target {TARGET_MS} ms per explanation")


def run_faithfulness(args: argparse.Namespace) -> None:
    """Mean fall of the answer's probability: strongest 10% of the ink erased vs random 10%."""
    from mnist_app import data, models, preprocess
    from mnist_app.explain.faithfulness import faithfulness

    images, _ = data.load_mnist("test")
    every = images[:: max(1, len(images) // args.n)][: args.n]  # spread over the file: all ten digits
    digits = preprocess.prepare_training(every).reshape(-1, 28, 28)
    print(f"{len(digits)} MNIST test digits; load average before: {os.getloadavg()[0]:.1f}")
    print("| model | probability fall, strongest 10% erased | random 10% erased | ratio |")
    print("| --- | --- | --- | --- |")
    for name in args.models or models.available_models():
        result = faithfulness(digits, name)
        print(f"| {name} | {result.strongest_drop:.3f} | {result.random_drop:.3f} | "
              f"{result.strongest_drop / max(result.random_drop, 1e-9):.1f}x |", flush=True)


def run_map(args: argparse.Namespace) -> None:
    """One 2-D layout of the 10,000 test digits: wall and CPU time, and two quality figures.

    Quality: accuracy of a 10-nearest-neighbour vote in 2-D (5-fold), i.e. do digits of a
    kind sit together; trustworthiness (10 neighbours, 2,000 digits): are neighbours on the
    map neighbours in the k-NN model's space.
    """
    from sklearn.decomposition import PCA
    from sklearn.manifold import trustworthiness
    from sklearn.model_selection import cross_val_score
    from sklearn.neighbors import KNeighborsClassifier

    from mnist_app import data, models, preprocess

    images, labels = data.load_mnist("test")
    points = models.get_model("knn")[0].transform(preprocess.prepare_training(images)).astype(np.float64)
    started, cpu = time.perf_counter(), time.process_time()
    if args.method == "pca":
        layout = PCA(2, random_state=0).fit_transform(points)
    elif args.method == "opentsne":
        import openTSNE

        layout = np.asarray(openTSNE.TSNE(n_jobs=2, random_state=0).fit(points))
    else:
        from sklearn.manifold import TSNE

        layout = TSNE(2, init="pca", random_state=0, n_jobs=2).fit_transform(points)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    accuracy = cross_val_score(KNeighborsClassifier(10), layout, labels, cv=5).mean()
    sample = np.random.default_rng(0).choice(len(layout), 2000, replace=False)
    trust = trustworthiness(points[sample], layout[sample], n_neighbors=10)
    print(f"| {args.method} | {wall:.0f} | {cpu:.0f} | {accuracy:.3f} | {trust:.3f} | "
          f"{os.getloadavg()[0]:.1f} |")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    latency = commands.add_parser("latency")
    latency.add_argument("--n", type=int, default=30)
    latency.add_argument("--models", nargs="*")
    faithful = commands.add_parser("faithfulness")
    faithful.add_argument("--n", type=int, default=300)
    faithful.add_argument("--models", nargs="*")
    layout = commands.add_parser("map")
    layout.add_argument("method", choices=["pca", "opentsne", "sklearn-tsne"])
    args = parser.parse_args(argv)
    {"latency": run_latency, "faithfulness": run_faithfulness, "map": run_map}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
