"""Training a model of the zoo on MNIST: the training digits, a fit with progress, the cached result.

scikit-learn's ``fit`` has no progress callback, so :func:`fit_with_estimate` runs it on a
worker thread and reports elapsed time over the spec's typical fit time from the calling
thread (UIs such as Streamlit only accept updates from their own thread).
"""

from __future__ import annotations

import os
import threading
import time
import warnings
from collections.abc import Callable
from typing import Any

import joblib
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from mnist_app import preprocess
from mnist_app.data import load_mnist
from mnist_app.models import store
from mnist_app.models.registry import N_CLASSES, SEED, ModelSpec, Progress

Trainer = Callable[[Any, np.ndarray, np.ndarray, Progress], Any]

#: ``ModelSpec.extra_key`` entry: the share of training digits also learnt in another writing
#: style (``synth.styles``); the spec's ``extra_key`` also names ``STYLES_VERSION``.
STYLE_SHARE = "style_share"
#: ``ModelSpec.extra_key`` entry (optional): style name -> weight among its digit's styles or the
#: pen effects (``synth.styles.styled_copies``' ``weights``); absent: every style's own weight.
STYLE_WEIGHTS = "style_weights"

# The arrays load_mnist returns are shared, so identity is the key; each entry keeps a
# reference to its array so the id cannot be reused. Few entries: the arrays are large.
_checksum_memo: dict[int, tuple[np.ndarray, str]] = {}
_prepared_memo: dict[int, tuple[np.ndarray, np.ndarray]] = {}
_styled_memo: dict[tuple[int, float, str], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
_memo_lock = threading.Lock()


def data_checksum(images: np.ndarray, labels: np.ndarray) -> str:
    """SHA-256 of a split (memoised per array, since load_mnist shares its arrays)."""
    with _memo_lock:
        hit = _checksum_memo.get(id(images))
        if hit is not None and hit[0] is images:
            return hit[1]
        digest = store.array_checksum(images, labels)
        if len(_checksum_memo) >= 4:  # train and test of one or two data folders
            _checksum_memo.pop(next(iter(_checksum_memo)))
        _checksum_memo[id(images)] = (images, digest)
        return digest


def prepared(images: np.ndarray) -> np.ndarray:
    """``preprocess.prepare_training(images)``, memoised for the most recent array."""
    with _memo_lock:
        hit = _prepared_memo.get(id(images))
        if hit is not None and hit[0] is images:
            return hit[1]
        features = preprocess.prepare_training(images)
        _prepared_memo.clear()
        _prepared_memo[id(images)] = (images, features)
        return features


def train_and_save(
    spec: ModelSpec, key: str, data_dir: str | os.PathLike[str] | None, report: Progress
) -> tuple[Any, dict[str, Any]]:
    """Train ``spec`` on the MNIST training split and store it under ``key``; returns (model, sidecar).

    Call under ``store.locked(spec.name)``.
    """
    report(0.01, f"Preparing the training digits for {spec.display_name}")
    images, labels = load_mnist("train", data_dir)
    missing = sorted(set(range(N_CLASSES)) - set(np.unique(labels).tolist()))
    if missing:
        raise ValueError(f"the training data has no examples of digit(s) {missing}")
    features, targets = training_set(spec, images, labels, report)
    estimator = spec.build()

    def training_progress(fraction: float, message: str) -> None:
        report(0.02 + 0.93 * fraction, message)

    started, cpu_started = time.perf_counter(), time.process_time()
    train = spec.train or fit_with_estimate(spec)
    model = train(estimator, features, targets, training_progress)
    fit_seconds = time.perf_counter() - started
    # CPU time of all threads: with other work on the machine, wall time alone misleads.
    fit_cpu_seconds = time.process_time() - cpu_started
    report(0.96, f"Saving {spec.display_name}")
    meta = {
        "fit_seconds": round(fit_seconds, 3),
        "fit_cpu_seconds": round(fit_cpu_seconds, 3),
        "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "n_train": int(len(targets)),
        "training_data": data_checksum(images, labels),
        "versions": store.library_versions(spec.libraries),
        "preprocess": preprocess.PREPROCESS_VERSION,
    }
    return model, store.save_model(spec.name, key, spec.dump(model), meta)


def training_set(
    spec: ModelSpec, images: np.ndarray, labels: np.ndarray, report: Progress | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The rows ``spec`` learns from: features float32 (m, 784) and targets int64 (m,).

    The prepared MNIST training digits; plus a thinner-or-thicker copy of each when
    ``spec.augment``; plus styled copies (``synth.styles.styled_copies``: writing styles MNIST
    lacks, pen effects) of a share of them when ``spec.extra_key`` has ``STYLE_SHARE``.
    """
    report = report or _ignore
    features = prepared(images)
    targets = labels.astype(np.int64)
    extra_features, extra_targets = [features], [targets]
    if spec.augment:
        report(0.015, f"Making varied copies of the training digits for {spec.display_name}")
        extra_features.append(preprocess.prepare_training(preprocess.augment_digits(images)))
        extra_targets.append(targets)
    share = float(spec.extra_key.get(STYLE_SHARE, 0.0))
    if share > 0:
        report(0.017, f"Writing training digits in other styles for {spec.display_name}")
        styled_features, styled_targets = _styled_rows(images, labels, share, _style_weights(spec))
        extra_features.append(styled_features)
        extra_targets.append(styled_targets)
    if len(extra_features) == 1:
        return features, targets
    return np.concatenate(extra_features), np.concatenate(extra_targets)


def _style_weights(spec: ModelSpec) -> dict[str, float] | None:
    weights = spec.extra_key.get(STYLE_WEIGHTS)
    return None if weights is None else dict(weights)


def _styled_rows(images: np.ndarray, labels: np.ndarray, share: float,
                 weights: dict[str, float] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Prepared styled copies of a share of ``images``, memoised per share and weights for the
    most recent array."""
    from mnist_app.synth import styles  # only when training: scikit-image is slow to import

    memo_key = (id(images), share, repr(sorted((weights or {}).items())) if weights is not None else "")
    with _memo_lock:
        hit = _styled_memo.get(memo_key)
        if hit is not None and hit[0] is images:
            return hit[1], hit[2]
    copies, copy_labels, _ = styles.styled_copies(images, labels, share=share, seed=SEED, weights=weights)
    rows, targets = preprocess.prepare_training(copies), copy_labels.astype(np.int64)
    with _memo_lock:
        # One entry per share and weights (the SVM's and CNN's differ from the others') for the
        # latest images only.
        for key in [key for key, value in _styled_memo.items() if value[0] is not images]:
            del _styled_memo[key]
        _styled_memo[memo_key] = (images, rows, targets)
    return rows, targets


def training_pictures(spec: ModelSpec, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """What rows of ``spec``'s training set (ordered as :func:`training_set` orders them) show:
    the pictures as the model learned them, float32 (n, 28, 28) in [0, 1]; each row's MNIST
    training index; and what the row is: "digit", "varied copy" (thinner or thicker) or the
    writing style of a styled copy. For pages that show a model's training examples."""
    from mnist_app.synth import styles  # scikit-image is slow to import

    images, labels = load_mnist("train")
    count, rows = len(images), np.asarray(rows, dtype=np.int64)
    share = float(spec.extra_key.get(STYLE_SHARE, 0.0))
    varied_end = 2 * count if spec.augment else count
    styled = styles.styled_sources(count, share, SEED) if share > 0 and (rows >= varied_end).any() else None
    pictures, sources, kinds = [], [], []
    for row in rows:
        if row < count:
            source, picture, kind = int(row), images[row], "digit"
        elif row < varied_end:
            source = int(row - count)
            picture, kind = preprocess.augment_digits(images, only=[source])[0], "varied copy"
        elif styled is not None and row - varied_end < len(styled):
            source = int(styled[row - varied_end])
            picture, kind = styles.styled_copy(images[source], int(labels[source]), source, share, SEED,
                                               weights=_style_weights(spec))
        else:
            raise ValueError(f"row {row} is not in {spec.name}'s training set")
        pictures.append(picture)
        sources.append(source)
        kinds.append(kind)
    prepared_pictures = (preprocess.prepare_training(np.stack(pictures)).reshape(-1, 28, 28) if pictures
                         else np.zeros((0, 28, 28), np.float32))
    return prepared_pictures, np.array(sources, dtype=np.int64), kinds


def _ignore(fraction: float, message: str) -> None:
    pass


def fit_with_estimate(spec: ModelSpec) -> Trainer:
    """``estimator.fit`` on a worker thread; the caller's thread reports estimated progress.

    The fraction is elapsed time over the spec's typical fit time (capped below 1).
    """

    def train(estimator: Any, features: np.ndarray, targets: np.ndarray, progress: Progress) -> Any:
        outcome: dict[str, BaseException] = {}

        def work() -> None:
            try:
                with joblib.parallel_config(n_jobs=-1), warnings.catch_warnings():
                    # joblib settings are per thread, hence set here. Capped iterations are a
                    # measured choice, not a problem to warn students about.
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    estimator.fit(features, targets)
            except BaseException as error:  # re-raised in the caller's thread
                outcome["error"] = error

        # A daemon thread, so Ctrl-C in the command line is not held up by the fit.
        worker = threading.Thread(target=work, name=f"fit-{spec.name}", daemon=True)
        started = time.perf_counter()
        worker.start()
        while worker.is_alive():
            elapsed = time.perf_counter() - started
            fraction = min(0.95, elapsed / max(spec.fit_seconds_hint, 0.1))
            progress(fraction, f"Training {spec.display_name}: {elapsed:.0f} s "
                               f"(usually about {spec.fit_seconds_hint:.0f} s)")
            worker.join(timeout=0.25)
        if "error" in outcome:
            raise outcome["error"]
        return estimator

    return train
