"""The SVM learns a class's handwriting from its support vectors plus the class's digits.

An SVM's decision depends only on its support vectors (about a tenth of MNIST here), so
refitting on them plus the class's digits gives the MNIST solution extended by the class,
in a fraction of the full training time. The pipeline's transforms (its PCA) stay as fitted;
the calibrated SVC is refitted, with its own settings, on a copy.
"""

from __future__ import annotations

import copy
import warnings
from typing import Any

import joblib
import numpy as np
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import Pipeline
from sklearn.svm import SVC


def _calibrated_svc(model: Any) -> tuple[CalibratedClassifierCV, SVC] | None:
    last = model.steps[-1][1] if isinstance(model, Pipeline) else model
    if not isinstance(last, CalibratedClassifierCV) or not hasattr(last, "calibrated_classifiers_"):
        return None
    if len(last.calibrated_classifiers_) != 1:  # ensemble=True: several SVCs, each on part of the data
        return None
    svc = last.calibrated_classifiers_[0].estimator
    return (last, svc) if isinstance(svc, SVC) and hasattr(svc, "support_vectors_") else None


def can_extend(model: Any) -> bool:
    """Whether ``model`` ends in one fitted, calibrated SVC over the ten digits."""
    found = _calibrated_svc(model)
    return found is not None and list(found[1].classes_) == list(range(10))


def extend(base: Any, features: np.ndarray, targets: np.ndarray) -> Any:
    """A copy of ``base`` refitted on its support vectors plus ``features`` (n, 784), ``targets``."""
    model = copy.deepcopy(base)
    found = _calibrated_svc(model)
    assert found is not None, "call can_extend first"
    calibrated, svc = found
    rows = model[:-1].transform(features) if isinstance(model, Pipeline) else features
    vectors = np.asarray(svc.support_vectors_)
    labels = np.repeat(svc.classes_, svc.n_support_)
    refitted = clone(calibrated)
    with joblib.parallel_config(n_jobs=-1), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        refitted.fit(np.concatenate([vectors, np.asarray(rows, dtype=vectors.dtype)]),
                     np.concatenate([labels, np.asarray(targets)]))
    if isinstance(model, Pipeline):
        model.steps[-1] = (model.steps[-1][0], refitted)
        return model
    return refitted
