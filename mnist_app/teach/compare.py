"""Before and after teaching, honestly measured: held-out class digits and the MNIST test digits.

Both the MNIST-trained model and the taught one answer through the one prediction path
(``models.predict_digits``; the taught one with ``model=``), so with the same calibration.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

from mnist_app import data, evaluation, models, preprocess
from mnist_app.models.registry import Progress

_test_memo: dict[int, tuple[np.ndarray, np.ndarray]] = {}
_memo_lock = threading.Lock()


@dataclass(frozen=True)
class Comparison:
    """One model before and after teaching: on the held-out class digits and on MNIST test."""

    model: str
    method: str  # "retrain" or "fine-tune"
    truth: np.ndarray  # (h,) int: the held-out digits' labels
    before: np.ndarray  # (h,) int: the MNIST-trained model's answers
    after: np.ndarray  # (h,) int: the taught model's answers
    mnist_before: float  # accuracy on the 10,000 MNIST test digits
    mnist_after: float
    n_taught: int  # class digits taught
    seconds: float  # teaching time (wall clock)

    @property
    def held_out_before(self) -> float:
        """Accuracy of the MNIST-trained model on the held-out class digits."""
        return float(np.mean(self.before == self.truth)) if len(self.truth) else float("nan")

    @property
    def held_out_after(self) -> float:
        """Accuracy of the taught model on the held-out class digits."""
        return float(np.mean(self.after == self.truth)) if len(self.truth) else float("nan")

    @property
    def now_right(self) -> np.ndarray:
        """Positions (in the held-out digits) that flipped from wrong to right."""
        return np.flatnonzero((self.before != self.truth) & (self.after == self.truth))

    @property
    def now_wrong(self) -> np.ndarray:
        """Positions (in the held-out digits) that flipped from right to wrong."""
        return np.flatnonzero((self.before == self.truth) & (self.after != self.truth))

    def to_json(self) -> dict[str, Any]:
        """Plain values for a JSON file (arrays as lists)."""
        return {"model": self.model, "method": self.method, "truth": self.truth.tolist(),
                "before": self.before.tolist(), "after": self.after.tolist(),
                "mnist_before": self.mnist_before, "mnist_after": self.mnist_after,
                "n_taught": self.n_taught, "seconds": self.seconds}

    @classmethod
    def from_json(cls, values: dict[str, Any]) -> Comparison:
        """The comparison ``to_json`` wrote."""
        arrays = {field: np.asarray(values[field], dtype=np.int64) for field in ("truth", "before", "after")}
        return cls(model=str(values["model"]), method=str(values["method"]), **arrays,
                   mnist_before=float(values["mnist_before"]), mnist_after=float(values["mnist_after"]),
                   n_taught=int(values["n_taught"]), seconds=float(values["seconds"]))


def answers(name: str, digits: np.ndarray, model: Any | None = None) -> np.ndarray:
    """The digit model ``name`` (or its variant ``model``) answers for each digit (n, 28, 28)."""
    if len(digits) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.argmax(models.predict_digits(digits, name, model=model), axis=1).astype(np.int64)


def mnist_test() -> tuple[np.ndarray, np.ndarray]:
    """The 10,000 MNIST test digits prepared as the models see them (n, 784), and their labels."""
    images, labels = data.load_mnist("test")
    with _memo_lock:
        hit = _test_memo.get(id(images))
        if hit is None or hit[0] is not images:
            hit = (images, preprocess.prepare_training(images))
            _test_memo.clear()
            _test_memo[id(images)] = hit
    return hit[1], labels.astype(np.int64)


def mnist_accuracy(name: str, model: Any | None = None) -> float:
    """Accuracy on the MNIST test digits: the cached evaluation for the MNIST-trained model."""
    if model is None:
        return float(evaluation.evaluate(name).accuracy)
    features, labels = mnist_test()
    return float(np.mean(answers(name, features, model) == labels))


def compare(name: str, model: Any, held_digits: np.ndarray, held_labels: np.ndarray, *, method: str,
            n_taught: int, seconds: float, progress: Progress | None = None) -> Comparison:
    """Model ``name`` before and ``model`` (its taught variant) after, on held-out and MNIST digits."""
    report = progress or (lambda fraction, message: None)
    title = models.get_spec(name).display_name
    report(0.0, f"Measuring {title} before and after teaching")
    before, after = answers(name, held_digits), answers(name, held_digits, model)
    mnist_before = mnist_accuracy(name)
    report(0.3, f"Measuring the taught {title} on the 10,000 MNIST test digits")
    mnist_after = mnist_accuracy(name, model)
    report(1.0, f"{title} measured")
    return Comparison(name, method, np.asarray(held_labels, dtype=np.int64), before, after,
                      mnist_before, mnist_after, n_taught, round(seconds, 2))
