"""Benchmark of the writing styles MNIST lacks: per-style accuracy on drawn digits, and retraining.

    python benchmarks/bench_styles.py models      # every trained model (a cache) per style class
    python benchmarks/bench_styles.py variants    # train on a subset with/without styled copies
    python benchmarks/bench_styles.py train --models cnn --share 0.25   # full training, styled

``models`` uses ``--cache-dir`` (default: the app's cache) and trains what is missing there.
``train`` trains ``--models`` on all of MNIST through ``models.get_model`` (into ``--cache-dir``)
with their spec's styled-copy share set to ``--share`` (0: none), exactly as the zoo would with
that share, then evaluates them (fit time, MNIST test, per style).
``variants`` fits fresh estimators of the zoo (``--models``) on ``--train`` MNIST training
digits, plain and plus styled copies of a ``--share`` of them (``synth.styles.styled_copies``),
and prints MNIST test accuracy, the extended drawn benchmark per style class and fit time.
The drawn benchmark is ``synth.styles_benchmark`` (MNIST *test* digits, drawn on a canvas,
through ``to_mnist``). Needs MNIST (``$MNIST_DATA_DIR``). Prints Markdown for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np


def _benchmark(args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from mnist_app.synth import styles_benchmark

    saved = args.benchmark_file
    if saved and saved.is_file():  # the same benchmark again, without redrawing it
        with np.load(saved) as stored:
            if int(stored["per_style"]) == args.per_style and int(stored["seed"]) == args.seed:
                print(f"extended drawn benchmark from {saved}: {len(stored['labels'])} drawings")
                return stored["digits"], stored["labels"], stored["names"]
    started = time.perf_counter()
    digits, labels, names = styles_benchmark.make_styles_benchmark(args.per_style, seed=args.seed)
    if saved:
        np.savez_compressed(saved, digits=digits, labels=labels, names=names,
                            per_style=args.per_style, seed=args.seed)
    print(f"extended drawn benchmark: {len(labels)} drawings ({args.per_style} per style class, "
          f"seed {args.seed}), made in {time.perf_counter() - started:.0f} s; load average {_load()}")
    return digits, labels, names


def _per_style(predicted: np.ndarray, labels: np.ndarray, names: np.ndarray) -> dict[str, float]:
    from mnist_app.synth.styles_benchmark import benchmark_styles

    scores = {name: float(np.mean(predicted[names == name] == labels[names == name]))
              for name in benchmark_styles() if np.any(names == name)}
    scores["all"] = float(np.mean(predicted == labels))
    return scores


def _header(first: list[str], names: list[str]) -> None:
    print("| " + " | ".join(first + names) + " |")
    print("|" + " --- |" * (len(first) + len(names)))


def run_models(args: argparse.Namespace) -> None:
    """Per-style accuracy of every available (trained) model through the one prediction path."""
    if args.cache_dir:
        os.environ["MNIST_APP_CACHE_DIR"] = str(args.cache_dir)
    from mnist_app import models
    from mnist_app.evaluation import evaluate

    digits, labels, names = _benchmark(args)
    columns = None
    for name in args.models.split(",") if args.models else models.available_models():
        predicted = models.predict_digits(digits, name).argmax(axis=1)
        scores = _per_style(predicted, labels, names)
        if columns is None:
            columns = list(scores)
            _header(["model", "MNIST test"], columns)
        print(f"| {name} | {evaluate(name).accuracy:.4f} | "
              + " | ".join(f"{scores[column]:.3f}" for column in columns) + " |", flush=True)


def run_variants(args: argparse.Namespace) -> None:
    """Fresh fits on a subset, plain vs plus styled copies: MNIST test, per style, fit time."""
    from sklearn.base import clone

    from mnist_app import models, preprocess
    from mnist_app.data import load_mnist
    from mnist_app.synth import styles

    images, labels = load_mnist("train")
    subset = np.random.default_rng(0).permutation(len(images))[: args.train]
    images, labels = images[subset], labels[subset]
    test_images, test_labels = load_mnist("test")
    test = preprocess.prepare_training(test_images)
    digits, drawn_labels, names = _benchmark(args)
    drawn = digits.reshape(len(digits), -1)
    sets = {"none": (preprocess.prepare_training(images), labels)}
    for share in (float(value) for value in args.share.split(",")):
        started = time.perf_counter()
        copies, copy_labels, _ = styles.styled_copies(images, labels, share=share, seed=1)
        made = time.perf_counter() - started
        sets[f"styles {share:g}"] = (np.concatenate([sets["none"][0], preprocess.prepare_training(copies)]),
                                     np.concatenate([labels, copy_labels]))
        print(f"styled copies at share {share:g}: {len(copies)} in {made:.1f} s")
    columns = None
    for name in args.models.split(","):
        spec = models.get_spec(name)
        for variant, (features, targets) in sets.items():
            if spec.augment:  # as training does: plus a thinner/thicker copy of the MNIST digits
                varied = preprocess.prepare_training(preprocess.augment_digits(images))
                features = np.concatenate([features, varied])
                targets = np.concatenate([targets, labels])
            estimator = clone(spec.build())
            started = time.perf_counter()
            estimator.fit(features, targets)
            fit = time.perf_counter() - started
            mnist = float(np.mean(estimator.predict(test) == test_labels))
            scores = _per_style(estimator.predict(drawn), drawn_labels, names)
            if columns is None:
                columns = list(scores)
                _header(["model", "variant", "n train", "fit s", "MNIST test"], columns)
            print(f"| {name} | {variant} | {len(targets)} | {fit:.0f} | {mnist:.4f} | "
                  + " | ".join(f"{scores[column]:.3f}" for column in columns) + " |", flush=True)
    print(f"load average after: {_load()}")


def run_train(args: argparse.Namespace) -> None:
    """Full training with a given styled-copy share through the model cache, then per style."""
    import dataclasses

    if args.cache_dir:
        os.environ["MNIST_APP_CACHE_DIR"] = str(args.cache_dir)
    from mnist_app import models
    from mnist_app.evaluation import evaluate
    from mnist_app.models import registry, training
    from mnist_app.synth import styles

    share = float(args.share)
    names = args.models.split(",")
    for name in names:
        spec = models.get_spec(name)
        extra = {key: value for key, value in spec.extra_key.items()
                 if key not in ("styles", training.STYLE_SHARE)}
        if share > 0:
            extra.update({"styles": styles.STYLES_VERSION, training.STYLE_SHARE: share})
        registry.register(dataclasses.replace(spec, extra_key=extra))
    digits, labels, names_of = _benchmark(args)
    columns = None
    for name in names:
        started = time.perf_counter()
        models.get_model(name)
        info = models.model_info(name)
        result = evaluate(name)
        scores = _per_style(models.predict_digits(digits, name).argmax(axis=1), labels, names_of)
        if columns is None:
            columns = list(scores)
            _header(["model", "share", "n train", "fit s", "fit CPU s", "MNIST test"], columns)
        print(f"| {name} | {share:g} | {info['n_train']} | {info['fit_seconds']:.0f} "
              f"(get_model {time.perf_counter() - started:.0f}) | {info.get('fit_cpu_seconds', 0):.0f} | "
              f"{result.accuracy:.4f} | " + " | ".join(f"{scores[column]:.3f}" for column in columns) + " |",
              flush=True)
    print(f"load average after: {_load()}")


def _load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["models", "variants", "train"])
    parser.add_argument("--models", default=None, help="comma-separated names (models: default all)")
    parser.add_argument("--cache-dir", type=Path, default=None)
    parser.add_argument("--per-style", type=int, default=150, help="drawings per style class")
    parser.add_argument("--seed", type=int, default=0, help="seed of the drawn benchmark")
    parser.add_argument("--benchmark-file", type=Path, default=None,
                        help="keep the drawn benchmark in this .npz and reuse it (same size and seed)")
    parser.add_argument("--train", type=int, default=20000, help="training digits for variants")
    parser.add_argument("--share", default="0.25", help="comma-separated shares of styled copies")
    args = parser.parse_args()
    {"models": run_models, "variants": run_variants, "train": run_train}[args.what](args)


if __name__ == "__main__":
    main()
