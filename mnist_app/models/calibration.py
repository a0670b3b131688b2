"""Probabilities that mean what they say: temperature scaling, calibration error, reliability.

A model is calibrated when, of the digits it answers "90% sure", about 90% are right.
Temperature scaling divides the log-probabilities by one number T per model and
renormalises: T > 1 softens over-confident answers, T < 1 sharpens timid ones. It is
monotone, so no model's answer (the most likely digit) ever changes, only how sure it is.

``TEMPERATURES`` holds the fitted T of the models where it measurably helps on drawn
digits (fitted by ``benchmarks/bench_verdict.py --fit-temperatures`` on one seeded set of
drawn digits, checked on another; figures in docs/benchmarks.md). ``models.predict_digits``,
the one prediction path, applies them; a model not listed is left as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize_scalar

#: Fitted temperatures (model name -> T), only where calibration helped on held-out drawn digits.
TEMPERATURES: dict[str, float] = {
    "cnn": 0.65,  # under-confident (trained with label smoothing): sharpened
    "random_forest": 0.505,  # votes of 50 trees are timid: sharpened
    "decision_tree": 6.196,  # leaves answer 100% sure: softened
    "naive_bayes": 6.826,  # famously over-confident: softened
}
#: Probabilities are floored here before taking logarithms (a model may answer exactly 0).
FLOOR = 1e-12
ECE_BINS = 15


def calibrate(probabilities: np.ndarray, name: str) -> np.ndarray:
    """Model ``name``'s probabilities (n, 10) with its fitted temperature applied (if it has one)."""
    temperature = TEMPERATURES.get(name)
    if temperature is None:
        return probabilities
    return with_temperature(probabilities, temperature)


def with_temperature(probabilities: np.ndarray, temperature: float) -> np.ndarray:
    """Probabilities (n, 10) scaled by ``temperature``: softmax(log p / T); each row sums to 1."""
    if temperature <= 0:
        raise ValueError(f"the temperature must be positive, got {temperature}")
    logits = np.log(np.maximum(np.asarray(probabilities, dtype=np.float64), FLOOR)) / temperature
    logits -= logits.max(axis=-1, keepdims=True)
    scaled = np.exp(logits)
    return scaled / scaled.sum(axis=-1, keepdims=True)


def fit_temperature(probabilities: np.ndarray, labels: np.ndarray) -> float:
    """The temperature that minimises the negative log-likelihood of ``labels`` (0.05 to 20)."""
    labels = np.asarray(labels, dtype=np.int64)

    def loss(log_temperature: float) -> float:
        scaled = with_temperature(probabilities, float(np.exp(log_temperature)))
        return float(-np.mean(np.log(np.maximum(scaled[np.arange(len(labels)), labels], FLOOR))))

    result = minimize_scalar(loss, bounds=(np.log(0.05), np.log(20.0)), method="bounded")
    return float(np.exp(result.x))


@dataclass(frozen=True)
class Reliability:
    """A reliability diagram's data: per confidence bin, how sure the model was and how often right."""

    confidence: np.ndarray  # (bins,) mean confidence of the answers in each bin (NaN: empty bin)
    accuracy: np.ndarray  # (bins,) share of those answers that were right (NaN: empty bin)
    count: np.ndarray  # (bins,) int, answers in each bin
    edges: np.ndarray  # (bins + 1,) bin edges on [0, 1]

    @property
    def error(self) -> float:
        """Expected calibration error: the count-weighted mean gap |accuracy - confidence|."""
        filled = self.count > 0
        if not filled.any():
            return 0.0
        gaps = np.abs(self.accuracy[filled] - self.confidence[filled])
        return float(np.sum(gaps * self.count[filled]) / self.count.sum())


def reliability(probabilities: np.ndarray, labels: np.ndarray, bins: int = ECE_BINS) -> Reliability:
    """Bin the answers (the most likely digit) by confidence; see :class:`Reliability`."""
    probabilities = np.asarray(probabilities, dtype=np.float64)
    confidence = probabilities.max(axis=1)
    right = probabilities.argmax(axis=1) == np.asarray(labels)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)
    count = np.bincount(which, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_confidence = np.bincount(which, weights=confidence, minlength=bins) / count
        accuracy = np.bincount(which, weights=right.astype(np.float64), minlength=bins) / count
    return Reliability(mean_confidence, accuracy, count, edges)


def expected_calibration_error(probabilities: np.ndarray, labels: np.ndarray, bins: int = ECE_BINS) -> float:
    """Expected calibration error (0 = perfect), over ``bins`` equal-width confidence bins."""
    return reliability(probabilities, labels, bins).error
