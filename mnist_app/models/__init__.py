"""The models: get a trained model by name, and ask it about a digit.

``get_model(name)`` returns a fitted classifier, from memory, else the model cache (see
:mod:`mnist_app.models.store`), else trained first (:mod:`mnist_app.models.training`).
``predict_digits(digits, name)`` is the one prediction path: already preprocessed digits
in, probabilities out; ``predict_digit`` and ``predict`` (any image) are built on it.
The eight models are described in :mod:`mnist_app.models.zoo`.

This module is the process's one cache of loaded models: the UI keeps none of its own.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from mnist_app import data, preprocess
from mnist_app.models import calibration, fast_answers, store, training
from mnist_app.models.registry import (
    MODELS,
    N_CLASSES,
    SEED,
    ModelSpec,
    ModelUnavailableError,
    Progress,
    UnknownModelError,
    available_models,
    get_spec,
    model_names,
    register,
)
from mnist_app.models.training import data_checksum
from mnist_app.models.zoo import CLASSIC_MODELS

__all__ = [
    "CLASSIC_MODELS", "MODELS", "N_CLASSES", "SEED", "ModelSpec", "ModelUnavailableError", "Prediction",
    "Progress", "UnknownModelError", "available_models", "data_checksum", "forget_loaded", "get_model",
    "get_spec", "is_loaded", "is_trained", "model_info", "model_key", "model_names", "one_native_thread",
    "predict", "predict_digit", "predict_digits", "register",
]

#: Up to this many digits are answered on one native thread: for one drawing, starting
#: thread pools costs more than it saves (k-NN took 60-200 ms instead of 18 ms under load).
ONE_THREAD_ROWS = 64


@dataclass(frozen=True)
class Prediction:
    """A model's answer for one digit: the digit and the ten probabilities (summing to 1)."""

    model: str
    label: int
    probabilities: np.ndarray  # float (10,), index = digit

    @property
    def confidence(self) -> float:
        """The probability of the answered digit."""
        return float(self.probabilities[self.label])


# --- cache keys ----------------------------------------------------------------------------------

_hyperparameter_memo: dict[str, tuple[ModelSpec, str]] = {}
#: (model, training files' identity on disk) -> (spec, key): "is it trained?" costs microseconds.
_key_memo: dict[tuple[str, tuple[Any, ...]], tuple[ModelSpec, str]] = {}


def _hyperparameters(spec: ModelSpec) -> str:
    # Building and describing a pipeline takes milliseconds; a changed spec is a new object.
    hit = _hyperparameter_memo.get(spec.name)
    if hit is None or hit[0] is not spec:
        hit = (spec, spec.fingerprint(spec.build()))
        _hyperparameter_memo[spec.name] = hit
    return hit[1]


def model_key(
    name: str, *, data_dir: str | os.PathLike[str] | None = None, download: bool = True
) -> str:
    """The cache key of ``name`` trained on the training split in ``data_dir``.

    Memoised per training-file stamp (path, size, modification time). ``download=False``
    raises ``MnistUnavailableError`` instead of downloading missing data.
    """
    spec = get_spec(name)
    stamp = _train_stamp(data_dir)
    hit = _key_memo.get((name, stamp)) if stamp is not None else None
    if hit is not None and hit[0] is spec:  # a replaced spec (new settings) gets a new key
        return hit[1]
    images, labels = data.load_mnist("train", data_dir, download=download)
    key = store.cache_key({
        "model": name,
        "hyperparameters": _hyperparameters(spec),
        "extra": spec.extra_key,
        "augment": preprocess.AUGMENT_VERSION if spec.augment else None,
        "versions": store.library_versions(spec.libraries),
        "training_data": data_checksum(images, labels),
        "preprocess": preprocess.PREPROCESS_VERSION,
    })
    stamp = data.split_stamp("train", data_dir)  # e.g. just downloaded
    if (memo := getattr(_stamps, "memo", None)) is not None:
        memo[None if data_dir is None else os.fspath(data_dir)] = stamp
    if stamp is not None:
        _key_memo[(name, stamp)] = (spec, key)
    return key


_stamps = threading.local()  # .memo: data folder -> training files' stamp, inside ``data_unchanged``


@contextlib.contextmanager
def data_unchanged() -> Iterator[None]:
    """A context in which this thread takes the MNIST files as unchanged: ``model_key`` reads their
    stamp (two ``stat`` calls) once per data folder instead of at every call (a drawing page's
    rerun asks for about twenty keys: "is it trained?" and each model's answer)."""
    outermost = getattr(_stamps, "memo", None) is None
    if outermost:
        _stamps.memo = {}
    try:
        yield
    finally:
        if outermost:
            _stamps.memo = None


def _train_stamp(data_dir: str | os.PathLike[str] | None) -> tuple[object, ...] | None:
    """``data.split_stamp("train", data_dir)``, remembered inside ``data_unchanged``."""
    memo = getattr(_stamps, "memo", None)
    if memo is None:
        return data.split_stamp("train", data_dir)
    folder = None if data_dir is None else os.fspath(data_dir)
    if folder not in memo:
        memo[folder] = data.split_stamp("train", data_dir)
    return memo[folder]


# --- loaded models -------------------------------------------------------------------------------


@dataclass
class _Loaded:
    key: str
    model: Any
    meta: dict[str, Any]


