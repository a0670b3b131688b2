"""How good is each model? Accuracy, per-digit report, confusion matrix, every test prediction.

``evaluate(name)`` runs the model on the 10,000 MNIST test digits once and caches the
result beside the model (an ``.npz`` of arrays plus JSON figures, no pickle), so the
report pages load it in milliseconds afterwards.
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from mnist_app import data, models, preprocess
from mnist_app.data import MnistFileError, MnistUnavailableError, load_mnist
from mnist_app.models import store

N_CLASSES = models.N_CLASSES
#: Single-drawing latency: median of this many predict_proba calls on one test digit.
LATENCY_REPEATS = 30


@dataclass(frozen=True)
class ClassReport:
    """How the model does on one digit."""

    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Evaluation:
    """A model's results on the MNIST test set."""

    model: str
    accuracy: float
    report: dict[int, ClassReport]  # digit -> precision/recall/F1/support
    confusion: np.ndarray  # (10, 10) int64: row = true digit, column = predicted digit
    predicted: np.ndarray  # (n,) int64
    probabilities: np.ndarray  # (n, 10) float32
    labels: np.ndarray  # (n,) int64, the true digits
    fit_seconds: float  # training time when the model was trained
    size_bytes: int  # size of the cached model file
    latency_ms: float  # median predict_proba time for one digit (no preprocessing)

    @property
    def macro_f1(self) -> float:
        """Mean F1 over the ten digits."""
        return float(np.mean([row.f1 for row in self.report.values()]))

    @property
    def errors(self) -> np.ndarray:
        """Indices of the misclassified test digits."""
        return np.flatnonzero(self.predicted != self.labels)


_memo: dict[str, tuple[str, Evaluation]] = {}
_memo_lock = threading.Lock()
#: Evaluations seen complete, (name, model key, test files' stamp) -> accuracy.
_seen: dict[tuple[str, str, tuple[object, ...]], float] = {}


def evaluate(
    name: str,
    *,
    data_dir: str | os.PathLike[str] | None = None,
    progress: models.Progress | None = None,
) -> Evaluation:
    """The test-set evaluation of ``name`` (trained first if needed), computed once and cached."""
    report = progress or (lambda fraction, message: None)
    # Files are named by the model's key (so a model and its evaluation are kept or
    # removed together); the test data's checksum is checked inside.
    key = models.model_key(name, data_dir=data_dir)
    test_images, test_labels = load_mnist("test", data_dir)
    test_data = models.data_checksum(test_images, test_labels)
    with _memo_lock:
        hit = _memo.get(name)
    if hit is not None and hit[0] == (key, test_data):
        return hit[1]
    with store.locked(f"{name}.eval"):
        evaluation = _load_cached(name, key, test_data)
        if evaluation is None:
            evaluation = _compute(name, data_dir, test_images, test_labels, report)
            arrays, figures = _to_files(evaluation)
            store.save_evaluation(name, key, arrays, dict(figures, test_data=test_data))
        for array in (evaluation.confusion, evaluation.predicted, evaluation.probabilities,
                      evaluation.labels):
            array.flags.writeable = False  # shared between all callers through the memo
    with _memo_lock:
        _memo[name] = ((key, test_data), evaluation)
    report(1.0, f"{models.get_spec(name).display_name} evaluated")
    return evaluation


def forget_evaluations() -> None:
    """Drop the evaluations held in memory (they stay cached on disk): a fresh start, e.g. in tests."""
    with _memo_lock:
        _memo.clear()
        _seen.clear()


def is_evaluated(name: str, *, data_dir: str | os.PathLike[str] | None = None) -> bool:
    """Whether the evaluation of ``name`` is ready without computing (memory or disk); never downloads.

    Cheap enough for every model on every page view: the model's key is memoised, and a small
    JSON file is read only while the evaluation is not in memory yet.
    """
    return known_accuracy(name, data_dir=data_dir) is not None


