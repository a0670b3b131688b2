"""The training digits nearest to a drawing, in the space the k-NN model searches.

The k-NN model (``models.get_model("knn")``) is a pipeline: PCA to 40 numbers per digit,
then a k-nearest-neighbours vote. Distances here are measured exactly where that vote
measures them: between PCA projections. The model was fitted on the 60,000 MNIST
training digits followed by a thinner-or-thicker copy of each (``preprocess.augment_digits``);
:func:`neighbours` searches the 60,000 real MNIST digits only, so a student sees eight
different digits rather than a digit and its own copy. :func:`voters` are the model's
actual voters, copies included, each named by the MNIST digit it was made from.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

from mnist_app import data, models, preprocess
from mnist_app.models import fast_answers, knn_search, training

KNN_MODEL = "knn"
SIDE = 28


@dataclass(frozen=True)
class Neighbour:
    """A training digit near the drawing: its MNIST training index, label and distance."""

    index: int  # position in the MNIST training split (load_mnist("train"))
    label: int
    distance: float  # Euclidean, between PCA projections (the k-NN model's own distance)
    image: np.ndarray  # float32 (28, 28) in [0, 1]: the digit as the models were trained on it


@dataclass(frozen=True)
class Voter(Neighbour):
    """One of the k-NN model's voters for a drawing, with its share of the vote."""

    weight: float = 0.0  # share of the vote (distance weighting), the voters' weights sum to 1
    copy: bool = False  # a copy of training digit ``index`` the model also learned, not the digit itself
    kind: str = "digit"  # or "varied copy" (thinner or thicker), or the writing style of a restyled copy


@dataclass
class _Space:
    model: Any  # the fitted k-NN pipeline this space belongs to
    projection: Any  # the fitted PCA
    points: np.ndarray  # float64 (60000, 40): PCA projections of the MNIST training digits
    squared_norms: np.ndarray  # (60000,)
    labels: np.ndarray  # (60000,) int
    n_real: int  # the fitted rows below this index are real MNIST digits, the rest copies


_space: _Space | None = None
_space_lock = threading.Lock()


def as_digit(digit: np.ndarray) -> np.ndarray:
    """One preprocessed digit as float32 (28, 28); a ValueError for anything else."""
    array = np.asarray(digit, dtype=np.float32)
    if array.size != SIDE * SIDE or array.ndim not in (1, 2):
        raise ValueError(f"expected one 28x28 digit as to_mnist returns, got shape {array.shape}")
    return array.reshape(SIDE, SIDE)


def knn_space() -> _Space:
    """The k-NN model's search space over the real MNIST training digits (built once per model)."""
    global _space
    model = models.get_model(KNN_MODEL)
    with _space_lock:
        if _space is None or _space.model is not model:
            projection, vote = model[0], model[-1]
            images, labels = data.load_mnist("train")
            n_real = len(labels)
            # The fitted rows start with the real digits in load_mnist order (models.training).
            points = np.asarray(vote._fit_X[:n_real], dtype=np.float64)
            _space = _Space(model, projection, points, np.einsum("ij,ij->i", points, points),
                            np.asarray(labels, dtype=np.int64), n_real)
        return _space


def project(digit: np.ndarray) -> np.ndarray:
    """The digit's point in the k-NN model's space: float64 (40,)."""
    space = knn_space()
    rows = as_digit(digit).reshape(1, -1)
    return np.asarray(fast_answers.projected(space.projection, rows), dtype=np.float64)[0]


def neighbours(digit: np.ndarray, k: int = 8) -> list[Neighbour]:
    """The ``k`` MNIST training digits nearest to ``digit`` in the k-NN model's space, nearest first.

    ``digit``: what ``to_mnist`` returns. Raises ValueError for a bad digit or ``k``.
    """
    space = knn_space()
    if not 1 <= k <= len(space.points):
        raise ValueError(f"k must be between 1 and {len(space.points)}, got {k}")
    distances, nearest = _nearest_real(space, digit, k)
    images = training_digits(nearest)
    return [Neighbour(int(index), int(space.labels[index]), float(distance), image)
            for index, distance, image in zip(nearest, distances, images, strict=True)]


def nearest_distance(digit: np.ndarray) -> float:
    """``neighbours(digit, k=1)[0].distance`` without fetching the digit's picture (the verdict's
    signal, on every stroke)."""
    return float(_nearest_real(knn_space(), digit, 1)[0][0])


def _nearest_real(space: _Space, digit: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    # The k-NN model's own search (its stored points' first rows are the real digits), measured
    # as its k-d tree measures: after the model's answer for the same drawing, this reuses that
    # answer's pass over the points (models.knn_search).
    return knn_search.nearest(space.model[-1], project(digit), k, space.n_real)


def voters(digit: np.ndarray) -> list[Voter]:
    """The k-NN model's own voters for ``digit`` (copies included), nearest first, with their weights."""
    space = knn_space()
    vote = space.model[-1]
    point = project(digit).reshape(1, -1).astype(np.float32)
    distances, rows = vote.kneighbors(point)
    distances, rows = distances[0].astype(np.float64), rows[0]
    # weights="distance": each voter counts 1/distance (an exact match takes the whole vote).
    inverse = 1.0 / np.maximum(distances, 1e-12)
    weights = inverse / inverse.sum()
    # Rows past the real digits are copies (thinner or thicker, or restyled): show the copy itself.
    images, sources, kinds = training.training_pictures(models.get_spec(KNN_MODEL), rows)
    labels = vote.classes_[vote._y[rows]]
    return [Voter(int(source), int(label), float(distance), image, float(weight),
                  bool(row >= space.n_real), kind)
            for source, row, label, distance, weight, image, kind
            in zip(sources, rows, labels, distances, weights, images, kinds, strict=True)]


def training_digits(indices: np.ndarray) -> np.ndarray:
    """MNIST training digits as the models were trained on them: float32 (n, 28, 28)."""
    images, _ = data.load_mnist("train")
    selected = images[np.asarray(indices, dtype=np.int64)]
    if not len(selected):
        return np.zeros((0, SIDE, SIDE), dtype=np.float32)
    return preprocess.prepare_training(selected).reshape(-1, SIDE, SIDE)
