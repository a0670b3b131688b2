"""The low-resolution pen effect: deterministic, really less detail, opt-in, not in the drawn benchmark."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage

from mnist_app.data import load_mnist
from mnist_app.synth import styles, styles_benchmark
from mnist_app.synth.low_resolution import BOX, SIDE, low_resolution

SAMPLES = 40


@pytest.fixture(scope="module")
def train_digits(mnist_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    images, labels = load_mnist("train", mnist_dir)
    return images[:600], labels[:600]


def _fine_detail(digit: np.ndarray) -> float:
    """Fine detail per unit of ink: the mean size of the image's Laplacian (sharp edges, thin
    strokes) over its ink mass, measured in MNIST's frame (ink box fitted into 20x20)."""
    return float(np.abs(ndimage.laplace(digit.astype(np.float64))).sum() / max(float(digit.sum()), 1e-6))


def test_the_same_digit_and_seed_give_the_same_copy(train_digits) -> None:
    digit = train_digits[0][0] / 255.0
    first = low_resolution(digit, np.random.default_rng([3, 0]))
    again = low_resolution(digit, np.random.default_rng([3, 0]))
    assert np.array_equal(first, again)
    others = [low_resolution(digit, np.random.default_rng([3, seed])) for seed in range(1, 6)]
    assert any(not np.array_equal(first, other) for other in others)


def test_a_copy_is_an_mnist_shaped_digit_with_much_less_fine_detail(train_digits) -> None:
    digits = train_digits[0][:SAMPLES] / 255.0
    copies = [low_resolution(digit, np.random.default_rng([0, i])) for i, digit in enumerate(digits)]
    for copy in copies:
        assert copy.shape == (SIDE, SIDE) and copy.dtype == np.float32
        assert 0.0 <= copy.min() and copy.max() == pytest.approx(1.0)
        rows = np.flatnonzero((copy > 0.05).any(axis=1))
        cols = np.flatnonzero((copy > 0.05).any(axis=0))
        assert max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 <= BOX + 1  # fitted like to_mnist
    # The originals fitted into the same 20x20 box, so that only the resolution differs.
    fitted = [low_resolution(digit, _NoBlur()) for digit in digits]
    ratios = [_fine_detail(copy) / _fine_detail(plain) for copy, plain in zip(copies, fitted, strict=True)]
    assert np.median(ratios) < 0.7 and np.mean(np.array(ratios) < 1.0) >= 0.9


class _NoBlur:
    """A stand-in generator choosing no thickening and the full 20-pixel resolution."""

    def random(self) -> float:
        return 1.0

    def integers(self, low: int, high: int) -> int:
        return BOX


def test_a_blank_image_stays_blank() -> None:
    blank = np.zeros((SIDE, SIDE), np.float32)
    assert not low_resolution(blank, np.random.default_rng(0)).any()


def test_low_resolution_copies_are_made_only_when_a_model_asks_for_them(train_digits) -> None:
    images, labels = train_digits
    default = styles.styled_copies(images, labels, share=1.0, seed=0)
    asked = styles.styled_copies(images, labels, share=1.0, seed=0, weights={"low_resolution": 0.2})
    assert "low_resolution" not in default[2] and styles.STYLES["low_resolution"].weight == 0
    assert np.array_equal(asked[1], labels)
    chosen = np.array([name == "low_resolution" for name in asked[2]])
    # Its weight is its share of every digit's copies: not mostly 3s and 6s, as a pen effect's.
    assert 0.15 <= chosen.mean() <= 0.25
    for digit in range(10):
        assert 0.05 <= chosen[labels == digit].mean() <= 0.4, digit



def test_the_drawn_styles_benchmark_leaves_out_the_low_resolution_effect() -> None:
    classes = styles_benchmark.benchmark_styles()
    assert "low_resolution" in styles.STYLES and "low_resolution" not in classes
    assert classes[-1] == "two_narrow"  # the earlier classes keep their positions (their seeds)
