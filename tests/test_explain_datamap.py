"""The data map: made once, cached in the model cache (never the repository), a drawing placed on it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mnist_app import data, models, preprocess
from mnist_app.explain import datamap
from mnist_app.models import store


def small_map(n: int = 100) -> datamap.DataMap:
    rng = np.random.default_rng(1)
    labels = np.arange(n) % 10
    return datamap.DataMap(rng.normal(size=(n, 2)).astype(np.float32), labels,
                           rng.normal(size=(n, 40)).astype(np.float32))


@pytest.fixture
def quick_map(fresh_cache: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """data_map() with a fixed key and a small map made instantly; counts how often it is made."""
    made = {"count": 0}

    def make(report: object) -> datamap.DataMap:
        made["count"] += 1
        return small_map()

    monkeypatch.setattr(datamap, "map_key", lambda: "k" * 20)
    monkeypatch.setattr(datamap, "_make", make)
    datamap._memo.clear()
    yield made
    datamap._memo.clear()


def test_the_map_is_made_once_and_cached_in_the_model_cache(quick_map, fresh_cache: Path) -> None:
    first = datamap.data_map()
    assert quick_map["count"] == 1
    path = datamap.map_path("k" * 20)
    assert path.is_file() and path.is_relative_to(fresh_cache)
    datamap._memo.clear()  # a new process: read from the cache, not made again
    again = datamap.data_map()
    assert quick_map["count"] == 1
    np.testing.assert_array_equal(again.positions, first.positions)
    np.testing.assert_array_equal(again.labels, first.labels)


def test_a_broken_cached_map_is_deleted_and_made_again(quick_map) -> None:
    path = datamap.map_path("k" * 20)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not a map")
    with pytest.warns(store.CacheWarning):
        made = datamap.data_map()
    assert quick_map["count"] == 1 and made.positions.shape == (100, 2)


def test_a_drawing_is_placed_among_its_nearest_test_digits(mnist_dir: Path) -> None:
    images, labels = data.load_mnist("test", mnist_dir)
    labels = labels.astype(np.int64)
    points = models.get_model("knn")[0].transform(preprocess.prepare_training(images[:1000]))
    # A map where each digit has its own corner: a drawing should land in its digit's corner.
    corners = np.stack([np.cos(np.arange(10) * 0.6), np.sin(np.arange(10) * 0.6)], axis=1) * 100
    layout = datamap.DataMap(corners[labels[:1000]].astype(np.float32), labels[:1000],
                             points.astype(np.float32))
    drawings = preprocess.prepare_training(images[1000:1100]).reshape(-1, 28, 28)
    landed = [np.argmin(np.linalg.norm(corners - layout.place(drawing), axis=1)) for drawing in drawings]
    assert np.mean(np.array(landed) == labels[1000:1100]) > 0.85


@pytest.mark.slow
def test_the_real_map_keeps_digits_of_a_kind_together(mnist_dir: Path) -> None:
    from sklearn.model_selection import cross_val_score
    from sklearn.neighbors import KNeighborsClassifier

    made = datamap.data_map()  # minutes the first time; then cached in the tests' model cache
    assert made.positions.shape == (10000, 2) and datamap.is_ready()
    accuracy = cross_val_score(KNeighborsClassifier(10), made.positions, made.labels, cv=5).mean()
    assert accuracy > 0.9
