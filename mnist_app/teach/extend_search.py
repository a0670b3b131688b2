"""k-NN learns a class's handwriting the natural way: the class's digits join those it searches.

The MNIST-trained pipeline's transforms (e.g. its PCA) are kept as fitted; only the final
neighbours classifier is refitted on its MNIST rows plus the class's, on a copy.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline


def _neighbours(model: Any) -> KNeighborsClassifier | None:
    last = model.steps[-1][1] if isinstance(model, Pipeline) else model
    return last if isinstance(last, KNeighborsClassifier) and hasattr(last, "_fit_X") else None


def can_extend(model: Any) -> bool:
    """Whether ``model`` is a fitted k-NN (alone or at the end of a pipeline) over the ten digits."""
    found = _neighbours(model)
    return found is not None and list(found.classes_) == list(range(10))


def extend(base: Any, features: np.ndarray, targets: np.ndarray) -> Any:
    """A copy of ``base`` that also searches ``features`` (n, 784) labelled ``targets``."""
    model = copy.deepcopy(base)
    neighbours = _neighbours(model)
    assert neighbours is not None, "call can_extend first"
    rows = model[:-1].transform(features) if isinstance(model, Pipeline) else features
    old_rows = np.asarray(neighbours._fit_X)
    searched = np.concatenate([old_rows, np.asarray(rows, dtype=old_rows.dtype)])
    labels = np.concatenate([neighbours.classes_[neighbours._y], np.asarray(targets)])
    neighbours.fit(searched, labels)
    return model
