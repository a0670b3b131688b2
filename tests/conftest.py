"""Shared fixtures: the real MNIST folder and a throwaway cache directory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mnist_app import paths

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def pytest_configure(config: pytest.Config) -> None:
    # Tests never touch the app's real cache. Unless told otherwise they share a cache of
    # their own (outside the repository) so repeated runs reuse trained models.
    if not os.environ.get(paths.CACHE_DIR_ENV):
        os.environ[paths.CACHE_DIR_ENV] = str(paths.cache_dir() / "pytest")


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """The real MNIST folder named by $MNIST_DATA_DIR (CI: ../shared/mnist)."""
    folder = os.environ.get(paths.DATA_DIR_ENV)
    if not folder or not Path(folder, "t10k-images-idx3-ubyte.gz").is_file():
        message = f"real MNIST not available: set {paths.DATA_DIR_ENV} (e.g. ../shared/mnist)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return Path(folder)
