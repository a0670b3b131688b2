"""The k-NN model's nearest stored digits by one brute-force pass, the same as its k-d tree's.

A drawing asks the k-NN model for its 4 nearest stored digits (its k-d tree: ~4 ms for one
digit among 135,000 points in 40 dimensions), and the verdict for the nearest *real*
MNIST digit (the first 60,000 of them). One pass over every stored point serves both: a
float32 score ``|x|^2 / 2 - x . p`` per point (one matrix-vector product over a transposed
copy, below a millisecond), the few points that can be nearest kept by a bound on that
score's rounding error, then those few points' distances computed exactly as the k-d tree
computes them (a sequential sum of squared differences in float64). The neighbours and
their distances are therefore the tree's own, bit for bit (tests/test_knn_search.py);
where the order is not certain (two points tied at the k-th place) :func:`query` returns
None and the caller asks the tree.

The last pass is remembered per thread, so the verdict's question about the same drawing
(``nearest(...)``) costs only the few exact distances.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np

#: Points per block when bounding the k-th smallest score by the blocks' minima.
BLOCK = 128
_UNIT = 2.0 ** -24  # float32's unit roundoff


@dataclass(frozen=True)
class _Index:
    transposed: np.ndarray  # float32 (d, n): the stored points, one row per dimension
    points: np.ndarray  # float64 (n, d): the k-d tree's own copy of them
    half_norms: np.ndarray  # float32 (n,): |x|^2 / 2
    max_norm: float
    max_half_norm: float


@dataclass(frozen=True)
class _Scores:
    index: _Index
    point: np.ndarray  # float64 (d,)
    scores: np.ndarray  # float32 (n,): |x|^2 / 2 - x . point, the squared distance halved minus a constant
    slack: float  # bound on any score's rounding error


_indexes: weakref.WeakKeyDictionary[Any, _Index] = weakref.WeakKeyDictionary()
_indexes_lock = threading.Lock()
_last = threading.local()  # .key, .scores: this thread's last pass


def query(vote: Any, rows: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray] | None:
    """``vote._tree.query(rows, k, return_distance=True)`` for a fitted k-d tree or ball tree
    k-NN (Euclidean): (distances (n, k), indices (n, k)), nearest first, or None when a tie at
    the k-th place leaves the tree's choice open (then ask the tree)."""
    index = _index(vote)
    distances = np.empty((len(rows), k))
    indices = np.empty((len(rows), k), dtype=np.intp)
    for row, point in enumerate(np.asarray(rows)):
        found = _nearest(_scored(vote, index, point), k, len(index.half_norms), strict=True)
        if found is None:
            return None
        distances[row], indices[row] = found
    return distances, indices


def nearest(vote: Any, point: np.ndarray, k: int, limit: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` stored points nearest to ``point`` among the first ``limit``: (distances,
    indices), nearest first, distances as the k-d tree computes them (ties in stored order)."""
    found = _nearest(_scored(vote, _index(vote), point), k, limit, strict=False)
    assert found is not None  # only a strict search gives up on ties
    return found


def usable(vote: Any) -> bool:
    """Whether ``vote`` is a k-NN this module searches like its tree (Euclidean, dense points)."""
    tree = getattr(vote, "_tree", None)
    return (getattr(vote, "_fit_method", None) in ("kd_tree", "ball_tree") and tree is not None
            and getattr(vote, "effective_metric_", None) == "euclidean"
            and np.asarray(tree.data).dtype == np.float64)


def _index(vote: Any) -> _Index:
    with _indexes_lock:
        index = _indexes.get(vote)
        if index is None:
            tree = getattr(vote, "_tree", None)  # a brute-force k-NN keeps only its points
            points = np.asarray(vote._fit_X if tree is None else tree.data, dtype=np.float64)
            squared = np.einsum("ij,ij->i", points, points)
            index = _Index(np.ascontiguousarray(points.T, dtype=np.float32), points,
                           (squared / 2).astype(np.float32), float(np.sqrt(squared.max(initial=0.0))),
                           float(squared.max(initial=0.0) / 2))
            _indexes[vote] = index
        return index


def _scored(vote: Any, index: _Index, point: np.ndarray) -> _Scores:
    point = np.asarray(point, dtype=np.float64).reshape(-1)
    key = point.tobytes()
    last = getattr(_last, "scores", None)
    if last is not None and last.index is index and _last.key == key:
        return last
    # The tree measures between float64 points; the stored points are float32 values, and so is
    # a drawing's projection, so float32 loses nothing here but the product's rounding.
    scores = index.half_norms - point.astype(np.float32) @ index.transposed
    norm = float(np.sqrt(point @ point))
    dimensions = len(point)
    product_error = dimensions * _UNIT / (1 - dimensions * _UNIT) * index.max_norm * norm
    rounding = _UNIT * (2 * index.max_half_norm + index.max_norm * norm)
    result = _Scores(index, point, scores, 2.0 * (product_error + rounding) + 1e-9)
    _last.key, _last.scores = key, result
    return result


def _nearest(scored: _Scores, k: int, limit: int, *, strict: bool) -> tuple[np.ndarray, np.ndarray] | None:
    scores = scored.scores[:limit]
    # Every point whose score is within twice the slack of the k-th smallest might be among the k.
    kth = _kth_smallest_bound(scores, k)
    candidates = np.flatnonzero(scores <= kth + 2 * scored.slack)
    squared = _tree_distances(scored.index.points[candidates], scored.point)
    order = np.argsort(squared, kind="stable")
    if strict and len(order) > k and squared[order[k - 1]] == squared[order[k]]:
        return None
    chosen = order[:k]
    return np.sqrt(squared[chosen]), candidates[chosen]


def _kth_smallest_bound(scores: np.ndarray, k: int) -> float:
    """A value at least the ``k``-th smallest score, reached by at least ``k`` scores."""
    starts = np.arange(0, len(scores), BLOCK)
    if k * 4 > len(starts):
        return float(np.partition(scores, k - 1)[k - 1])
    # The k smallest block minima are k different scores: the k-th of them bounds the k-th score.
    minima = np.minimum.reduceat(scores, starts)
    return float(np.partition(minima, k - 1)[k - 1])


def _tree_distances(points: np.ndarray, point: np.ndarray) -> np.ndarray:
    """Squared distances summed dimension by dimension in order, as the tree's C loop sums them."""
    differences = points - point
    return np.cumsum(differences * differences, axis=1)[:, -1] if len(points) else np.zeros(0)
