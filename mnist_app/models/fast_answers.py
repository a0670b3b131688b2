"""A few digits answered without scikit-learn's per-call checks: the same arithmetic, cheaper.

Every ``predict_proba`` call in scikit-learn validates its input (dtype, shape, finiteness,
"is it a dataframe?") at every step of a pipeline and for every calibrator; for one drawing
that costs more than the answer itself (SVM 6.9 ms, of which the support vectors 1 ms). The
drawing page asks every model on every stroke of every student, so ``probabilities`` does
the known models' own arithmetic on already-checked input (a (n, 784) float32 array from
:func:`mnist_app.models.predict_digits`), in the same order, giving the same numbers. Any
other model, or a known one with settings this module does not cover, answers through its
own ``predict_proba`` (``probabilities`` returns None). ``tests/test_fast_answers.py`` checks
the answers against scikit-learn's for every model.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
from scipy.special import expit
from sklearn.calibration import CalibratedClassifierCV
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils.extmath import softmax

from mnist_app.models import knn_search
from mnist_app.models.quick_forest import QuickForest


def probabilities(model: Any, features: np.ndarray) -> np.ndarray | None:
    """``model.predict_proba(features)`` computed without the per-call checks, or None when
    ``model`` is not one this module knows (then ask the model itself).

    ``features``: float32 (n, 784), C-contiguous, finite (what ``predict_digits`` passes).
    """
    try:
        if isinstance(model, Pipeline):
            return _pipeline(model, features)
        return _final_step(model, features)
    except (AttributeError, TypeError, ImportError):
        # A scikit-learn whose private attributes differ from the tested one: its own path.
        return None


def _pipeline(pipeline: Pipeline, features: np.ndarray) -> np.ndarray | None:
    *transforms, (_, final) = pipeline.steps
    rows: np.ndarray | None = features
    for _, step in transforms:
        rows = _pca(step, rows) if rows is not None else None
    return _final_step(final, rows) if rows is not None else None


def projected(step: Any, rows: np.ndarray) -> np.ndarray:
    """``step.transform(rows)`` for finite float32 (n, 784) ``rows``: without checks for a plain PCA."""
    fast = _pca(step, rows)
    return step.transform(rows) if fast is None else fast


def _pca(step: Any, rows: np.ndarray) -> np.ndarray | None:
    # PCA.transform without validation: float32 input stays float32, as validate_data leaves it.
    if type(step) is not PCA or step.whiten:
        return None
    return step._transform(rows, xp=np, x_is_centered=False)


def _final_step(model: Any, rows: np.ndarray) -> np.ndarray | None:
    if type(model) is QuickForest:
        return model.predict_proba(rows)
    if type(model) is DecisionTreeClassifier and model.n_outputs_ == 1:
        return _tree_proba(model, np.ascontiguousarray(rows, dtype=np.float32))
    if type(model) is CalibratedClassifierCV:
        return _calibrated_svc(model, rows)
    if type(model) is KNeighborsClassifier:
        return _knn(model, rows)
    if type(model) is LogisticRegression and len(model.classes_) > 2 and model.coef_.ndim == 2:
        return softmax(rows @ model.coef_.T + model.intercept_, copy=False)  # its decision_function, softmax
    if type(model) is MLPClassifier and model.n_outputs_ > 1:
        return model._forward_pass_fast(rows, check_input=False)
    if type(model) is GaussianNB:
        return _gaussian_nb(model, rows)
    return None


def _gaussian_nb(model: GaussianNB, rows: np.ndarray) -> np.ndarray:
    """``GaussianNB.predict_proba``: exp of the joint log-likelihood normalised by its logsumexp."""
    from sklearn.utils._array_api import _logsumexp  # private: a scikit-learn without it answers itself

    joint = model._joint_log_likelihood(rows)
    return np.exp(joint - np.atleast_2d(_logsumexp(joint, axis=1, xp=np)).T)


def _tree_proba(tree: DecisionTreeClassifier, rows: np.ndarray) -> np.ndarray:
    """``DecisionTreeClassifier.predict_proba`` for float32 C-contiguous rows (one output)."""
    return tree.tree_.predict(rows)[:, : tree.n_classes_]


def _calibrated_svc(model: CalibratedClassifierCV, rows: np.ndarray) -> np.ndarray | None:
    """A sigmoid-calibrated RBF SVC's probabilities, as ``CalibratedClassifierCV.predict_proba``."""
    parts = model.calibrated_classifiers_
    if not all(_is_plain_svc_sigmoid(part) for part in parts) or len(model.classes_) <= 2:
        return None
    mean = np.zeros((len(rows), model.classes_.shape[0]))
    for part in parts:
        mean += _svc_sigmoid_proba(part, rows)
    mean /= len(parts)
    return mean