_loaded: dict[str, _Loaded] = {}
_seen_cached: set[tuple[str, str]] = set()
_load_locks: dict[str, threading.Lock] = {}
_locks_lock = threading.Lock()


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
    """Whether ``name`` is ready without training (in memory or cached on disk); never downloads."""
    spec = get_spec(name)
    if not spec.is_available():
        return False
    try:
        key = model_key(name, data_dir=data_dir, download=False)
    except (data.MnistUnavailableError, data.MnistFileError, OSError):
        return False  # no data on disk: nothing can have been trained on it either
    hit = _loaded.get(name)
    if (hit is not None and hit.key == key) or (name, key) in _seen_cached:
        return True
    if store.is_cached(name, key):
        _seen_cached.add((name, key))  # a model file, once complete, stays valid for its key
        return True
    return False


def is_loaded(name: str) -> bool:
    """Whether ``name`` is already in this process's memory (answering needs no disk read)."""
    return name in _loaded


def forget_loaded() -> None:
    """Drop the in-process models and keys (they stay cached on disk): a fresh start, e.g. in tests."""
    _loaded.clear()
    _key_memo.clear()
    _seen_cached.clear()


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
    with _locks_lock:
        lock = _load_locks.setdefault(name, threading.Lock())
    with lock:  # threads of one process load a model once; the file lock covers processes
        hit = _loaded.get(name)
        if hit is not None and hit.key == key:
            return hit
        report(0.0, f"Loading {spec.display_name}")
        with store.locked(name):
            cached = store.load_model(name, key, spec.load)
            if cached is None:
                model, meta = training.train_and_save(spec, key, data_dir, report)
            else:
                model, meta = cached
        entry = _Loaded(key, model, meta)
        _loaded[name] = entry
    report(1.0, f"{spec.display_name} ready")
    return entry


def _ignore_progress(fraction: float, message: str) -> None:
    return None


# --- predicting ----------------------------------------------------------------------------------

_thread_pools: Any = None
_native_lock = threading.Lock()
_native_users = 0  # threads inside ``one_native_thread`` now
_native_limits: Any = None  # the threadpoolctl limits applied while there are any


@contextlib.contextmanager
def one_native_thread() -> Iterator[None]:
    """A context in which native code (BLAS, OpenMP) runs on one thread: for a few digits,
    starting thread pools costs more than it saves, above all on a busy machine.

    The limits are process-wide: the first thread to enter applies them, the last to leave
    restores the original ones, and nested or concurrent uses (a page asks eight models on
    one thread, other students' pages at once) pay nothing more.
    """
    global _thread_pools, _native_users, _native_limits
    with _native_lock:
        if _native_users == 0:
            if _thread_pools is None:  # inspecting the loaded native libraries takes milliseconds: once
                from threadpoolctl import ThreadpoolController

                _thread_pools = ThreadpoolController()
            _native_limits = _thread_pools.limit(limits=1)
        _native_users += 1
    try:
        yield
    finally:
        with _native_lock:
            _native_users -= 1
            if _native_users == 0:
                _native_limits.restore_original_limits()
                _native_limits = None


def predict_digits(
    digits: np.ndarray, name: str, *, calibrated: bool = True, model: Any | None = None
) -> np.ndarray:
    """Probabilities float64 (n, 10) of model ``name`` for preprocessed digits, calibrated.

    ``digits``: what ``to_mnist`` returns, one (28, 28) or a batch (n, 28, 28) or (n, 784),
    floats in [0, 1]. A few digits are answered on one native thread (see ``ONE_THREAD_ROWS``).
    ``calibrated=False``: the model's own probabilities, without its temperature (for fitting it).
    ``model``: an already-loaded variant of ``name`` (e.g. a class's taught one) answers instead
    of the MNIST-trained one, with ``name``'s temperature.
    """
    features = np.asarray(digits, dtype=np.float32).reshape(-1, 28 * 28)
    if model is None:
        model = get_model(name)
    if len(features) <= ONE_THREAD_ROWS:
        with one_native_thread():
            # The model's own arithmetic without scikit-learn's per-call checks (same answers),
            # else its own predict_proba.
            probabilities = fast_answers.probabilities(model, np.ascontiguousarray(features))
            if probabilities is None:
                probabilities = model.predict_proba(features)
    else:
        probabilities = model.predict_proba(features)
    probabilities = np.asarray(probabilities, dtype=np.float64)
    # Temperature scaling where it was measured to help: the answers never change (models.calibration).
    return calibration.calibrate(probabilities, name) if calibrated else probabilities


def predict_digit(digit: np.ndarray, name: str, *, model: Any | None = None) -> Prediction:
    """Model ``name``'s answer for one preprocessed digit (28x28 in [0, 1], as ``to_mnist`` returns).

    ``model``: an already-loaded variant of ``name`` answers instead (see ``predict_digits``)."""
    probabilities = predict_digits(digit, name, model=model)[0]
    return Prediction(model=name, label=int(np.argmax(probabilities)), probabilities=probabilities)


def predict(image: object, name: str) -> Prediction:
    """Classify any image ``to_mnist`` accepts with model ``name``.

    Raises ``preprocess.EmptyDrawingError`` for a blank image, ``ValueError`` for an
    unusable one, :class:`UnknownModelError` for an unknown model name.
    """
    get_spec(name)  # fail on a bad name before doing any image work
    return predict_digit(preprocess.to_mnist(image), name)
