"""The one-digit-or-not scorer (digit_or_not): what it says about pieces, what it learns from, its cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mnist_app import data, digit_or_not, oversegment, synth
from mnist_app.models import store

HEIGHT = 44  # the digits' height in pixels, as numbers.read_number works (under LINE_HEIGHT)


@pytest.fixture(scope="module")
def scorer(mnist_dir: Path) -> object:
    """The scorer trained on the real MNIST (or loaded from the tests' cache)."""
    return digit_or_not.get_scorer(data_dir=mnist_dir)


@pytest.fixture(scope="module")
def test_digits(mnist_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    return data.load_mnist("test", mnist_dir)


def strokes_of(digit28: np.ndarray, width: float | None = None) -> list[np.ndarray]:
    """A digit's pen strokes HEIGHT pixels high, its left edge at 0; ``width`` times HEIGHT wide
    (squeezed or stretched) when given."""
    strokes = synth.skeleton_strokes(digit28)
    points = np.concatenate(strokes)
    low, factor = points.min(axis=0), HEIGHT / max(float(np.ptp(points[:, 0])), 1e-6)
    stretch = 1.0 if width is None else width * HEIGHT / max(float(np.ptp(points[:, 1])) * factor, 1e-6)
    return [(stroke - low) * factor * np.array([1.0, stretch]) for stroke in strokes]


def line_ink(digits: list[list[np.ndarray]], overlap: float) -> np.ndarray:
    """Digits written left to right, each moved left until its strokes touch the one before,
    then ``overlap`` pixels further; ink (H, W) in [0, 1]."""
    pen, margin = 4.0, 12.0
    placed: list[np.ndarray] = []
    for strokes in digits:
        shift = margin
        if placed:
            shift = max(np.concatenate(placed)[:, 1].max(), 0) + 2 * pen  # apart, then closer
            while _apart(placed, strokes, shift, pen):
                shift -= 1.0
            shift -= overlap
        placed += [stroke + np.array([margin, shift]) for stroke in strokes]
    size = int(np.concatenate(placed).max()) + 2 * int(margin)
    return synth.draw_strokes(placed, pen, size)[: HEIGHT + 2 * int(margin)]


def _apart(placed: list[np.ndarray], strokes: list[np.ndarray], shift: float, pen: float) -> bool:
    before = np.concatenate(placed)
    after = np.concatenate([stroke + np.array([12.0, shift]) for stroke in strokes])
    distances = np.hypot(*(before[:, None, :] - after[None, :, :]).transpose(2, 0, 1))
    return bool(distances.min() > pen)


def whole_line_single(ink: np.ndarray) -> float:
    """P(one digit) of the piece holding all the ink (every atom joined)."""
    parts = oversegment.atoms(ink)
    runs, images = digit_or_not.readable_runs(parts)
    everything = [index for index, ((first, last), _) in enumerate(runs) if (first, last) == (1, parts.count)]
    assert everything, "the whole line is not a candidate piece"
    index = everything[0]
    return float(digit_or_not.probability_single(parts, [runs[index]], images[index : index + 1])[0])


def examples(labels: np.ndarray, digit: int, count: int) -> list[int]:
    return [int(index) for index in np.flatnonzero(labels == digit)[:count]]


def pair_and_alone(images: np.ndarray, pairs: list[tuple[int, int]], widths: tuple[float | None, float]
                   ) -> tuple[np.ndarray, np.ndarray]:
    """P(one digit) of each pair written touching (strokes 1 pixel into each other), and of
    the less likely of its two digits written alone."""
    together, alone = [], []
    for first, second in pairs:
        strokes = [strokes_of(images[first], widths[0]), strokes_of(images[second], widths[1])]
        together.append(whole_line_single(line_ink(strokes, overlap=1.0)))
        alone.append(min(whole_line_single(line_ink([digit], 0.0)) for digit in strokes))
    return np.array(together), np.array(alone)


def test_a_one_squeezed_against_its_neighbour_scores_not_one_digit(scorer, test_digits) -> None:
    images, labels = test_digits
    pairs = list(zip(examples(labels, 1, 10), [*examples(labels, 8, 4), *examples(labels, 4, 3),
                                               *examples(labels, 3, 3)], strict=True))
    together, alone = pair_and_alone(images, pairs, (None, 0.6))  # "18" about as wide as an 8
    # What the reader weighs: the pair less likely one digit than either of its digits alone.
    assert (together < alone).sum() >= 8, (np.round(together, 2), np.round(alone, 2))
    assert (together < 0.5).sum() >= 5, np.round(together, 2)
    assert (alone > 0.5).all(), np.round(alone, 2)


def test_touching_pairs_score_not_one_digit(scorer, test_digits) -> None:
    images, labels = test_digits
    pairs = list(zip(examples(labels, 7, 5) + examples(labels, 2, 5),
                     examples(labels, 1, 5) + examples(labels, 3, 5), strict=True))
    together, alone = pair_and_alone(images, pairs, (0.6, 0.5))
    assert (together < alone).sum() >= 8, (np.round(together, 2), np.round(alone, 2))
    assert (together < 0.5).sum() >= 7, np.round(together, 2)


def test_a_single_thin_one_and_a_wide_zero_score_one_digit(scorer, test_digits) -> None:
    images, labels = test_digits
    ones = [whole_line_single(line_ink([strokes_of(images[index])], 0.0))
            for index in examples(labels, 1, 10)]
    zeros = [whole_line_single(line_ink([strokes_of(images[index], 1.2)], 0.0))
             for index in examples(labels, 0, 10)]
    assert sum(score > 0.5 for score in ones) >= 9, np.round(ones, 2)
    assert sum(score > 0.5 for score in zeros) >= 9, np.round(zeros, 2)


def test_it_learns_from_training_digits_only_and_is_cached_once(
        tiny_mnist: Path, fresh_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(digit_or_not.RECIPE, "lines", 30)  # a quick fit: this is about where and how often
    digit_or_not.forget_loaded()
    splits: list[str] = []
    pools: list[int] = []
    real_load, real_pieces = digit_or_not.load_mnist, digit_or_not.training_pieces
    real_train = digit_or_not.train
    trainings: list[int] = []

    def load(split: str, *args: object, **kwargs: object) -> tuple[np.ndarray, np.ndarray]:
        splits.append(split)
        return real_load(split, *args, **kwargs)

    def pieces(images: np.ndarray, lines: int, progress: object = None) -> tuple[np.ndarray, np.ndarray]:
        pools.append(len(images))
        train_images = real_load("train", tiny_mnist)[0]
        assert np.shares_memory(images, train_images) or np.array_equal(images, train_images[: len(images)])
        return real_pieces(images, lines, progress)

    def counted_train(*args: object, **kwargs: object) -> object:
        trainings.append(1)
        return real_train(*args, **kwargs)

    monkeypatch.setattr(digit_or_not, "load_mnist", load)
    monkeypatch.setattr(digit_or_not, "training_pieces", pieces)
    monkeypatch.setattr(digit_or_not, "train", counted_train)
    assert not digit_or_not.is_trained(tiny_mnist)
    progress: list[float] = []
    first = digit_or_not.get_scorer(data_dir=tiny_mnist,
                                    progress=lambda fraction, _: progress.append(fraction))
    assert set(splits) == {"train"} and pools == [min(digit_or_not.POOL, 500)]
    assert progress and progress[-1] == 1.0
    files = list(store.models_dir().glob(f"{digit_or_not.NAME}-*.model"))
    assert len(files) == 1 and files[0].read_bytes().startswith(b"mnist-app signed pickle")
    digit_or_not.forget_loaded()  # a new process: read from the cache, not trained again
    again = digit_or_not.get_scorer(data_dir=tiny_mnist)
    assert trainings == [1] and digit_or_not.is_trained(tiny_mnist)
    rows = np.random.default_rng(0).random((3, digit_or_not.FEATURES)).astype(np.float32)
    np.testing.assert_allclose(again.predict_proba(rows), first.predict_proba(rows))
    digit_or_not.forget_loaded()


def test_mnist_app_train_trains_the_scorer_when_asked(
        tiny_mnist: Path, fresh_cache: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from mnist_app import cli

    monkeypatch.setitem(digit_or_not.RECIPE, "lines", 30)  # a quick fit
    digit_or_not.forget_loaded()
    assert cli.main(["train", "--models", "naive_bayes", "--data-dir", str(tiny_mnist)]) == 0
    assert not digit_or_not.is_trained(tiny_mnist)  # not without the flag: the CLI's tests stay quick
    assert "One digit or not" not in capsys.readouterr().out
    with_scorer = ["train", "--models", "naive_bayes", "--number-scorer", "--data-dir", str(tiny_mnist)]
    assert cli.main(with_scorer) == 0
    line = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("One digit or not"))
    assert "trained" in line and digit_or_not.is_trained(tiny_mnist)
    digit_or_not.forget_loaded()
    assert cli.main(with_scorer) == 0
    assert "cached" in capsys.readouterr().out.splitlines()[-1]
    digit_or_not.forget_loaded()
