"""explain.neighbours and explain.voters: the k-NN model's own space, real MNIST training digits."""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np
import pytest

from mnist_app import data, explain, models, preprocess


@pytest.fixture(scope="module")
def test_digits(mnist_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    images, labels = data.load_mnist("test", mnist_dir)
    return preprocess.prepare_training(images[:20]).reshape(-1, 28, 28), labels[:20]


def test_neighbours_are_the_nearest_training_digits_in_the_knn_pca_space(test_digits) -> None:
    digits, _ = test_digits
    train_images, train_labels = data.load_mnist("train")
    pipeline = models.get_model("knn")
    digit = digits[3]
    found = explain.neighbours(digit, k=8)
    assert len(found) == 8
    # Brute force over every real training digit, projected by the model's own PCA.
    points = pipeline[0].transform(preprocess.prepare_training(train_images))
    distances = np.linalg.norm(points - pipeline[0].transform(digit.reshape(1, -1)), axis=1)
    expected = np.argsort(distances)[:8]
    assert [n.index for n in found] == expected.tolist()
    for neighbour in found:
        assert neighbour.label == train_labels[neighbour.index]
        assert neighbour.distance == pytest.approx(distances[neighbour.index], rel=1e-3, abs=1e-3)
        assert neighbour.image.shape == (28, 28)
        np.testing.assert_allclose(neighbour.image.ravel(),
                                   preprocess.prepare_training(train_images[[neighbour.index]])[0], atol=1e-6)
    assert [n.distance for n in found] == sorted(n.distance for n in found)


def test_neighbours_mostly_share_the_label_of_a_clear_test_digit(test_digits) -> None:
    digits, labels = test_digits
    agree = [np.mean([n.label == label for n in explain.neighbours(digit)])
             for digit, label in zip(digits, labels, strict=True)]
    assert np.mean(agree) > 0.8


def test_voters_are_the_knn_models_votes(test_digits) -> None:
    digits, _ = test_digits
    pipeline = models.get_model("knn")
    for digit in digits[:5]:
        found = explain.voters(digit)
        assert len(found) == pipeline[-1].n_neighbors
        assert sum(v.weight for v in found) == pytest.approx(1.0)
        # The voters' weighted labels give the model's own probabilities.
        votes = np.zeros(10)
        for voter in found:
            votes[voter.label] += voter.weight
        np.testing.assert_allclose(votes, models.predict_digits(digit, "knn")[0], atol=1e-5)


def test_bad_input_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="28x28"):
        explain.neighbours(np.zeros((10, 10)))
    with pytest.raises(ValueError, match="k must be"):
        explain.neighbours(np.zeros((28, 28)), k=0)


def test_voters_and_support_vectors_show_the_very_pictures_the_models_learned(test_digits) -> None:
    # Copies (thinner or thicker, restyled) come after the real digits in a model's training
    # rows: each shown picture must be the row the model keeps, so its distance is the model's.
    from mnist_app.explain import views

    digits, _ = test_digits
    knn, (svm_projection, _) = models.get_model("knn"), views._svm_parts()
    kinds: set[str] = set()
    for digit in digits:
        point = knn[0].transform(digit.reshape(1, -1))
        for voter in explain.voters(digit):
            kinds.add(voter.kind)
            assert voter.copy == (voter.kind != "digit")
            shown = knn[0].transform(voter.image.reshape(1, -1))
            assert np.linalg.norm(shown - point) == pytest.approx(voter.distance, rel=1e-3, abs=1e-3)
        point = svm_projection.transform(digit.reshape(1, -1))
        for support in views.svm_nearest_support_vectors(digit):
            kinds.add(support.kind)
            shown = svm_projection.transform(support.image.reshape(1, -1))
            assert np.linalg.norm(shown - point) == pytest.approx(support.distance, rel=1e-3, abs=1e-3)
    assert {"digit", "varied copy"} <= kinds and kinds - {"digit", "varied copy"}  # and restyled ones


def test_nearest_distances_are_a_kd_trees_own_over_the_real_digits(test_digits) -> None:
    # The verdict reads the nearest distance on every stroke, from the k-NN model's own search
    # (models.knn_search): it must be what a k-d tree over the real digits measures, bit for bit.
    from sklearn.neighbors import KDTree

    module = importlib.import_module("mnist_app.explain.neighbours")  # (explain.neighbours is a function)
    space = module.knn_space()
    tree = KDTree(space.points)
    for digit in test_digits[0][:8]:
        distances, indices = tree.query(module.project(digit)[np.newaxis], k=8)
        found = module.neighbours(digit, k=8)
        assert [n.distance for n in found] == distances[0].tolist()
        assert sorted(n.index for n in found) == sorted(indices[0].tolist())
        assert module.nearest_distance(digit) == distances[0][0]
