"""A class at once: the server's settings for load, and a short load test against `streamlit run`.

The load test (N = 5 students for 20 s) checks correctness under load only: every stroke
answered, the same answer as the real browser gave for the same strokes, no error, no
exception in the server log. Timings are measured by benchmarks/bench_class_load.py.
"""

from __future__ import annotations

import gc
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mnist_app import paths
from mnist_app.testing import browser, handwriting, load_client
from mnist_app.ui import server

REPO = Path(__file__).resolve().parents[1]


# --- settings and warm-up ------------------------------------------------------------------------


def test_streamlit_config_turns_off_the_full_collection_after_every_rerun() -> None:
    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())
    assert config["runner"]["postScriptGC"] is False


def test_warm_up_order_puts_the_default_first_and_pytorch_last() -> None:
    names = ["logistic_regression", "cnn", "knn", "svm"]
    assert server.warm_up_order(names, "svm") == ["svm", "logistic_regression", "knn", "cnn"]
    assert server.warm_up_order(names, None) == ["logistic_regression", "knn", "svm", "cnn"]


def test_warm_up_loads_only_trained_models_survives_a_broken_one_and_freezes_the_heap(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(server.models, "is_trained", lambda name: name != "svm")
    loaded: list[str] = []

    def load(name: str) -> object:
        if name == "knn":
            raise OSError("a damaged cache file")
        loaded.append(name)
        return object()

    monkeypatch.delenv(server.FREEZE_ENV, raising=False)
    gc.unfreeze()
    try:
        assert server.warm_up(["logistic_regression", "knn", "svm", "mlp"], load=load) == [
            "logistic_regression", "mlp"]
        assert loaded == ["logistic_regression", "mlp"]
        assert gc.get_freeze_count() > 0, "the long-lived objects must leave the collector's work"
        assert server.wait_until_warm(0)
    finally:
        gc.unfreeze()


def test_freezing_can_be_switched_off_for_comparison(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(server.FREEZE_ENV, "0")
    gc.unfreeze()
    assert server.freeze_heap() is False
    assert gc.get_freeze_count() == 0


ARENA_PROBE = """
import ctypes, threading
from mnist_app.ui import server
print(server.limit_malloc_arenas(), flush=True)
barrier = threading.Barrier(12)
def work():
    barrier.wait()
    junk = [bytearray(200) for _ in range(2000)]  # each thread allocates while all twelve live
    barrier.wait()
threads = [threading.Thread(target=work) for _ in range(12)]
for thread in threads: thread.start()
for thread in threads: thread.join()
ctypes.CDLL(None).malloc_stats()  # glibc: one "Arena N:" block per arena, on stderr
"""


@pytest.mark.parametrize(("setting", "capped"), [("", True), ("0", False)])
def test_threads_share_at_most_two_malloc_arenas_unless_switched_off(setting: str, capped: bool) -> None:
    import os
    import subprocess
    import sys

    env = {key: value for key, value in os.environ.items() if key != "MALLOC_ARENA_MAX"}
    if setting:
        env[server.ARENAS_ENV] = setting
    result = subprocess.run([sys.executable, "-c", ARENA_PROBE], capture_output=True, text=True,
                            env=env, cwd=REPO, timeout=60, check=True)
    arenas = result.stderr.count("Arena ")
    assert result.stdout.strip() == str(capped)
    assert (arenas <= server.DEFAULT_ARENAS) if capped else (arenas > server.DEFAULT_ARENAS), result.stderr


def test_no_background_warm_up_outside_streamlit_run() -> None:
    assert not server.under_streamlit_run()  # pytest (and AppTest) never start the loader thread


def test_answer_label_reads_the_answer_line() -> None:
    assert handwriting.answer_label("Logistic regression says 7, 93% sure.") == 7
    assert handwriting.answer_label("Draw a digit from 0 to 9 in the black box") is None


# --- five students for twenty seconds --------------------------------------------------------------

STUDENTS = 5
SECONDS = 20.0
#: A one-stroke digit and two two-stroke ones keep the browser recording short.
RECORDED = (1, 4, 7)


@pytest.fixture(scope="module")
def load_server(trained_for_browser: tuple[str, ...], mnist_dir: Path,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A `streamlit run` of our own (its log must stay free of other tests' errors): URL and log."""
    log_path = tmp_path_factory.mktemp("class-load") / "server.log"
    with browser.streamlit_process(log_path, env={paths.DATA_DIR_ENV: str(mnist_dir)}) as (url, _process):
        yield url, log_path


@pytest.mark.browser
@pytest.mark.slow
def test_five_students_for_twenty_seconds_every_stroke_answered_as_in_the_browser(
    page: Any, load_server: tuple[str, Path], trained_for_browser: tuple[str, ...]
) -> None:
    url, log_path = load_server
    from mnist_app import models

    model = models.get_spec(trained_for_browser[0]).display_name
    digits = {digit: handwriting.DIGITS[digit] for digit in RECORDED}
    recording = handwriting.record_digits(page, url, model, digits)
    assert [digit.answer for digit in recording.digits] == list(RECORDED), "the browser's own answers"

    behaviour = load_client.Behaviour(
        duration=SECONDS, interval=1.0, arrive_within=2.0, switch_model=0.3, switch_page=0.2,
        models=tuple(models.get_spec(name).display_name for name in trained_for_browser),
    )
    reports = load_client.run_class(url, recording, behaviour, STUDENTS)

    assert len(reports) == STUDENTS
    for report in reports:
        assert report.errors == []
        assert len(report.page_loads) == 1
        assert report.strokes >= 5, "each student drew for the whole time"
        assert len(report.latencies) == report.strokes, "every stroke answered"
        assert report.mismatches == 0, "the same strokes and model give the browser's answer"
        # A stroke reruns the canvas's fragment only, in the browser and in the simulated student alike.
        assert report.fragment == recording.fragment != ""
    log = log_path.read_text()
    assert "Traceback" not in log and "Exception" not in log, log[-3000:]


def test_warm_up_lets_each_loaded_model_answer_once_before_freezing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server.models, "is_trained", lambda name: name != "svm")
    answered: list[str] = []

    def answer(name: str) -> None:
        if name == "mlp":
            raise RuntimeError("a model that cannot answer")
        answered.append(name)

    monkeypatch.setenv(server.FREEZE_ENV, "0")
    assert server.warm_up(["knn", "svm", "mlp", "cnn"], load=lambda name: object(), answer=answer) == [
        "knn", "mlp", "cnn"]
    assert answered == ["knn", "cnn"]  # loaded ones only, a failing one skipped


def test_first_answer_pays_the_first_calls_one_off_costs(trained_for_browser: tuple[str, ...]) -> None:
    import importlib

    space_module = importlib.import_module("mnist_app.explain.neighbours")
    space_module._space = None
    server.first_answer("knn")
    assert space_module._space is not None  # the verdict's search space is built


def test_the_script_health_check_answers_ok_once_the_server_is_warm(
    trained_for_browser: tuple[str, ...], mnist_dir: Path, tmp_path: Path
) -> None:
    # docs/deploy.md: a new replica takes students once this check says "ok".
    import urllib.request

    log_path = tmp_path / "server.log"
    env = {paths.DATA_DIR_ENV: str(mnist_dir), "STREAMLIT_SERVER_SCRIPT_HEALTH_CHECK_ENABLED": "true"}
    with browser.streamlit_process(log_path, env=env) as (url, _process):
        assert server.WARM_LINE not in log_path.read_text()  # nothing loads before a first run
        with urllib.request.urlopen(f"{url}_stcore/script-health-check", timeout=90) as response:
            assert response.read().strip() == b"ok"
        assert server.WARM_LINE in log_path.read_text()  # the check waited for the warm-up
