"""The model zoo: registry, training once, cache behaviour, predictions, accuracy floors."""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from mnist_app import models, paths
from mnist_app.data import load_mnist
from mnist_app.evaluation import evaluate
from mnist_app.models import store, training
from mnist_app.testing.mnist import build_tiny_mnist

CLASSIC = ["logistic_regression", "mlp", "knn", "svm", "random_forest", "decision_tree", "naive_bayes"]

#: The accuracy floors the models must keep on the MNIST test set.
ACCURACY_FLOORS = {
    "logistic_regression": 0.92, "mlp": 0.98, "knn": 0.97, "svm": 0.985,
    "random_forest": 0.97, "decision_tree": 0.87, "naive_bayes": 0.55,
}


@pytest.fixture
def count_training(monkeypatch) -> list[str]:
    """Record the name of every model that gets trained (instead of loaded)."""
    trained: list[str] = []
    original = training.train_and_save

    def counting(spec, *args, **kwargs):
        trained.append(spec.name)
        return original(spec, *args, **kwargs)

    monkeypatch.setattr(training, "train_and_save", counting)
    return trained


# --- registry ------------------------------------------------------------------------------------


def test_registry_holds_the_seven_classic_models_with_student_texts():
    assert list(models.CLASSIC_MODELS) == CLASSIC
    for name in CLASSIC:
        spec = models.MODELS[name]
        assert spec.name == name
        assert spec.display_name and spec.display_name != name
        assert 20 < len(spec.description) <= 110 and "\n" not in spec.description
        estimator = spec.build()
        assert hasattr(estimator, "predict_proba") and not hasattr(estimator, "classes_")
    assert set(CLASSIC) <= set(models.available_models())
    assert models.available_models() == [n for n in models.model_names() if models.MODELS[n].is_available()]


def test_unknown_model_name_lists_the_valid_ones():
    with pytest.raises(models.UnknownModelError) as caught:
        models.get_model("lenet")
    message = str(caught.value)
    assert "lenet" in message and all(name in message for name in CLASSIC)
    with pytest.raises(KeyError):  # still a KeyError for callers that expect one
        models.get_spec("")


def test_random_forest_answers_on_one_thread():
    # Starting a thread pool for every drawing costs 5x the prediction itself.
    assert models.MODELS["random_forest"].build().n_jobs in (None, 1)


def test_unavailable_model_is_not_listed_and_cannot_be_loaded(monkeypatch):
    ghost = models.ModelSpec("ghost", "Ghost", "A model whose library is not installed here.",
                             build=lambda: None, is_available=lambda: False)
    monkeypatch.setitem(models.MODELS, "ghost", ghost)
    assert "ghost" in models.model_names() and "ghost" not in models.available_models()
    assert not models.is_trained("ghost")
    with pytest.raises(models.ModelUnavailableError):
        models.get_model("ghost")


# --- every model on a tiny MNIST -----------------------------------------------------------------


@pytest.mark.parametrize("name", CLASSIC)
def test_predict_proba_is_n_by_10_and_rows_sum_to_one(name, tiny_mnist):
    model = models.get_model(name, data_dir=tiny_mnist)
    test_images, test_labels = load_mnist("test", tiny_mnist)
    features = models.preprocess.prepare_training(test_images[:25])
    probabilities = model.predict_proba(features)
    assert probabilities.shape == (25, 10)
    assert np.all(probabilities >= 0)
    # float32 inputs give float32 probabilities: Naive Bayes' huge log-likelihoods cost ~1e-5.
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-4)
    # Column d is digit d: the argmax agrees with predict on most digits and beats chance.
    assert np.mean(probabilities.argmax(axis=1) == test_labels[:25]) > 0.3


def test_second_get_model_loads_instead_of_training(tiny_mnist, fresh_cache, count_training):
    progress: list[tuple[float, str]] = []
    first = models.get_model("knn", data_dir=tiny_mnist, progress=lambda f, m: progress.append((f, m)))
    assert count_training == ["knn"] and models.is_trained("knn", data_dir=tiny_mnist)
    assert progress[-1][0] == 1.0 and all(0.0 <= f <= 1.0 for f, _ in progress)
    models.forget_loaded()  # a new process: only the disk cache is left
    second = models.get_model("knn", data_dir=tiny_mnist)
    assert count_training == ["knn"]  # loaded, not trained again
    x = models.preprocess.prepare_training(load_mnist("test", tiny_mnist)[0][:10])
    np.testing.assert_allclose(first.predict_proba(x), second.predict_proba(x), atol=1e-6)
    assert models.get_model("knn", data_dir=tiny_mnist) is second  # and then kept in memory


def test_a_new_process_loads_the_seven_without_retraining_or_importing_torch(tiny_mnist, fresh_cache):
    # Warm start has 3 s for all seven; importing PyTorch alone takes ~1.5 s here, so the
    # classic models' load path (format included) must not pull it in.
    for name in CLASSIC:
        models.get_model(name, data_dir=tiny_mnist)
    cached = {path.name: path.stat().st_mtime_ns for path in (fresh_cache / "models").iterdir()}
    code = ("import sys; from mnist_app import models\n"
            "for name in models.CLASSIC_MODELS: models.get_model(name, data_dir=sys.argv[1])\n"
            "print('torch' in sys.modules)")
    child = subprocess.run([sys.executable, "-c", code, str(tiny_mnist)], capture_output=True, text=True,
                           env=os.environ, cwd=Path(__file__).resolve().parents[1], timeout=120)
    assert child.returncode == 0, child.stderr
    assert child.stdout.split() == ["False"]
    assert {path.name: path.stat().st_mtime_ns for path in (fresh_cache / "models").iterdir()} == cached


