"""Is an evidence map faithful? Erase the ink it calls strongest and see the answer weaken.

For each digit: erase the ``share`` of its ink pixels with the most positive evidence for
the model's answer, and as many ink pixels chosen at random; a faithful map makes the
first erasure lower the answer's probability clearly more than the second.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mnist_app import models
from mnist_app.explain.evidence import INK_LEVEL, evidence


@dataclass(frozen=True)
class Faithfulness:
    """Mean fall of the answer's probability after erasing the strongest vs random ink."""

    model: str
    n_digits: int
    strongest_drop: float  # mean over digits, erasing the ink with the most positive evidence
    random_drop: float  # mean over digits, erasing as many random ink pixels


def erasure_drops(digit: np.ndarray, name: str, rng: np.random.Generator,
                  share: float = 0.1) -> tuple[float, float]:
    """(fall erasing the strongest ink, fall erasing random ink) of the answer's probability."""
    pixels = np.asarray(digit, dtype=np.float64).reshape(-1)
    before = models.predict_digits(pixels, name)[0]
    answer = int(np.argmax(before))
    ink = np.flatnonzero(pixels >= INK_LEVEL)
    count = max(1, math.ceil(share * len(ink)))
    scores = evidence(pixels, name, answer).reshape(-1)[ink]
    strongest = ink[np.argsort(-scores, kind="stable")[:count]]
    chosen = rng.choice(ink, size=count, replace=False)
    erased = np.repeat(pixels[None, :], 2, axis=0)
    erased[0, strongest] = 0.0
    erased[1, chosen] = 0.0
    after = models.predict_digits(erased, name)[:, answer]
    return float(before[answer] - after[0]), float(before[answer] - after[1])


def faithfulness(digits: np.ndarray, name: str, seed: int = 0, share: float = 0.1) -> Faithfulness:
    """Mean falls over ``digits`` (n, 28, 28) for model ``name``; see :func:`erasure_drops`."""
    rng = np.random.default_rng(seed)
    drops = np.array([erasure_drops(digit, name, rng, share) for digit in digits])
    return Faithfulness(name, len(digits), float(drops[:, 0].mean()), float(drops[:, 1].mean()))
