"""fast_answers: the models' own arithmetic without scikit-learn's per-call checks, same numbers."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

from mnist_app import data, models
from mnist_app.models import fast_answers

#: The zoo's models that have a fast path (the others answer through their own predict_proba).
FAST = ("knn", "svm", "random_forest", "decision_tree", "logistic_regression", "mlp", "naive_bayes")


def features(split: str, folder: Path) -> tuple[np.ndarray, np.ndarray]:
    images, labels = data.load_mnist(split, folder, download=False)
    return (images.reshape(-1, 28 * 28) / 255.0).astype(np.float32), labels


@pytest.fixture(scope="module")
def small_zoo(tiny_mnist: Path) -> dict[str, object]:
    """Every classic recipe of the zoo, fitted on 500 digits and loaded as the app loads it."""
    train, labels = features("train", tiny_mnist)
    fitted = {}
    for name in models.CLASSIC_MODELS:
        spec = models.get_spec(name)
        model = spec.build().fit(train, labels)
        fitted[name] = spec.load(spec.dump(model)) if spec.load is not pickle.loads else model
    return fitted


def test_every_recipe_gives_exactly_its_own_probabilities_one_digit_at_a_time(
    small_zoo: dict[str, object], tiny_mnist: Path
) -> None:
    test, _ = features("test", tiny_mnist)
    for name, model in small_zoo.items():
        for row in test[:60]:
            digit = row[np.newaxis]
            fast = fast_answers.probabilities(model, digit)
            assert (fast is not None) == (name in FAST), name  # the fast path is really taken
            if fast is not None:
                np.testing.assert_array_equal(fast, model.predict_proba(digit), err_msg=name)


def test_a_few_digits_at_once_too(small_zoo: dict[str, object], tiny_mnist: Path) -> None:
    test, _ = features("test", tiny_mnist)
    for name in FAST:
        model = small_zoo[name]
        fast = fast_answers.probabilities(model, test[:9])
        np.testing.assert_array_equal(fast, model.predict_proba(test[:9]), err_msg=name)


def test_knn_a_digit_it_stored_decides_alone_as_in_scikit_learn(tiny_mnist: Path) -> None:
    from sklearn.neighbors import KNeighborsClassifier

    train, labels = features("train", tiny_mnist)
    model = KNeighborsClassifier(n_neighbors=4, weights="distance", algorithm="kd_tree").fit(train, labels)
    fast = fast_answers.probabilities(model, train[:3])
    np.testing.assert_array_equal(fast, model.predict_proba(train[:3]))
    assert list(fast.max(axis=1)) == [1.0, 1.0, 1.0]  # distance 0: that stored digit alone


def test_settings_it_does_not_cover_answer_through_the_model_itself(tiny_mnist: Path) -> None:
    from sklearn.neighbors import KNeighborsClassifier

    train, labels = features("train", tiny_mnist)
    uniform = KNeighborsClassifier(n_neighbors=3, algorithm="kd_tree").fit(train, labels)
    assert fast_answers.probabilities(uniform, train[:1]) is None
    assert fast_answers.probabilities(object(), train[:1]) is None


def test_a_model_without_the_private_parts_it_reads_answers_through_itself(tiny_mnist: Path) -> None:
    from sklearn.neighbors import KNeighborsClassifier

    train, labels = features("train", tiny_mnist)
    model = KNeighborsClassifier(n_neighbors=4, weights="distance", algorithm="kd_tree").fit(train, labels)
    assert fast_answers.probabilities(model, train[:1]) is not None
    del model._tree  # as if another scikit-learn version kept its search tree elsewhere
    assert fast_answers.probabilities(model, train[:1]) is None


def test_predict_digits_answers_as_the_models_own_predict_proba(mnist_dir: Path) -> None:
    """The app's models (the tests' shared cache), through the one prediction path."""
    from mnist_app.models import calibration

    trained = [name for name in models.model_names() if models.is_trained(name)]
    if not trained:
        pytest.skip("no trained model in the tests' cache")
    test, _ = features("test", mnist_dir)
    for name in trained:
        model = models.get_model(name)
        for row in test[:25]:
            own = calibration.calibrate(np.asarray(model.predict_proba(row[np.newaxis]), np.float64), name)
            answer = models.predict_digit(row.reshape(28, 28), name)
            np.testing.assert_array_equal(answer.probabilities, own[0], err_msg=name)


def test_the_verdicts_nearest_distance_is_the_nearest_neighbours_distance(mnist_dir: Path) -> None:
    from mnist_app.explain.neighbours import KNN_MODEL, knn_space, nearest_distance, neighbours, project

    if not models.is_trained(KNN_MODEL):
        pytest.skip("the k-NN model is not in the tests' cache")
    test, _ = features("test", mnist_dir)
    for row in test[:10]:
        digit = row.reshape(28, 28)
        assert nearest_distance(digit) == neighbours(digit, k=1)[0].distance
        point = knn_space().projection.transform(row[np.newaxis])  # with scikit-learn's checks
        np.testing.assert_array_equal(project(digit), point[0].astype(np.float64))


@pytest.mark.parametrize("n_classes", [2, 3, 10])
def test_one_vs_rest_from_one_vs_one_is_scikit_learns_bit_for_bit(n_classes: int) -> None:
    from sklearn.utils.multiclass import _ovr_decision_function

    rng = np.random.default_rng(n_classes)
    pairs = n_classes * (n_classes - 1) // 2
    pairwise = rng.normal(size=(64, pairs)) * rng.choice([1e-6, 1.0, 1e6], size=(64, 1))
    pairwise[:4] = 0.0  # ties: every vote to the first class of each pair, no confidence
    np.testing.assert_array_equal(fast_answers.ovr_decision_function(pairwise < 0, -pairwise, n_classes),
                                  _ovr_decision_function(pairwise < 0, -pairwise, n_classes))
