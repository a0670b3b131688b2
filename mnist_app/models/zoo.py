"""The eight models of the zoo: seven classic scikit-learn models and the optional CNN.

Hyperparameters were chosen by measurement on the project's 2-core machine; the figures
are in docs/benchmarks.md. Each spec is registered in :mod:`mnist_app.models.registry` in
the order the app shows them.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

from mnist_app.models import cnn, cnn_network, stepped, store
from mnist_app.models.quick_forest import load_quick_forest
from mnist_app.models.registry import MODELS, SEED, ModelSpec, Progress, register
from mnist_app.models.training import STYLE_SHARE, STYLE_WEIGHTS, Trainer, fit_with_estimate


#: Training digits also learnt in a writing style MNIST lacks (``synth.styles``: slashed 0s,
#: flagged 1s, crossed 7s, closed 4s... and pen effects), for the models it measurably helps
#: (docs/benchmarks.md, "Writing styles MNIST lacks"). "styles" is ``synth.styles.STYLES_VERSION``
#: (not imported: scikit-image is slow to import; a test checks they agree).
def _styled(share: float) -> dict[str, object]:
    return {"styles": "2", STYLE_SHARE: share}


def _stepped_fit(name: str) -> Trainer:
    """Fit ``name`` on pixel values rounded down to eighths, then answer raw values (``models.stepped``).

    Trees grow about 9x faster on them and were no less accurate (docs/benchmarks.md).
    """

    def train(estimator: Any, features: np.ndarray, targets: np.ndarray, progress: Progress) -> Any:
        fitted = fit_with_estimate(MODELS[name])(estimator, stepped.stepped(features), targets, progress)
        return stepped.snap_model(fitted)

    return train


#: ``ModelSpec.extra_key`` of the models fitted by :func:`_stepped_fit`.
_STEPPED = {"stepped": stepped.STEPS}


# --- the seven classic models --------------------------------------------------------------------


def _logistic_regression() -> Any:
    # lbfgs on raw pixels: as accurate as scaled saga here and 5x faster; it does not fully
    # converge in 100 iterations, which costs nothing measurable in accuracy.
    return LogisticRegression(C=0.1, max_iter=100, random_state=SEED)


def _mlp() -> Any:
    # Trained on MNIST plus augmented copies (twice the data), so 15 epochs make as many
    # gradient steps as 30 epochs on MNIST alone, at half the cost of 30 on the doubled data.
    # alpha 0.003 (30x the default L2 penalty): real handwriting of unseen writers 0.918 -> 0.927
    # (0.922 with another seed), MNIST 0.9874 -> 0.9883 (docs/benchmarks.md, issue 15 round 5).
    return MLPClassifier(
        hidden_layer_sizes=(256,), alpha=0.003, early_stopping=True, max_iter=15, random_state=SEED
    )


def _knn() -> Any:
    # 40 principal components keep the strokes' shape, drop pixel noise, and make each
    # neighbour search 20x cheaper than on 784 raw pixels (k=3..6, 40..60 components all
    # within 0.1 point; this was the best).
    return make_pipeline(
        PCA(n_components=40, random_state=SEED),
        # A k-d tree answers one drawing in ~11 ms here where brute force took ~170 ms (it
        # starts threads for every query); same neighbours, same answers.
        KNeighborsClassifier(n_neighbors=4, weights="distance", algorithm="kd_tree"),
    )


def _svm() -> Any:
    # SVC(probability=True) is deprecated in scikit-learn 1.9; a calibrated SVC gives the
    # probabilities. ensemble=False keeps one SVC (small, fast to answer).
    return make_pipeline(
        PCA(n_components=50, random_state=SEED),
        CalibratedClassifierCV(SVC(C=5.0, gamma="scale"), ensemble=False, cv=3),
    )


def _random_forest() -> Any:
    # n_jobs=None: trains on all cores inside _fit's joblib context, answers on one
    # thread (5x faster for a single drawing than starting a thread pool).
    # max_samples=0.5: each tree sees half the digits (half the fit time). Fitted stepped
    # (_stepped_fit), which made it both 4-5x faster and more accurate (0.9735 -> 0.9783).
    # 50 trees: the styled stepped trees are deep; 100 of them made a 94 MB file (slower
    # warm start) for no measurable accuracy over the first 50 (docs/benchmarks.md).
    return RandomForestClassifier(n_estimators=50, max_samples=0.5, random_state=SEED)


def _decision_tree() -> Any:
    # Entropy splits: +1 point over gini on MNIST and faster to grow.
    return DecisionTreeClassifier(criterion="entropy", random_state=SEED)


def _naive_bayes() -> Any:
    # Much larger variance smoothing than the default (1e-9): many pixels are nearly always
    # 0, and their tiny variances made the default model wildly overconfident (56% -> 81%).
    # 0.035 rather than 0.05: +0.7 point on real handwriting of unseen writers, MNIST equal
    # (docs/benchmarks.md, issue 15 round 5).
    return GaussianNB(var_smoothing=0.035)


def _cnn() -> cnn.CNNClassifier:
    return cnn.CNNClassifier()


def _train_cnn(estimator: cnn.CNNClassifier, features: np.ndarray, targets: np.ndarray,
               progress: Progress) -> cnn.CNNClassifier:
    return estimator.fit(features, targets, progress=progress)


def _cnn_fingerprint(estimator: cnn.CNNClassifier) -> str:
    return json.dumps(estimator.config_.to_json(), sort_keys=True)


for _spec in (
    ModelSpec(
        "logistic_regression", "Logistic regression",
        "Gives every pixel a weight for each digit and adds them up: the simplest model.",
        # Thinner-or-thicker copies: +4.8 points on real handwriting of unseen writers, -0.17 on
        # MNIST (styled copies gained less and cost more; docs/benchmarks.md, issue 15 round 5).
        _logistic_regression, fit_seconds_hint=30, augment=True,
    ),
    ModelSpec(
        "mlp", "Neural network (MLP)",
        "A small neural network: 256 hidden neurons learn stroke patterns from the pixels.",
        # Not styled: styled copies cost it real handwriting of unseen writers (0.918 -> 0.903
        # with a quarter, 0.909 with a tenth, 0.893 with pen effects only; docs/benchmarks.md).
        _mlp, fit_seconds_hint=50, augment=True,
    ),
    ModelSpec(
        "knn", "k-nearest neighbours",
        "Finds the 4 training digits that look most like yours and lets them vote.",
        _knn, fit_seconds_hint=3, augment=True, extra_key=_styled(0.25),
    ),
    ModelSpec(
        "svm", "Support vector machine",
        "Draws the widest possible borders between the digits in a curved feature space.",
        # Styled copies of a tenth of the digits (a quarter: 2-3x the fit time, more support
        # vectors): +2 points on real handwriting of unseen writers, +10 on the styles
        # benchmark, -0.08 on MNIST (docs/benchmarks.md, issue 15 round 3).
        _svm, fit_seconds_hint=90, extra_key=_styled(0.1),
    ),
    ModelSpec(
        "random_forest", "Random forest",
        "50 decision trees, each trained on a random part of the data, vote together.",
        _random_forest, fit_seconds_hint=13, train=_stepped_fit("random_forest"),
        extra_key={**_STEPPED, **_styled(0.25)},
        load=load_quick_forest(store.signed_pickle_load),  # one drawing: 16 ms -> 2 ms
    ),
    ModelSpec(
        "decision_tree", "Decision tree",
        "Asks yes/no questions about single pixels, one after another, like 20 questions.",
        # Thinner-or-thicker copies: +9.8 points on real handwriting of unseen writers and
        # +0.3 on MNIST. Not styled: -0.6 point on MNIST with a quarter (docs/benchmarks.md).
        _decision_tree, fit_seconds_hint=25, augment=True, train=_stepped_fit("decision_tree"),
        extra_key=_STEPPED,
    ),
    ModelSpec(
        "naive_bayes", "Naive Bayes",
        "Learns how bright each pixel usually is for each digit, treating pixels as independent.",
        _naive_bayes, fit_seconds_hint=1,
    ),
    ModelSpec(
        "cnn", "Convolutional network (CNN)",
        "Slides small learned filters over the image to find strokes and corners, then combines them.",
        # Fewer flagged 1s with a base (their share of 1s' styles 1/2 -> 0.3/1.3) and narrow 2s:
        # the styled 1s had taken the real handwriting's narrow 2s for 1s (2s 0.977 -> 0.864; now
        # 0.972), real digits 0.9544 -> 0.9644 (docs/benchmarks.md, issue 15 round 4).
        _cnn, fit_seconds_hint=260,
        extra_key={**_styled(0.25), STYLE_WEIGHTS: {"one_flag_base": 0.3, "two_narrow": 1.0}},
        is_available=cnn_network.torch_installed,
        dump=cnn.CNNClassifier.to_bytes,
        load=cnn.CNNClassifier.from_bytes,
        fingerprint=_cnn_fingerprint,
        libraries=("torch", "numpy"),
        train=_train_cnn,
    ),
):
    register(_spec)

#: The seven classic models (no optional dependency), in the order the app shows them.
CLASSIC_MODELS: tuple[str, ...] = tuple(name for name in MODELS if name != "cnn")
