"""Each model family's own view of a drawing: what the model has learned, and how it uses it.

Plain data for the UI to draw: weight images, mean images, a tree's questions, the
forest's votes, the MLP's busiest neurons, the CNN's filters and feature maps, the SVM's
margins and nearest support vectors. (k-NN's voters are :func:`neighbours.voters`.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mnist_app import models
from mnist_app.explain.neighbours import SIDE, as_digit
from mnist_app.models import training

N_DIGITS = 10


def _row(digit: np.ndarray) -> np.ndarray:
    return as_digit(digit).reshape(1, -1)


# --- logistic regression and naive Bayes -----------------------------------------------------------


def logistic_weights() -> np.ndarray:
    """Logistic regression's weight image per digit, float (10, 28, 28): > 0 ink there says "this digit"."""
    return models.get_model("logistic_regression").coef_.reshape(N_DIGITS, SIDE, SIDE)


def naive_bayes_means() -> np.ndarray:
    """Naive Bayes' mean training image per digit, float (10, 28, 28)."""
    return models.get_model("naive_bayes").theta_.reshape(N_DIGITS, SIDE, SIDE)


# --- the decision tree and the random forest -----------------------------------------------------


@dataclass(frozen=True)
class Question:
    """One yes/no question of a decision tree's path: "is pixel (row, col) brighter than threshold?"."""

    row: int
    col: int
    threshold: float
    value: float  # the drawing's brightness there
    answer: bool  # True: brighter (the tree went right), False: not brighter

    def __str__(self) -> str:
        return (f"Is the pixel at row {self.row}, column {self.col} brighter than {self.threshold:.2f}? "
                f"{'Yes' if self.answer else 'No'} ({self.value:.2f})")


def tree_path(digit: np.ndarray) -> tuple[list[Question], int]:
    """The decision tree's questions for this drawing, first to last, and the digit its leaf says."""
    model = models.get_model("decision_tree")
    row = _row(digit)
    tree = model.tree_
    nodes = model.decision_path(row).indices
    questions = []
    for node in nodes[:-1]:  # the last node is the leaf: no question there
        pixel, threshold = int(tree.feature[node]), float(tree.threshold[node])
        value = float(row[0, pixel])
        questions.append(Question(pixel // SIDE, pixel % SIDE, threshold, value, value > threshold))
    leaf_counts = tree.value[nodes[-1], 0]
    return questions, int(model.classes_[int(np.argmax(leaf_counts))])


def forest_votes(digit: np.ndarray) -> np.ndarray:
    """How many of the random forest's trees answer each digit: int (10,), summing to the trees."""
    model = models.get_model("random_forest")
    row = _row(digit)
    answers = [int(np.argmax(tree.predict_proba(row)[0])) for tree in model.estimators_]
    return np.bincount(model.classes_[answers], minlength=N_DIGITS)


# --- the MLP --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Neuron:
    """A hidden neuron of the MLP: how strongly it fires for this drawing, and what it looks for."""

    index: int
    activation: float
    weights: np.ndarray  # float (28, 28): its weight per pixel (> 0: ink there makes it fire)
    push: np.ndarray  # float (10,): what its firing adds to each digit's score


def mlp_active_neurons(digit: np.ndarray, count: int = 8) -> list[Neuron]:
    """The MLP's ``count`` most active hidden neurons for this drawing, most active first."""
    model = models.get_model("mlp")
    first, second = model.coefs_
    activations = np.maximum(_row(digit).astype(np.float64) @ first + model.intercepts_[0], 0.0)[0]
    top = np.argsort(-activations, kind="stable")[:count]
    return [Neuron(int(j), float(activations[j]), first[:, j].reshape(SIDE, SIDE),
                   activations[j] * second[j]) for j in top]


# --- the CNN ----------------------------------------------------------------------------------------


def cnn_filters() -> np.ndarray:
    """The CNN's first-layer filters, float (32, 3, 3)."""
    network = models.get_model("cnn").network_
    return network.conv1.weight.detach().numpy()[:, 0].astype(np.float64)


def cnn_feature_maps(digit: np.ndarray) -> np.ndarray:
    """What the first layer's filters find in this drawing: float (32, 14, 14), >= 0.

    The output of the first block (filter, pool to half size, normalise, ReLU), i.e. what
    the second layer looks at.
    """
    import torch  # only when the CNN's view is shown

    network = models.get_model("cnn").network_
    first_block = network[: list(dict(network.named_children())).index("relu1") + 1]
    with torch.inference_mode():
        maps = first_block(torch.from_numpy(_row(digit)).view(1, 1, SIDE, SIDE))
    return maps[0].numpy().astype(np.float64)


# --- the SVM -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SupportVector:
    """A training digit the SVM keeps as a support vector, near the drawing."""

    index: int  # position in the MNIST training split (of the digit a copy was made from)
    label: int
    distance: float  # Euclidean, between the SVM's PCA projections
    image: np.ndarray  # float32 (28, 28): what the SVM learned (a copy's own picture)
    kind: str = "digit"  # or "varied copy", or the writing style of a restyled copy


def _svm_parts() -> tuple[object, object]:
    pipeline = models.get_model("svm")
    projection, calibrated = pipeline[0], pipeline[-1]
    return projection, calibrated.calibrated_classifiers_[0].estimator


def svm_margins(digit: np.ndarray) -> np.ndarray:
    """The SVM's margin per digit (one-vs-rest decision values), float (10,): the largest wins."""
    projection, svc = _svm_parts()
    return np.asarray(svc.decision_function(projection.transform(_row(digit))), dtype=np.float64)[0]


def svm_nearest_support_vectors(digit: np.ndarray, k: int = 8) -> list[SupportVector]:
    """The ``k`` support vectors nearest to the drawing in the SVM's space, nearest first."""
    projection, svc = _svm_parts()
    point = np.asarray(projection.transform(_row(digit)), dtype=np.float64)[0]
    distances = np.linalg.norm(np.asarray(svc.support_vectors_, dtype=np.float64) - point, axis=1)
    nearest = np.argsort(distances, kind="stable")[:k]
    rows = np.asarray(svc.support_)[nearest]  # rows of the SVM's training set: copies come after the digits
    labels = svc.classes_[np.repeat(np.arange(len(svc.n_support_)), svc.n_support_)[nearest]]
    images, indices, kinds = training.training_pictures(models.get_spec("svm"), rows)
    return [SupportVector(int(index), int(label), float(distances[row]), image, kind)
            for index, label, row, image, kind in zip(indices, labels, nearest, images, kinds, strict=True)]