def _is_plain_svc_sigmoid(part: Any) -> bool:
    svc = part.estimator
    return (part.method == "sigmoid" and type(svc) is SVC and isinstance(svc.kernel, str)
            and not svc._sparse and svc.decision_function_shape == "ovr")


def _svc_sigmoid_proba(part: Any, rows: np.ndarray) -> np.ndarray:
    svc = part.estimator
    dense = np.ascontiguousarray(rows, dtype=np.float64)  # what SVC's own validation gives libsvm
    pairwise = svc._dense_decision_function(dense)
    n_classes = len(svc.classes_)
    decision = ovr_decision_function(pairwise < 0, -pairwise, n_classes)
    proba = np.zeros((len(rows), part.classes.shape[0]))
    positions = np.searchsorted(np.unique(part.classes), svc.classes_)  # LabelEncoder's transform
    for index, column, calibrator in zip(positions, decision.T, part.calibrators, strict=False):
        proba[:, index] = expit(-(calibrator.a_ * column + calibrator.b_))
    denominator = np.sum(proba, axis=1)[:, np.newaxis]
    uniform = np.full_like(proba, 1 / proba.shape[1])
    return np.divide(proba, denominator, out=uniform, where=denominator != 0)


def _knn(model: KNeighborsClassifier, rows: np.ndarray) -> np.ndarray | None:
    """A k-d tree or ball tree k-NN with distance weights, as its ``predict_proba`` computes it."""
    if (model._fit_method not in ("kd_tree", "ball_tree") or model.weights != "distance"
            or model.outputs_2d_):
        return None
    rows = np.ascontiguousarray(rows)
    # One brute-force pass finds the tree's own neighbours and distances, cheaper for a drawing.
    found = knn_search.query(model, rows, model.n_neighbors) if knn_search.usable(model) else None
    distances, neighbours = found if found is not None else model._tree.query(rows, model.n_neighbors, True)
    with np.errstate(divide="ignore"):
        weights = 1.0 / distances
    exact = np.isinf(weights)  # a stored digit at distance 0 alone decides, as in scikit-learn
    exact_rows = np.any(exact, axis=1)
    weights[exact_rows] = exact[exact_rows]
    labels = model._y[neighbours]
    proba = np.zeros((len(rows), model.classes_.size))
    all_rows = np.arange(len(rows))
    for column, label in enumerate(labels.T):
        proba[all_rows, label] += weights[:, column]
    proba /= proba.sum(axis=1)[:, np.newaxis]
    return proba


def ovr_decision_function(predictions: np.ndarray, confidences: np.ndarray, n_classes: int) -> np.ndarray:
    """scikit-learn's ``_ovr_decision_function`` (one-vs-one votes and confidences to one-vs-rest),
    bit for bit: each class's confidences are added in the same order, one array step per
    position instead of four per pair of classes (45 pairs for ten digits)."""
    first, second, order, signs = _pair_order(n_classes)
    winners = np.where(predictions, second, first)  # predictions[:, k] == 1: the pair's second class won
    votes = (winners[:, :, np.newaxis] == np.arange(n_classes)).sum(axis=1).astype(np.float64)
    sum_of_confidences = np.zeros((len(predictions), n_classes))
    for position in range(n_classes - 1):
        sum_of_confidences = sum_of_confidences + signs[:, position] * confidences[:, order[:, position]]
    transformed_confidences = sum_of_confidences / (3 * (np.abs(sum_of_confidences) + 1))
    return votes + transformed_confidences


@functools.cache
def _pair_order(n_classes: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The pairs (i < j) in scikit-learn's order; per class, its pairs in that order and the sign
    its confidence gets (+ as the pair's second class, - as the first)."""
    pairs = [(i, j) for i in range(n_classes) for j in range(i + 1, n_classes)]
    first, second = np.array([i for i, _ in pairs]), np.array([j for _, j in pairs])
    order = np.zeros((n_classes, n_classes - 1), dtype=np.intp)
    signs = np.zeros((n_classes, n_classes - 1))
    for digit in range(n_classes):
        mine = [(k, 1.0 if j == digit else -1.0) for k, (i, j) in enumerate(pairs) if digit in (i, j)]
        order[digit], signs[digit] = [k for k, _ in mine], [sign for _, sign in mine]
    return first, second, order, signs
