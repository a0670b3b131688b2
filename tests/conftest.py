"""Shared fixtures: the real MNIST folder and a throwaway cache directory."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mnist_app import paths
from mnist_app.testing.browser import CHROMIUM, CHROMIUM_ARGS, streamlit_server
from mnist_app.testing.mnist import build_tiny_mnist

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


@pytest.fixture(scope="session")
def tiny_mnist(mnist_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 500/200-digit MNIST folder, so models train in seconds."""
    return build_tiny_mnist(tmp_path_factory.mktemp("tiny-mnist"), mnist_dir)


@pytest.fixture
def fresh_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty model cache, and no model or evaluation held in memory either."""
    from mnist_app import models
    from mnist_app.evaluation import forget_evaluations

    monkeypatch.setenv(paths.CACHE_DIR_ENV, str(tmp_path / "cache"))
    models.forget_loaded()
    forget_evaluations()
    yield tmp_path / "cache"
    models.forget_loaded()
    forget_evaluations()


# === Browser tests: a real `streamlit run` driven by Debian's chromium ==========================
# Fixtures for any page's browser tests:
#   trained_for_browser  (session) trains BROWSER_MODELS before the server starts, so the
#                        server only ever loads them from the cache
#   app_server           (session) base URL of `streamlit run streamlit_app.py` on a free port
#   browser              (session) Playwright's chromium, i.e. Debian's /usr/bin/chromium
#   page                 (function) a fresh 1280x900 page (its own context)
#   screenshot_dir       (session) a temporary folder for screenshots
# Without chromium or Playwright the browser tests are skipped (failed when CI=true).

#: The models the browser tests use: the drawing page's default and one to switch to.
BROWSER_MODELS = ("logistic_regression", "knn")


def _skip_or_fail(message: str) -> None:
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def trained_for_browser(mnist_dir: Path) -> tuple[str, ...]:
    """BROWSER_MODELS, trained (or loaded from the tests' cache) in this process."""
    from mnist_app import models

    for name in BROWSER_MODELS:
        models.get_model(name, data_dir=mnist_dir)
    return BROWSER_MODELS


@pytest.fixture(scope="session")
def app_server(
    trained_for_browser: tuple[str, ...], mnist_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """`streamlit run streamlit_app.py` on a free loopback port; yields its base URL."""
    log_path = tmp_path_factory.mktemp("streamlit") / "server.log"
    with streamlit_server(log_path, env={paths.DATA_DIR_ENV: str(mnist_dir)}) as url:  # ServerError: the log
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's chromium through Playwright (headless)."""
    if not CHROMIUM.is_file():
        _skip_or_fail(f"Debian chromium not found at {CHROMIUM}: install it (`make browser`, "
                      "i.e. apt-get install chromium) to run the browser tests")
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        _skip_or_fail("playwright is not installed: pip install -e '.[test]'")
    # `expect` waits 5 s by default, whatever the page's timeout: a first answer on a busy
    # 2-core machine can take longer (a patience limit, not a timing target).
    expect.set_options(timeout=30_000)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh desktop-sized page in its own browser context."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    new_page = context.new_page()
    yield new_page
    context.close()


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where browser tests keep their screenshots (a temporary folder, never the repository)."""
    return tmp_path_factory.mktemp("screenshots")


# === PostgreSQL: one throwaway server per test session (Debian's postgresql, on loopback) ========


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """A PostgreSQL server started for the tests; yields its URL (skipped without it, failed in CI)."""
    from mnist_app.testing.postgres import PostgresServer, PostgresUnavailable

    server = None
    try:
        server = PostgresServer()
        server.start()
    except PostgresUnavailable as error:
        if server is not None:
            server.remove()
        _skip_or_fail(str(error))
    try:
        yield server.url
    finally:
        server.remove()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty classroom database, on each back end: a SQLite file, and a new PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'classes.sqlite3'}"
    from mnist_app.testing.postgres import new_database

    return new_database(request.getfixturevalue("postgres_server_url"))
