"""models.knn_search: the k-NN model's neighbours by one brute-force pass, its tree's bit for bit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.neighbors import KNeighborsClassifier

from mnist_app import data, models, preprocess
from mnist_app.models import fast_answers, knn_search
from mnist_app.synth import drawn


def projected_points(seed: int, n: int = 2000, dimensions: int = 40) -> np.ndarray:
    """float32 points spread like PCA projections of digits (a few large, many small components)."""
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(n, dimensions)) * np.geomspace(5.0, 0.3, dimensions)).astype(np.float32)


@pytest.mark.parametrize("algorithm", ["kd_tree", "ball_tree"])
def test_query_gives_the_trees_own_neighbours_and_distances(algorithm: str) -> None:
    points = projected_points(0)
    vote = KNeighborsClassifier(n_neighbors=4, weights="distance", algorithm=algorithm)
    vote.fit(points, np.arange(len(points)) % 10)
    queries = projected_points(1, n=300)
    found = knn_search.query(vote, queries, 4)
    assert found is not None
    distances, indices = vote._tree.query(queries, 4, True)
    np.testing.assert_array_equal(found[0], distances)
    np.testing.assert_array_equal(np.sort(found[1], axis=1), np.sort(indices, axis=1))


def test_a_tie_at_the_kth_place_is_left_to_the_tree() -> None:
    points = projected_points(2, n=200)
    step = np.full(40, 0.125, dtype=np.float32)  # exact in binary: the distances tie exactly
    points[3], points[9], points[7] = step, -step, 2 * step
    vote = KNeighborsClassifier(n_neighbors=2, weights="distance", algorithm="kd_tree")
    vote.fit(points, np.arange(len(points)) % 10)
    origin = np.zeros((1, 40), dtype=np.float32)
    assert knn_search.query(vote, origin, 1) is None  # the first place: points 3 and 9 tied
    distances, indices = knn_search.query(vote, origin, 2)  # both, and point 7 farther
    assert sorted(indices[0].tolist()) == [3, 9]
    np.testing.assert_array_equal(distances, vote._tree.query(origin, 2, True)[0])


def test_nearest_among_the_first_rows_only() -> None:
    points = projected_points(3)
    vote = KNeighborsClassifier(algorithm="kd_tree").fit(points, np.zeros(len(points)))
    query = points[1500] + np.float32(0.01)  # nearest to a row past the first 1000
    distances, indices = knn_search.nearest(vote, query, 3, 1000)
    brute = np.sqrt(((points[:1000].astype(np.float64) - query) ** 2).sum(axis=1))
    assert indices.tolist() == np.argsort(brute)[:3].tolist()
    np.testing.assert_allclose(distances, np.sort(brute)[:3], rtol=1e-12)
    assert knn_search.nearest(vote, query, 1, len(points))[1][0] == 1500


def test_the_apps_knn_answers_drawn_and_mnist_digits_exactly_as_its_predict_proba(mnist_dir: Path) -> None:
    """The app's k-NN model (135,000 points), drawn digits and MNIST test digits: the same answers."""
    if not models.is_trained("knn"):
        pytest.skip("the k-NN model is not in the tests' cache")
    model = models.get_model("knn")
    canvases, _ = drawn.make_drawn_benchmark(40, seed=11, data_dir=mnist_dir)
    images, _ = data.load_mnist("test", mnist_dir)
    digits = [preprocess.to_mnist(canvas) for canvas in canvases]
    digits += list(preprocess.prepare_training(images[:60]))
    searched = 0
    for digit in digits:
        row = np.asarray(digit, dtype=np.float32).reshape(1, -1)
        np.testing.assert_array_equal(fast_answers.probabilities(model, row), model.predict_proba(row))
        searched += knn_search.query(model[-1], fast_answers.projected(model[0], row), 4) is not None
    assert searched == len(digits)  # the brute-force pass answered them all, not the tree