def test_hyperparameter_change_retrains(tiny_mnist, fresh_cache, count_training, monkeypatch):
    models.get_model("decision_tree", data_dir=tiny_mnist)
    old_key = models.model_key("decision_tree", data_dir=tiny_mnist)
    spec = models.MODELS["decision_tree"]
    shallow = dataclasses.replace(spec, build=lambda: spec.build().set_params(max_depth=3))
    monkeypatch.setitem(models.MODELS, "decision_tree", shallow)
    assert models.model_key("decision_tree", data_dir=tiny_mnist) != old_key
    assert not models.is_trained("decision_tree", data_dir=tiny_mnist)
    retrained = models.get_model("decision_tree", data_dir=tiny_mnist)
    assert count_training == ["decision_tree", "decision_tree"]
    assert retrained.get_depth() == 3


def test_training_data_change_retrains(tiny_mnist, fresh_cache, count_training, tmp_path, mnist_dir):
    other = build_tiny_mnist(tmp_path / "other", mnist_dir, n_train=400)
    models.get_model("naive_bayes", data_dir=tiny_mnist)
    models.get_model("naive_bayes", data_dir=other)
    assert count_training == ["naive_bayes", "naive_bayes"]
    assert models.model_info("naive_bayes", data_dir=other)["n_train"] == 400
    # A model trained on another data folder is not stale: both stay cached side by side
    # (tests on a small MNIST never evict the models trained on the real one).
    models.forget_loaded()
    assert models.is_trained("naive_bayes", data_dir=tiny_mnist)
    assert models.is_trained("naive_bayes", data_dir=other)
    assert len(list(store.models_dir().glob("naive_bayes-*.model"))) == 2


def test_a_new_version_on_the_same_data_replaces_the_old_file(tiny_mnist, fresh_cache, monkeypatch):
    models.get_model("decision_tree", data_dir=tiny_mnist)
    old_key = models.model_key("decision_tree", data_dir=tiny_mnist)
    spec = models.MODELS["decision_tree"]
    monkeypatch.setitem(models.MODELS, "decision_tree",
                        dataclasses.replace(spec, build=lambda: spec.build().set_params(max_depth=3)))
    models.get_model("decision_tree", data_dir=tiny_mnist)
    assert not store.model_path("decision_tree", old_key).exists()
    assert len(list(store.models_dir().glob("decision_tree-*.model"))) == 1


def test_corrupted_cache_file_is_deleted_and_retrained(tiny_mnist, fresh_cache, count_training):
    models.get_model("naive_bayes", data_dir=tiny_mnist)
    key = models.model_key("naive_bayes", data_dir=tiny_mnist)
    store.model_path("naive_bayes", key).write_bytes(b"\x00 half-written garbage")
    models.forget_loaded()
    with pytest.warns(store.CacheWarning, match="naive_bayes"):
        model = models.get_model("naive_bayes", data_dir=tiny_mnist)
    assert count_training == ["naive_bayes", "naive_bayes"]
    assert model.predict_proba(np.zeros((1, 784), np.float32)).shape == (1, 10)
    models.forget_loaded()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the rewritten file is sound: no warning this time
        models.get_model("naive_bayes", data_dir=tiny_mnist)
    assert count_training == ["naive_bayes", "naive_bayes"]


def _train_in_child(cache_dir: str, data_dir: str, log_file: str, barrier) -> None:
    """Child process: start together with the other child, then ask for the model."""
    import os
    import time

    os.environ[paths.CACHE_DIR_ENV] = cache_dir
    original = training.train_and_save

    def logged(spec, *args, **kwargs):
        with open(log_file, "a") as log:
            log.write(f"{os.getpid()}\n")
        time.sleep(1.0)  # widen the window in which the other process could start training too
        return original(spec, *args, **kwargs)

    training.train_and_save = logged
    barrier.wait()
    models.get_model("decision_tree", data_dir=data_dir)


def test_two_processes_starting_together_train_once(tiny_mnist, fresh_cache, tmp_path):
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    log_file = tmp_path / "trained.log"
    arguments = (str(fresh_cache), str(tiny_mnist), str(log_file), barrier)
    children = [context.Process(target=_train_in_child, args=arguments) for _ in range(2)]
    for child in children:
        child.start()
    for child in children:
        child.join(timeout=300)
    assert [child.exitcode for child in children] == [0, 0]
    assert len(log_file.read_text().split()) == 1  # one trained, the other waited and loaded
    assert models.is_trained("decision_tree", data_dir=tiny_mnist)


def test_predict_a_drawing(tiny_mnist, monkeypatch):
    monkeypatch.setenv(paths.DATA_DIR_ENV, str(tiny_mnist))
    images, labels = load_mnist("test", tiny_mnist)
    # A canvas-like drawing: the test digit enlarged to 280x280, black strokes on white.
    drawing = 255 - np.kron(images[0], np.ones((10, 10), np.uint8))
    result = models.predict(drawing, "knn")
    assert result.model == "knn" and result.label == int(np.argmax(result.probabilities))
    assert result.probabilities.shape == (10,)
    assert result.probabilities.sum() == pytest.approx(1.0)
    with pytest.raises(models.preprocess.EmptyDrawingError):
        models.predict(np.full((280, 280), 255, np.uint8), "knn")
    with pytest.raises(models.UnknownModelError):
        models.predict(drawing, "nope")


# --- the real MNIST ------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("name", CLASSIC)
def test_accuracy_floor_on_mnist(name, mnist_dir):
    # Uses the tests' shared cache, so the UI tests reuse these trained models and evaluations.
    result = evaluate(name, data_dir=mnist_dir)
    assert result.accuracy >= ACCURACY_FLOORS[name], f"{name}: {result.accuracy:.4f}"
    assert result.probabilities.shape == (10_000, 10)
