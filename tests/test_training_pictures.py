"""Pages that show a model's training examples show the very pictures it learned from, copies too."""

from __future__ import annotations

import numpy as np
import pytest

from mnist_app import models, paths, preprocess
from mnist_app.data import load_mnist
from mnist_app.models import training
from mnist_app.synth import styles


def test_one_digit_s_copies_are_the_same_as_in_the_whole_set(tiny_mnist) -> None:
    images, labels = load_mnist("train", tiny_mnist)
    copies, copy_labels, names = styles.styled_copies(images, labels, share=0.25, seed=3)
    sources = styles.styled_sources(len(images), 0.25, 3)
    assert len(sources) == len(copies) and np.array_equal(labels[sources], copy_labels)
    for position in (0, len(sources) // 2, len(sources) - 1):
        source = int(sources[position])
        picture, name = styles.styled_copy(images[source], int(labels[source]), source, 0.25, 3)
        assert np.array_equal(picture, copies[position]) and name == names[position]
    unchosen = next(i for i in range(len(images)) if i not in set(sources.tolist()))
    assert styles.styled_copy(images[unchosen], int(labels[unchosen]), unchosen, 0.25, 3) is None
    varied = preprocess.augment_digits(images)
    assert np.array_equal(preprocess.augment_digits(images, only=[7, 2]), varied[[7, 2]])


@pytest.mark.parametrize("name", ["knn", "svm"])
def test_training_pictures_are_the_rows_the_model_learns_from(name, tiny_mnist, monkeypatch) -> None:
    monkeypatch.setenv(paths.DATA_DIR_ENV, str(tiny_mnist))
    spec = models.get_spec(name)
    images, labels = load_mnist("train", tiny_mnist)
    features, targets = training.training_set(spec, images, labels)
    count = len(images)
    rows = np.array([0, count - 1, count, len(features) - 1, len(features) - 2])
    pictures, sources, kinds = training.training_pictures(spec, rows)
    np.testing.assert_array_equal(pictures.reshape(len(rows), -1), features[rows])
    assert np.array_equal(labels[sources], targets[rows])  # each copy's source is a digit of its label
    assert sources[0] == 0 and sources[1] == count - 1 and kinds[:2] == ["digit", "digit"]
    assert (kinds[2] == "varied copy") if spec.augment else (kinds[2] in styles.STYLES)
    assert kinds[3] in styles.STYLES and kinds[4] in styles.STYLES
    with pytest.raises(ValueError, match="not in"):
        training.training_pictures(spec, np.array([len(features)]))
