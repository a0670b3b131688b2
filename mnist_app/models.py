"""The model zoo: seven classic MNIST models, trained once and cached.

``MODELS`` maps a short name to a :class:`ModelSpec` (display name, a one-line
description for students, how to build the unfitted estimator). ``get_model(name)``
returns a fitted classifier, loading it from the cache (see :mod:`mnist_app.storage`)
or training and caching it first. ``predict(image, name)`` runs a drawing through
``preprocess.to_mnist`` and the model.

Every model takes float32 (n, 784) in [0, 1], i.e. ``to_mnist`` output flattened, and
``predict_proba`` answers (n, 10) with column d the probability of digit d.

Hyperparameters were chosen by measurement on the project's 2-core machine; the
figures are in docs/benchmarks.md ("Models (issue 4)").

Other modules can add models with :func:`register` (the optional CNN does): a spec
brings its own ``dump``/``load`` and ``is_available``.
"""

from __future__ import annotations

import importlib.util
import os
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import joblib
import numpy as np
from scipy import ndimage
from sklearn.calibration import CalibratedClassifierCV
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

from mnist_app import preprocess, storage
from mnist_app.data import load_mnist

#: progress(fraction in [0, 1], message) - called from the calling thread only.
Progress = Callable[[float, str], None]

N_CLASSES = 10
SEED = 0


class UnknownModelError(KeyError):
    """A model name that is not in the registry (the message lists the valid names)."""

    def __str__(self) -> str:  # KeyError would print the message with quotes around it
        return str(self.args[0])


class ModelUnavailableError(RuntimeError):
    """A registered model whose optional dependency is not installed."""


def _always() -> bool:
    return True


def sklearn_fingerprint(estimator: Any) -> str:
    """The hyperparameters of an unfitted scikit-learn estimator, as a stable string."""
    params = estimator.get_params(deep=True)
    return repr(sorted((name, repr(value)) for name, value in params.items()))


@dataclass(frozen=True)
class ModelSpec:
    """One model of the zoo: what it is called, how it is explained and built, how it is stored."""

    name: str
    display_name: str
    description: str
    build: Callable[[], Any]
    #: Typical training time on the full MNIST here (s), for progress bars' estimates.
    fit_seconds_hint: float = 30.0
    is_available: Callable[[], bool] = _always
    #: Serialise a fitted model to bytes / back; the default is a pickle signed by this installation.
    dump: Callable[[Any], bytes] = storage.signed_pickle_dump
    load: Callable[[bytes], Any] = storage.signed_pickle_load
    #: The hyperparameters of ``build()``'s result as a string; part of the cache key.
    fingerprint: Callable[[Any], str] = sklearn_fingerprint
    #: Libraries whose versions are part of the cache key.
    libraries: tuple[str, ...] = ("sklearn", "numpy", "scipy")
    #: Train ``estimator`` on X float32 (n, 784), y int (n,); report with ``progress``.
    #: None: ``estimator.fit`` with a time-based progress estimate.
    train: Callable[[Any, np.ndarray, np.ndarray, Progress], Any] | None = None
    #: Train on the MNIST digits plus an augmented copy (``augment_digits``): twice the fit time.
    augment: bool = False
    #: Extra settings that change the trained model but are not hyperparameters.
    extra_key: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Prediction:
    """A model's answer for one image: the digit and the ten probabilities (summing to 1)."""

    model: str
    label: int
    probabilities: np.ndarray  # float (10,), index = digit


# --- the seven classic models --------------------------------------------------------------------


def _logistic_regression() -> Any:
    # lbfgs on raw pixels: as accurate as scaled saga here and 5x faster; it does not fully
    # converge in 100 iterations, which costs nothing measurable in accuracy.
    return LogisticRegression(C=0.1, max_iter=100, random_state=SEED)


