"""Evidence maps: which pixels pushed a model towards a digit, and which pushed away.

``evidence(digit, name, target)`` is a float (28, 28) map: > 0 where the ink pushed the
model towards ``target`` (default: its answer), < 0 where it pushed away. Every map
answers the same question, "how much did the ink here, compared with no ink here, move
the model's score for the target?", so blank pixels always get 0. How it is answered
depends on what the model allows:

- logistic regression and naive Bayes add up one term per pixel: exact;
- the MLP and the CNN: integrated gradients (:mod:`mnist_app.explain.gradients`);
- k-NN: erasing ink moves the drawing in the model's PCA space; the score is how much
  nearer the drawing is to training digits of the target than to the others;
- the SVM, the random forest and the decision tree: erasing each bit of ink (occlusion)
  and asking the model again, through ``models.predict_digits``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from scipy import ndimage

from mnist_app import models
from mnist_app.explain import gradients
from mnist_app.explain.neighbours import SIDE, as_digit, knn_space, project

#: A pixel at least this bright counts as ink (the digits are slightly blurred).
INK_LEVEL = 0.1
#: Occlusion erases this square of ink around each ink pixel.
WINDOW = 3
#: Probabilities are clipped here before taking log-odds (vote fractions reach 0 and 1).
PROBABILITY_FLOOR = 1e-3
#: k-NN score: mean distance to this many nearest training digits of a class.
KNN_CLASS_NEIGHBOURS = 4


def ink_mask(digit: np.ndarray) -> np.ndarray:
    """Bool (28, 28): the ink pixels of a preprocessed digit."""
    return as_digit(digit) >= INK_LEVEL


def evidence(digit: np.ndarray, name: str, target: int | None = None) -> np.ndarray:
    """Float (28, 28): > 0 where the drawing's ink pushed model ``name`` towards ``target``.

    ``digit``: what ``to_mnist`` returns. ``target``: a digit 0-9, default the model's answer.
    Raises ValueError for a bad digit or target, ``models.UnknownModelError`` for a bad name.
    """
    models.get_spec(name)
    pixels = as_digit(digit).reshape(-1).astype(np.float64)
    if target is None:
        target = int(np.argmax(models.predict_digits(pixels, name)[0]))
    if target not in range(models.N_CLASSES):
        raise ValueError(f"target must be a digit from 0 to 9, got {target!r}")
    explain = _EXPLAINERS.get(name, _occlusion_evidence)
    with models.one_native_thread():  # small matrices: thread start-up and a busy machine cost more
        result = explain(pixels, name, int(target))
    return np.asarray(result, dtype=np.float64).reshape(SIDE, SIDE)


# --- exact: one term per pixel ----------------------------------------------------------------


def _logistic_evidence(pixels: np.ndarray, name: str, target: int) -> np.ndarray:
    # The logits are weights . pixels + bias; the softmax only sees logits relative to each
    # other, so a pixel's push is its weight for the target minus its mean weight, times its ink.
    weights = models.get_model(name).coef_
    return (weights[target] - weights.mean(axis=0)) * pixels


def _naive_bayes_evidence(pixels: np.ndarray, name: str, target: int) -> np.ndarray:
    # Each pixel adds log N(value; mean, var) per digit; ink x instead of blank changes it by
    # x (2 mean - x) / (2 var). Again relative to the mean over the digits.
    model = models.get_model(name)
    change = pixels * (2.0 * model.theta_ - pixels) / (2.0 * model.var_)  # (10, 784)
    return change[target] - change.mean(axis=0)


# --- gradients ----------------------------------------------------------------------------------


def _mlp_evidence(pixels: np.ndarray, name: str, target: int) -> np.ndarray:
    return gradients.mlp_evidence(models.get_model(name), pixels, target)


def _cnn_evidence(pixels: np.ndarray, name: str, target: int) -> np.ndarray:
    return gradients.cnn_evidence(models.get_model(name), pixels, target)


# --- erasing ink ----------------------------------------------------------------------------------


def erasures(pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where to erase and what remains: window centres (flat indices) and the erased digits (n, 784).

    Centres are the ink pixels on every other row and column: WINDOW x WINDOW squares
    around them still cover nearly all the ink, at a quarter of the cost of a window per
    ink pixel (and few enough rows for one thread, see ``models.ONE_THREAD_ROWS``).
    """
    ink = pixels.reshape(SIDE, SIDE) >= INK_LEVEL
    rows, cols = np.indices((SIDE, SIDE))
    centres = np.flatnonzero(ink & (rows % 2 == 0) & (cols % 2 == 0))
    if not len(centres):  # e.g. a single ink pixel on an odd square
        centres = np.flatnonzero(ink)
    windows = np.zeros((len(centres), SIDE * SIDE), dtype=bool)
    windows[np.arange(len(centres)), centres] = True
    # Grow each centre into a WINDOW x WINDOW square (only along the image axes).
    grown = ndimage.binary_dilation(windows.reshape(-1, SIDE, SIDE),
                                    structure=np.ones((1, WINDOW, WINDOW), dtype=bool))
    return centres, np.where(grown.reshape(len(centres), -1), 0.0, pixels[None, :])


