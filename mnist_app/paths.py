"""Where the app keeps data and caches, and the environment variables that move them."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "mnist-app"
DATA_DIR_ENV = "MNIST_DATA_DIR"
CACHE_DIR_ENV = "MNIST_APP_CACHE_DIR"
APP_DATA_DIR_ENV = "MNIST_APP_DATA_DIR"


def data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The MNIST folder: ``explicit``, else ``$MNIST_DATA_DIR``, else the per-user data dir."""
    if explicit is not None:
        return Path(explicit).expanduser()
    from_env = os.environ.get(DATA_DIR_ENV)
    if from_env:
        return Path(from_env).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME)) / "mnist"


def cache_dir() -> Path:
    """Trained models and evaluations: ``$MNIST_APP_CACHE_DIR``, else the per-user cache dir."""
    from_env = os.environ.get(CACHE_DIR_ENV)
    if from_env:
        return Path(from_env).expanduser()
    return Path(platformdirs.user_cache_dir(APP_NAME))


def signing_key_file() -> Path:
    """This installation's secret for signing model files, kept outside the cache on purpose.

    Whoever can only put files into the cache (a shared or copied cache folder) cannot sign
    them, so the app never unpickles a model file it did not write itself.
    """
    return Path(platformdirs.user_data_dir(APP_NAME)) / "model-signing.key"


def app_data_dir() -> Path:
    """The app's own data (the classes' database): ``$MNIST_APP_DATA_DIR``, else the per-user data dir."""
    from_env = os.environ.get(APP_DATA_DIR_ENV)
    if from_env:
        return Path(from_env).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME))