def _mlp() -> Any:
    # Trained on MNIST plus augmented copies (twice the data), so 15 epochs make as many
    # gradient steps as 30 epochs on MNIST alone, at half the cost of 30 on the doubled data.
    return MLPClassifier(
        hidden_layer_sizes=(256,), early_stopping=True, max_iter=15, random_state=SEED
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
    # max_samples=0.5: each tree sees half the digits; fit 146 s -> 78 s wall for
    # 0.9757 -> 0.9735 on MNIST test, which keeps all seven inside 5 minutes with margin.
    return RandomForestClassifier(n_estimators=100, max_samples=0.5, random_state=SEED)


def _decision_tree() -> Any:
    # Entropy splits: +1 point over gini on MNIST and faster to grow.
    return DecisionTreeClassifier(criterion="entropy", random_state=SEED)


def _naive_bayes() -> Any:
    # Much larger variance smoothing than the default (1e-9): many pixels are nearly always
    # 0, and their tiny variances made the default model wildly overconfident (56% -> 81%).
    return GaussianNB(var_smoothing=0.05)


MODELS: dict[str, ModelSpec] = {}


def register(spec: ModelSpec) -> ModelSpec:
    """Add (or replace) a model in the registry."""
    MODELS[spec.name] = spec
    return spec


for _spec in (
    ModelSpec(
        "logistic_regression", "Logistic regression",
        "Gives every pixel a weight for each digit and adds them up: the simplest model.",
        _logistic_regression, fit_seconds_hint=20,
    ),
    ModelSpec(
        "mlp", "Neural network (MLP)",
        "A small neural network: 256 hidden neurons learn stroke patterns from the pixels.",
        _mlp, fit_seconds_hint=50, augment=True,
    ),
    ModelSpec(
        "knn", "k-nearest neighbours",
        "Finds the 4 training digits that look most like yours and lets them vote.",
        _knn, fit_seconds_hint=3, augment=True,
    ),
    ModelSpec(
        "svm", "Support vector machine",
        "Draws the widest possible borders between the digits in a curved feature space.",
        _svm, fit_seconds_hint=45,
    ),
    ModelSpec(
        "random_forest", "Random forest",
        "100 decision trees, each trained on a random part of the data, vote together.",
        _random_forest, fit_seconds_hint=15,
    ),
    ModelSpec(
        "decision_tree", "Decision tree",
        "Asks yes/no questions about single pixels, one after another, like 20 questions.",
        _decision_tree, fit_seconds_hint=12,
    ),
    ModelSpec(
        "naive_bayes", "Naive Bayes",
        "Learns how bright each pixel usually is for each digit, treating pixels as independent.",
        _naive_bayes, fit_seconds_hint=1,
    ),
):
    register(_spec)

#: The seven classic models, in the order the app shows them.
CLASSIC_MODELS: tuple[str, ...] = tuple(MODELS)


def model_names() -> list[str]:
    """All registered model names (available or not), in display order."""
    return list(MODELS)


def available_models() -> list[str]:
    """The registered models whose dependencies are installed, in display order."""
    return [name for name, spec in MODELS.items() if spec.is_available()]


def get_spec(name: str) -> ModelSpec:
    """The spec of ``name``; raises :class:`UnknownModelError` listing the valid names."""
    try:
        return MODELS[name]
    except KeyError:
        valid = ", ".join(model_names())
        raise UnknownModelError(f"unknown model {name!r}; choose one of: {valid}") from None


# --- training data and cache keys ----------------------------------------------------------------

# The arrays load_mnist returns are shared, so identity is the key; each entry keeps a
# reference to its array so the id cannot be reused. Few entries: the arrays are large.
_checksum_memo: dict[int, tuple[np.ndarray, str]] = {}
_prepared_memo: dict[int, tuple[np.ndarray, np.ndarray]] = {}
_memo_lock = threading.Lock()


def data_checksum(images: np.ndarray, labels: np.ndarray) -> str:
    """SHA-256 of a split (memoised per array, since load_mnist shares its arrays)."""
    with _memo_lock:
        hit = _checksum_memo.get(id(images))
        if hit is not None and hit[0] is images:
            return hit[1]
        digest = storage.array_checksum(images, labels)
        if len(_checksum_memo) >= 4:  # train and test of one or two data folders
            _checksum_memo.pop(next(iter(_checksum_memo)))
        _checksum_memo[id(images)] = (images, digest)
        return digest


def prepared(images: np.ndarray) -> np.ndarray:
    """``preprocess.prepare_training(images)``, memoised for the most recent array."""
    with _memo_lock:
        hit = _prepared_memo.get(id(images))
        if hit is not None and hit[0] is images:
            return hit[1]
        features = preprocess.prepare_training(images)
        _prepared_memo.clear()
        _prepared_memo[id(images)] = (images, features)
        return features


_fingerprint_memo: dict[int, tuple[ModelSpec, str]] = {}


def _hyperparameters(spec: ModelSpec) -> str:
    # Building and describing a pipeline takes milliseconds, and predict() needs the key
    # for every drawing; a spec never changes (a changed model is a new spec object).
    hit = _fingerprint_memo.get(id(spec))
    if hit is None or hit[0] is not spec:
        hit = (spec, spec.fingerprint(spec.build()))
        _fingerprint_memo[id(spec)] = hit
    return hit[1]


def model_key(
    name: str, *, data_dir: str | os.PathLike[str] | None = None, download: bool = True
) -> str:
    """The cache key of ``name`` trained on the training split in ``data_dir``.

    ``download=False`` raises ``MnistUnavailableError`` instead of downloading missing data.
    """
    spec = get_spec(name)
    images, labels = load_mnist("train", data_dir, download=download)
    return storage.cache_key({
        "model": name,
        "hyperparameters": _hyperparameters(spec),
        "extra": spec.extra_key,
        "augment": AUGMENT_VERSION if spec.augment else None,
        "versions": storage.library_versions(spec.libraries),
        "training_data": data_checksum(images, labels),
        "preprocess": preprocess.PREPROCESS_VERSION,
    })


# --- augmentation --------------------------------------------------------------------------------

#: Bump when ``augment_digits`` changes: models trained with it are retrained.
AUGMENT_VERSION = "1"


def augment_digits(images: np.ndarray, seed: int = SEED) -> np.ndarray:
    """A varied copy of MNIST digits uint8 (n, 28, 28): each one thinner or thicker.

    People draw with pens from hair-thin to very wide, MNIST's pen is one width. Each copy is
    eroded (thinner, only where enough ink survives), or dilated by 2x2 or 3x3 pixels.
    """
    images = np.asarray(images, dtype=np.uint8)
    rng = np.random.default_rng(seed)
    thinner = ndimage.grey_erosion(images, size=(1, 2, 2))
    thicker = ndimage.grey_dilation(images, size=(1, 2, 2))
    thickest = ndimage.grey_dilation(images, size=(1, 3, 3))
    # Erosion can wipe out a thin digit: keep it only when half the strong ink survives.
    survives = (thinner > 128).sum(axis=(1, 2)) >= 0.5 * (images > 128).sum(axis=(1, 2))
    choice = rng.integers(3, size=len(images))
    choice[(choice == 0) & ~survives] = 1
    return np.where((choice == 0)[:, None, None], thinner,
                    np.where((choice == 1)[:, None, None], thicker, thickest))


# --- get_model -----------------------------------------------------------------------------------


@dataclass
class _Loaded:
    key: str
    model: Any
    meta: dict[str, Any]


_loaded: dict[str, _Loaded] = {}


def get_model(
    name: str,
    *,
    data_dir: str | os.PathLike[str] | None = None,
    progress: Progress | None = None,
) -> Any:
    """A fitted classifier for ``name``: from memory, else the cache, else trained and cached.

    Its ``predict_proba(X)`` takes float32 (n, 784) in [0, 1] and returns (n, 10).
    ``progress(fraction, message)`` is called during loading/training.
    """
    return _get_loaded(name, data_dir=data_dir, progress=progress).model


def model_info(name: str, *, data_dir: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """The cache sidecar of a fitted model: fit_seconds, size_bytes, trained_at, versions..."""
    return dict(_get_loaded(name, data_dir=data_dir).meta)


def is_trained(name: str, *, data_dir: str | os.PathLike[str] | None = None) -> bool:
    """Whether ``name`` is ready without training (in memory or cached on disk)."""
    spec = get_spec(name)
    if not spec.is_available():
        return False
    try:
        key = model_key(name, data_dir=data_dir, download=False)
    except Exception:  # no data on disk: nothing can have been trained on it either
        return False
    hit = _loaded.get(name)
    return (hit is not None and hit.key == key) or storage.is_cached(name, key)


def forget_loaded() -> None:
    """Drop the in-process models (they stay cached on disk)."""
    _loaded.clear()


def _get_loaded(
    name: str, *, data_dir: str | os.PathLike[str] | None = None, progress: Progress | None = None
) -> _Loaded:
    spec = get_spec(name)
    if not spec.is_available():
        raise ModelUnavailableError(
            f"model {name!r} needs an optional dependency that is not installed "
            f"(available: {', '.join(available_models())})"
        )
    report = progress or _ignore_progress
    key = model_key(name, data_dir=data_dir)
    hit = _loaded.get(name)
    if hit is not None and hit.key == key:
        return hit
    report(0.0, f"Loading {spec.display_name}")
    with storage.locked(name):
        cached = storage.load_model(name, key, spec.load)
        if cached is None:
            model, meta = _train_and_save(spec, key, data_dir, report)
        else:
            model, meta = cached
    entry = _Loaded(key, model, meta)
    _loaded[name] = entry
    report(1.0, f"{spec.display_name} ready")
    return entry


def _train_and_save(
    spec: ModelSpec, key: str, data_dir: str | os.PathLike[str] | None, report: Progress
) -> tuple[Any, dict[str, Any]]:
    report(0.01, f"Preparing the training digits for {spec.display_name}")
    images, labels = load_mnist("train", data_dir)
    missing = sorted(set(range(N_CLASSES)) - set(np.unique(labels).tolist()))
    if missing:
        raise ValueError(f"the training data has no examples of digit(s) {missing}")
    features = prepared(images)
    targets = labels.astype(np.int64)
    if spec.augment:
        report(0.015, f"Making varied copies of the training digits for {spec.display_name}")
        features = np.concatenate([features, preprocess.prepare_training(augment_digits(images))])
        targets = np.concatenate([targets, targets])
    estimator = spec.build()

    def training_progress(fraction: float, message: str) -> None:
        report(0.02 + 0.93 * fraction, message)

    started, cpu_started = time.perf_counter(), time.process_time()
    train = spec.train or _fit_with_estimate(spec)
    model = train(estimator, features, targets, training_progress)
    fit_seconds = time.perf_counter() - started
    # CPU time of all threads: with other work on the machine, wall time alone misleads.
    fit_cpu_seconds = time.process_time() - cpu_started
    report(0.96, f"Saving {spec.display_name}")
    meta = {
        "fit_seconds": round(fit_seconds, 3),
        "fit_cpu_seconds": round(fit_cpu_seconds, 3),
        "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "n_train": int(len(targets)),
        "versions": storage.library_versions(spec.libraries),
        "preprocess": preprocess.PREPROCESS_VERSION,
    }
    return model, storage.save_model(spec.name, key, spec.dump(model), meta)


def _fit_with_estimate(spec: ModelSpec) -> Callable[[Any, np.ndarray, np.ndarray, Progress], Any]:
    """``estimator.fit`` on a worker thread; the caller's thread reports estimated progress.

    scikit-learn's fit has no progress callback, so the fraction is elapsed time over the
    spec's typical fit time (capped below 1). Progress is reported from the calling thread
    because UIs (Streamlit) only accept updates from their own thread.
    """

    def train(estimator: Any, features: np.ndarray, targets: np.ndarray, progress: Progress) -> Any:
        outcome: dict[str, BaseException] = {}

        def work() -> None:
            try:
                with joblib.parallel_config(n_jobs=-1), warnings.catch_warnings():
                    # joblib settings are per thread, hence set here. Capped iterations are a
                    # measured choice, not a problem to warn students about.
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    estimator.fit(features, targets)
            except BaseException as error:  # re-raised in the caller's thread
                outcome["error"] = error

        # A daemon thread, so Ctrl-C in the command line is not held up by the fit.
        worker = threading.Thread(target=work, name=f"fit-{spec.name}", daemon=True)
        started = time.perf_counter()
        worker.start()
        while worker.is_alive():
            elapsed = time.perf_counter() - started
            fraction = min(0.95, elapsed / max(spec.fit_seconds_hint, 0.1))
            progress(fraction, f"Training {spec.display_name}: {elapsed:.0f} s "
                               f"(usually about {spec.fit_seconds_hint:.0f} s)")
            worker.join(timeout=0.25)
        if "error" in outcome:
            raise outcome["error"]
        return estimator

    return train


def _ignore_progress(fraction: float, message: str) -> None:
    return None


# --- predict -------------------------------------------------------------------------------------


def predict(image: object, name: str) -> Prediction:
    """Classify any image ``to_mnist`` accepts with model ``name``.

    Raises ``preprocess.EmptyDrawingError`` for a blank image, ``ValueError`` for an
    unusable one, :class:`UnknownModelError` for an unknown model name.
    """
    get_spec(name)  # fail on a bad name before doing any image work
    digit = preprocess.to_mnist(image)
    model = get_model(name)
    probabilities = np.asarray(model.predict_proba(digit.reshape(1, -1))[0], dtype=np.float64)
    return Prediction(model=name, label=int(np.argmax(probabilities)), probabilities=probabilities)


def _register_optional_models() -> None:
    # The CNN registers itself from mnist_app.cnn (it needs PyTorch only when used).
    if importlib.util.find_spec("mnist_app.cnn") is not None:
        importlib.import_module("mnist_app.cnn")


_register_optional_models()
