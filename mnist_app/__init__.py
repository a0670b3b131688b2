"""mnist_app: the plain-Python core of the MNIST classroom app.

The pipeline, in the order a digit meets it:

- :mod:`mnist_app.data`: MNIST found, downloaded (verified), validated, decoded;
- :mod:`mnist_app.preprocess`: a drawing (or a training digit) into MNIST's 28x28 form;
- :mod:`mnist_app.models`: the eight models, trained once and cached, and the one prediction path;
- :mod:`mnist_app.evaluate`: every model on the 10,000 MNIST test digits, cached;
- :mod:`mnist_app.report`: charts and gallery selections built from evaluations;
- :mod:`mnist_app.teach`: the models taught a class's handwriting, before and after measured.

The Streamlit user interface (``streamlit_app.py`` and :mod:`mnist_app.ui`) and the command
line (:mod:`mnist_app.cli`) only call this package. The names below are its public API; they
are imported on first use, so ``import mnist_app`` itself is instant.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: Public name -> the module that defines it.
_PUBLIC = {
    "load_mnist": "mnist_app.data",
    "to_mnist": "mnist_app.preprocess",
    "steps": "mnist_app.preprocess",
    "EmptyDrawingError": "mnist_app.preprocess",
    "get_model": "mnist_app.models",
    "predict": "mnist_app.models",
    "predict_digit": "mnist_app.models",
    "predict_digits": "mnist_app.models",
    "available_models": "mnist_app.models",
    "Prediction": "mnist_app.models",
    "evaluate": "mnist_app.evaluation",
    "Evaluation": "mnist_app.evaluation",
}

#: Public subpackages, used as modules (``from mnist_app import teach; teach.teach(...)``).
_SUBPACKAGES = {"teach": "mnist_app.teach"}

__all__ = [
    "EmptyDrawingError", "Evaluation", "Prediction", "available_models", "evaluate", "get_model",
    "load_mnist", "predict", "predict_digit", "predict_digits", "steps", "teach", "to_mnist",
]

if TYPE_CHECKING:
    from mnist_app.data import load_mnist
    from mnist_app.evaluation import Evaluation, evaluate
    from mnist_app.models import (
        Prediction,
        available_models,
        get_model,
        predict,
        predict_digit,
        predict_digits,
    )
    from mnist_app.preprocess import EmptyDrawingError, steps, to_mnist


def __getattr__(name: str) -> Any:
    # PEP 562: the public names load their module on first use.
    if name in _SUBPACKAGES:
        return importlib.import_module(_SUBPACKAGES[name])
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'mnist_app' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PUBLIC) | set(_SUBPACKAGES))