def known_accuracy(name: str, *, data_dir: str | os.PathLike[str] | None = None) -> float | None:
    """The MNIST test accuracy of ``name`` if it has been evaluated, else None (never computes)."""
    try:
        key = models.model_key(name, data_dir=data_dir, download=False)
    except (MnistUnavailableError, MnistFileError, OSError):
        return None
    test_stamp = data.split_stamp("test", data_dir)
    if test_stamp is None:
        return None
    seen = _seen.get((name, key, test_stamp))
    if seen is not None:
        return seen
    test_images, test_labels = load_mnist("test", data_dir, download=False)
    test_data = models.data_checksum(test_images, test_labels)
    hit = _memo.get(name)
    if hit is not None and hit[0] == (key, test_data):
        accuracy = hit[1].accuracy
    else:
        arrays_file, figures_file = store.evaluation_paths(name, key)
        try:
            figures = json.loads(figures_file.read_text())
        except (OSError, ValueError):
            return None
        if not arrays_file.exists() or figures.get("test_data") != test_data:
            return None
        accuracy = float(figures["accuracy"])
    _seen[(name, key, test_stamp)] = accuracy  # an evaluation, once complete, stays valid for its key
    return accuracy


def _load_cached(name: str, key: str, test_data: str) -> Evaluation | None:
    cached = store.load_evaluation(name, key)
    if cached is None or cached[1].get("test_data") != test_data:
        return None  # nothing cached, or made on another test set: compute (and overwrite)
    try:
        return _from_files(name, *cached)
    except (KeyError, TypeError, ValueError) as error:  # readable but incomplete: rebuild
        store.discard(*store.evaluation_paths(name, key), reason=f"{type(error).__name__}: {error}")
        return None


def _compute(
    name: str,
    data_dir: str | os.PathLike[str] | None,
    test_images: np.ndarray,
    test_labels: np.ndarray,
    report: models.Progress,
) -> Evaluation:
    def model_progress(fraction: float, message: str) -> None:
        report(0.9 * fraction, message)

    model = models.get_model(name, data_dir=data_dir, progress=model_progress)
    info = models.model_info(name, data_dir=data_dir)
    display = models.get_spec(name).display_name
    report(0.9, f"Testing {display} on {len(test_labels):,} test digits")
    features = preprocess.prepare_training(test_images)
    probabilities = np.asarray(model.predict_proba(features), dtype=np.float32)
    labels = test_labels.astype(np.int64)
    predicted = probabilities.argmax(axis=1).astype(np.int64)
    digits = list(range(N_CLASSES))
    precision, recall, f1, support = precision_recall_fscore_support(
        labels, predicted, labels=digits, zero_division=0
    )
    return Evaluation(
        model=name,
        accuracy=float(np.mean(predicted == labels)),
        report={d: ClassReport(float(precision[d]), float(recall[d]), float(f1[d]), int(support[d]))
                for d in digits},
        confusion=confusion_matrix(labels, predicted, labels=digits).astype(np.int64),
        predicted=predicted,
        probabilities=probabilities,
        labels=labels,
        fit_seconds=float(info.get("fit_seconds", float("nan"))),
        size_bytes=int(info.get("size_bytes", 0)),
        latency_ms=_latency_ms(model, features[:1]),
    )


def _latency_ms(model: Any, one: np.ndarray) -> float:
    model.predict_proba(one)  # warm-up: first calls allocate
    times = []
    for _ in range(LATENCY_REPEATS):
        started = time.perf_counter()
        model.predict_proba(one)
        times.append(time.perf_counter() - started)
    return float(np.median(times) * 1000)


def _to_files(evaluation: Evaluation) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    arrays = {
        "confusion": evaluation.confusion,
        "predicted": evaluation.predicted,
        "probabilities": evaluation.probabilities,
        "labels": evaluation.labels,
    }
    figures = {
        "accuracy": evaluation.accuracy,
        "report": {str(d): vars(row) for d, row in evaluation.report.items()},
        "fit_seconds": evaluation.fit_seconds,
        "size_bytes": evaluation.size_bytes,
        "latency_ms": evaluation.latency_ms,
    }
    return arrays, figures


def _from_files(name: str, arrays: dict[str, np.ndarray], figures: dict[str, Any]) -> Evaluation:
    return Evaluation(
        model=name,
        accuracy=float(figures["accuracy"]),
        report={int(d): ClassReport(**row) for d, row in figures["report"].items()},
        confusion=arrays["confusion"],
        predicted=arrays["predicted"],
        probabilities=arrays["probabilities"],
        labels=arrays["labels"],
        fit_seconds=float(figures["fit_seconds"]),
        size_bytes=int(figures["size_bytes"]),
        latency_ms=float(figures["latency_ms"]),
    )
