"""The reader's second look at a candidate digit (numbers.second_look): another model's opinion
and the answer on copies moved sideways; a whole digit stands it better than a fragment."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mnist_app import data, models, numbers, synth
from mnist_app.preprocess import to_mnist

SIDE = 200


@pytest.fixture(scope="module")
def test_digits(mnist_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    for name in ("cnn", numbers.SECOND_OPINION):
        models.get_model(name, data_dir=mnist_dir)
    return data.load_mnist("test", mnist_dir)


def candidates(digits: list[np.ndarray], name: str) -> numbers.Candidates:
    """Candidates as the reader makes them (scorer and shape neutral), read by ``name``."""
    images = np.stack(digits)
    answers = models.predict_digits(images, name)
    empty = np.zeros(len(digits))
    return numbers.Candidates([], images, answers, empty, np.ones(len(digits)))


def whole_and_halves(images: np.ndarray, count: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """``count`` digits (two of each kind) as ``to_mnist`` makes them, whole and cut in half
    down the middle of their ink (the left half: what an extra cut through a 0 or an 8 leaves)."""
    wholes, halves = [], []
    for digit28 in images[:count]:
        canvas = synth.render_on_canvas(digit28, scale=0.7, centre=(SIDE / 2, SIDE / 2), size=SIDE)
        inked = np.flatnonzero(canvas[..., 0].max(axis=0) > 0)
        half = canvas.copy()
        half[:, (inked[0] + inked[-1]) // 2 :, :3] = 0
        wholes.append(to_mnist(canvas))
        halves.append(to_mnist(half))
    return wholes, halves


def test_whole_digits_stand_a_second_look_better_than_halves(test_digits) -> None:
    images, labels = test_digits
    chosen = np.concatenate([np.flatnonzero(labels == digit)[:2] for digit in (0, 2, 3, 5, 6, 8, 9)])
    wholes, halves = whole_and_halves(images[chosen], len(chosen))
    whole = numbers.second_look(candidates(wholes, "cnn"), "cnn")
    half = numbers.second_look(candidates(halves, "cnn"), "cnn")
    # Measured: whole digits -0.00 (median), halves -0.65: the whole digits' answers stand.
    assert np.median(whole) > -0.1 and np.median(half) < -0.3, (np.round(whole, 2), np.round(half, 2))
    assert np.mean(whole > half) >= 0.8


def test_second_look_weights_off_is_the_round_3_choice(test_digits, monkeypatch) -> None:
    images, labels = test_digits
    wholes, halves = whole_and_halves(images[:6], 6)
    found = candidates(wholes + halves, "cnn")
    looked = numbers.candidate_scores(numbers.replace(found, second=numbers.second_look(found, "cnn")))
    monkeypatch.setattr(numbers, "SECOND_WEIGHT", 0.0)
    monkeypatch.setattr(numbers, "STABLE_MEAN_WEIGHT", 0.0)
    monkeypatch.setattr(numbers, "STABLE_LEAST_WEIGHT", 0.0)
    plain = numbers.candidate_scores(found)
    np.testing.assert_allclose(numbers.second_look(found, "cnn"), 0.0)
    assert not np.allclose(looked, plain)  # the second look changes the scores when on


def test_models_that_do_not_tolerate_moves_are_not_moved(test_digits, monkeypatch) -> None:
    images, _ = test_digits
    wholes, _ = whole_and_halves(images[:4], 4)
    asked: list[tuple[str, int]] = []
    real = models.predict_digits

    def counted(digits: np.ndarray, name: str) -> np.ndarray:
        asked.append((name, len(digits)))
        return real(digits, name)

    found = candidates(wholes, "knn")
    monkeypatch.setattr(numbers.models, "predict_digits", counted)
    numbers.second_look(found, "knn")
    assert asked == [(numbers.SECOND_OPINION, 4)]  # the other model's opinion, no moved copies
    asked.clear()
    numbers.second_look(candidates(wholes, "cnn"), "cnn")
    assert ("cnn", 4 * len(numbers.SHIFTS)) in asked


def photo_lines(count: int) -> list:
    """The atoms and candidates (without a second look) of ``count`` 4-digit photos, as the reader
    makes them."""
    from mnist_app import oversegment
    from mnist_app.preprocess.photo import photo_ink
    from mnist_app.preprocess.photo_files import load_photo

    lines = []
    for sample in synth.photos.iter_paper_photos(count, seed=18, digits=4):
        ink = photo_ink(load_photo(sample.jpeg)[0])
        ink[ink < 0.05] = 0.0
        rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
        inked = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
        parts = oversegment.atoms(oversegment.at_line_height(inked)[0])
        lines.append((parts, numbers.replace(numbers.line_candidates(parts, "cnn"), second=None)))
    return lines


def test_pruned_second_look_chooses_as_looking_at_every_candidate(test_digits, monkeypatch) -> None:
    looked: list[int] = []
    real = numbers.second_look

    def counted(found: numbers.Candidates, name: str, among: np.ndarray | None = None) -> np.ndarray:
        looked.append(len(found.answers) if among is None else len(among))
        return real(found, name, among)

    lines = photo_lines(6)
    monkeypatch.setattr(numbers, "second_look", counted)
    total = 0
    for parts, found in lines:
        every = numbers.candidate_scores(numbers.replace(found, second=real(found, "cnn")))  # not counted
        pruned = numbers.pruned_second_look(parts, found, "cnn")
        pruned = numbers.candidate_scores(numbers.replace(found, second=pruned))
        assert numbers.choose(parts, found.runs, pruned) == numbers.choose(parts, found.runs, every)
        chosen = numbers.choose(parts, found.runs, every)
        np.testing.assert_allclose(pruned[chosen], every[chosen], atol=1e-4)  # the winners were looked at
        ahead, behind = numbers._best_totals(parts, found.runs, every)
        np.testing.assert_allclose(ahead[parts.count], every[chosen].sum(), atol=1e-4)
        np.testing.assert_allclose(behind[0], ahead[parts.count], atol=1e-4)
        total += len(found.answers)
    assert sum(looked) < 0.8 * total, (sum(looked), total)  # fewer candidates looked at again
