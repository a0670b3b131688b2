"""A map of the data: the 10,000 MNIST test digits laid out in 2-D, similar digits together.

The layout is t-SNE (openTSNE, FFT-accelerated) of the digits' points in the k-NN model's
PCA space: chosen by measurement over PCA alone, scikit-learn's t-SNE and UMAP (time,
quality, dependency weight; figures in docs/benchmarks.md). It takes about a minute, so
it is made once and cached in the model cache (see :mod:`mnist_app.models.store`), keyed by
the k-NN model and the test digits. A drawing is placed among its nearest test digits.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import io
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mnist_app import data, models, preprocess
from mnist_app.explain.neighbours import KNN_MODEL, project
from mnist_app.models import store
from mnist_app.models.registry import Progress

CACHE_NAME = "datamap"
METHOD = "openTSNE"
#: A drawing sits at the mean position of this many nearest test digits.
PLACE_NEIGHBOURS = 10
#: openTSNE's default schedule: 250 early-exaggeration iterations, then 500.
TOTAL_ITERATIONS = 750


@dataclass(frozen=True)
class DataMap:
    """The test digits' 2-D positions, their labels, and their points in the k-NN's space."""

    positions: np.ndarray  # float32 (n, 2)
    labels: np.ndarray  # int (n,)
    points: np.ndarray  # float32 (n, 40): where the k-NN model sees each test digit

    def place(self, digit: np.ndarray) -> np.ndarray:
        """Where a drawing goes on the map: float (2,), among its nearest test digits."""
        point = project(digit)
        distances = np.linalg.norm(self.points - point, axis=1)
        nearest = np.argsort(distances)[:PLACE_NEIGHBOURS]
        return self.positions[nearest].mean(axis=0).astype(np.float64)


_memo: dict[str, DataMap] = {}
_memo_lock = threading.Lock()


def map_key() -> str:
    """The cache key: the k-NN model (its PCA), the test digits, the method and its version."""
    images, labels = data.load_mnist("test")
    return store.cache_key({
        "kind": CACHE_NAME, "method": METHOD, "knn": models.model_key(KNN_MODEL),
        "test_data": models.data_checksum(images, labels), "preprocess": preprocess.PREPROCESS_VERSION,
        "versions": {"openTSNE": _version("openTSNE"), "numpy": _version("numpy")},
    })


def map_path(key: str) -> Path:
    """The cached map's file."""
    return store.models_dir() / f"{CACHE_NAME}-{key}.npz"


def is_ready() -> bool:
    """Whether the map is in memory or cached on disk (never computes, never downloads)."""
    if not models.is_trained(KNN_MODEL):
        return False
    try:
        key = map_key()
    except (data.MnistUnavailableError, data.MnistFileError, OSError):
        return False
    return key in _memo or map_path(key).is_file()


def data_map(progress: Progress | None = None) -> DataMap:
    """The map of the test digits: from memory, else the cache, else made (about a minute) and cached."""
    report = progress or (lambda fraction, message: None)
    key = map_key()
    with _memo_lock:
        if key in _memo:
            return _memo[key]
        with store.locked(CACHE_NAME):  # two processes make it once
            made = _load(map_path(key))
            if made is None:
                made = _make(report)
                store.write_atomic(map_path(key), _to_bytes(made))
                store.remove_stale(CACHE_NAME, key)
        _memo[key] = made
    report(1.0, "The map is ready")
    return made


def _make(report: Progress) -> DataMap:
    import openTSNE  # only when a map is made: the cached map needs no t-SNE at all

    report(0.0, "Placing the 10,000 test digits in the k-NN model's space")
    images, labels = data.load_mnist("test")
    points = models.get_model(KNN_MODEL)[0].transform(preprocess.prepare_training(images))
    points = np.asarray(points, dtype=np.float32)
    done = {"iterations": 0}

    def callback(iteration: int, error: float, embedding: object) -> bool:
        done["iterations"] += 10
        report(0.05 + 0.9 * min(done["iterations"] / TOTAL_ITERATIONS, 1.0),
               f"Laying out the map: step {done['iterations']} of {TOTAL_ITERATIONS}")
        return False  # False: keep going

    report(0.05, "Laying out the map (t-SNE)")
    embedding = openTSNE.TSNE(n_jobs=2, random_state=0, callbacks=callback, callbacks_every_iters=10,
                              verbose=False).fit(points.astype(np.float64))
    return DataMap(np.asarray(embedding, dtype=np.float32), labels.astype(np.int64), points)


def _to_bytes(made: DataMap) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, positions=made.positions, labels=made.labels, points=made.points)
    return buffer.getvalue()


def _load(path: Path) -> DataMap | None:
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as arrays:
            made = DataMap(arrays["positions"], arrays["labels"], arrays["points"])
        if made.positions.shape != (len(made.labels), 2) or len(made.points) != len(made.labels):
            raise ValueError("the arrays do not fit together")
    except Exception as error:  # unreadable or inconsistent: make it again, never crash
        store.discard(path, reason=f"{type(error).__name__}: {error}")
        return None
    return made


def _version(distribution: str) -> str:
    with contextlib.suppress(importlib.metadata.PackageNotFoundError):
        return importlib.metadata.version(distribution)
    return "missing"