def log_odds(probabilities: np.ndarray, target: int) -> np.ndarray:
    """Log-odds of ``target`` per row, probabilities clipped to [floor, 1 - floor]."""
    chance = np.clip(probabilities[:, target], PROBABILITY_FLOOR, 1.0 - PROBABILITY_FLOOR)
    return np.log(chance) - np.log1p(-chance)


def _occlusion(pixels: np.ndarray, target: int, score: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Per ink pixel: the mean fall of the score when a window around it is erased."""
    centres, erased = erasures(pixels)
    if not len(centres):
        return np.zeros(SIDE * SIDE)
    scores = score(np.vstack([pixels[None, :], erased]))
    falls, counts = np.zeros(SIDE * SIDE), np.zeros(SIDE * SIDE)
    falls[centres], counts[centres] = scores[0] - scores[1:], 1.0
    # Each pixel gets the mean fall of the windows that covered it (sums over WINDOW x WINDOW).
    square = np.ones((WINDOW, WINDOW))
    total = ndimage.convolve(falls.reshape(SIDE, SIDE), square, mode="constant")
    covered = ndimage.convolve(counts.reshape(SIDE, SIDE), square, mode="constant")
    ink = pixels.reshape(SIDE, SIDE) >= INK_LEVEL
    return np.where(ink & (covered > 0), total / np.maximum(covered, 1.0), 0.0).reshape(-1)


def _occlusion_evidence(pixels: np.ndarray, name: str, target: int) -> np.ndarray:
    return _occlusion(pixels, target, lambda rows: log_odds(models.predict_digits(rows, name), target))


def _knn_evidence(pixels: np.ndarray, name: str, target: int) -> np.ndarray:
    return _occlusion(pixels, target, knn_margin(pixels, target))


def knn_margin(pixels: np.ndarray, target: int) -> Callable[[np.ndarray], np.ndarray]:
    """A score for digits near ``pixels``: mean distance to the nearest other training digits
    minus mean distance to the nearest training digits of ``target`` (in the k-NN's space).

    The candidates are the training digits nearest to ``pixels`` itself: erasing a little ink
    moves the drawing only a little, so its nearest digits stay among them.
    """
    space = knn_space()
    point = project(pixels)
    squared = space.squared_norms - 2.0 * space.points @ point
    pools = [np.flatnonzero(space.labels == target), np.flatnonzero(space.labels != target)]
    candidates = [pool[np.argsort(squared[pool])[:8 * KNN_CLASS_NEIGHBOURS]] for pool in pools]

    def score(rows: np.ndarray) -> np.ndarray:
        points = np.asarray(space.projection.transform(rows.astype(np.float32)), dtype=np.float64)
        mean_distance = []
        for chosen in candidates:
            distances = np.linalg.norm(points[:, None, :] - space.points[chosen][None, :, :], axis=2)
            mean_distance.append(np.sort(distances, axis=1)[:, :KNN_CLASS_NEIGHBOURS].mean(axis=1))
        return mean_distance[1] - mean_distance[0]

    return score


_EXPLAINERS: dict[str, Callable[[np.ndarray, str, int], Any]] = {
    "logistic_regression": _logistic_evidence,
    "naive_bayes": _naive_bayes_evidence,
    "mlp": _mlp_evidence,
    "cnn": _cnn_evidence,
    "knn": _knn_evidence,
}
