"""The model registry: what each model is called, how it is explained, built and stored.

``MODELS`` maps a short name to a :class:`ModelSpec`. The eight specs themselves are in
:mod:`mnist_app.models.zoo`; this module only defines the shape and the look-ups.

Every model takes float32 (n, 784) in [0, 1] (``to_mnist`` output flattened), and
``predict_proba`` answers (n, 10) with column d the probability of digit d.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mnist_app.models import store

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
    #: Whether the optional dependencies are installed; must be cheap (it runs on every listing).
    is_available: Callable[[], bool] = _always
    #: Serialise a fitted model to bytes / back; the default is a pickle signed by this installation.
    dump: Callable[[Any], bytes] = store.signed_pickle_dump
    load: Callable[[bytes], Any] = store.signed_pickle_load
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


MODELS: dict[str, ModelSpec] = {}


def register(spec: ModelSpec) -> ModelSpec:
    """Add (or replace) a model in the registry."""
    MODELS[spec.name] = spec
    return spec


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
