"""synth.real_digits: scikit-learn's load_digits (real handwriting, writers not in MNIST) on the canvas."""

from __future__ import annotations

import numpy as np
from sklearn.datasets import load_digits

from mnist_app import preprocess
from mnist_app.synth import real_digits

COUNT = 20


def test_real_digits_are_prepared_like_drawings_with_their_own_labels() -> None:
    digits, labels = real_digits.load_real_digits(count=COUNT)
    assert digits.shape == (COUNT, 28, 28) and digits.dtype == np.float32
    assert 0.0 <= digits.min() and digits.max() == 1.0
    np.testing.assert_array_equal(labels, load_digits().target[:COUNT])
    # Each prepared digit is its own source digit (not a neighbour's): compared with every
    # source digit sent straight through to_mnist, its own is the closest.
    enlarged, _ = real_digits.enlarged_digits(COUNT)
    direct = np.stack([preprocess.to_mnist((digit * 255).astype(np.uint8)) for digit in enlarged])
    distances = ((digits[:, None] - direct[None]) ** 2).sum(axis=(2, 3))
    np.testing.assert_array_equal(distances.argmin(axis=1), np.arange(COUNT))


def test_canvases_are_deterministic_for_a_seed_and_vary_in_size_between_seeds() -> None:
    first, _ = real_digits.real_digit_canvases(seed=1, count=4)
    again, _ = real_digits.real_digit_canvases(seed=1, count=4)
    other, _ = real_digits.real_digit_canvases(seed=2, count=4)
    assert all(canvas.shape == (280, 280, 4) and canvas.dtype == np.uint8 for canvas in first)
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert not all(np.array_equal(a, b) for a, b in zip(first, other, strict=True))
