"""The selection logic behind the galleries, on small synthetic evaluations."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mnist_app.report import gallery


@dataclass
class FakeEvaluation:
    """Just the three arrays the galleries read (the real Evaluation has more)."""

    labels: np.ndarray
    predicted: np.ndarray
    probabilities: np.ndarray


def make_evaluation(labels, predicted, confidences) -> FakeEvaluation:
    """An evaluation whose answer gets probability ``confidence``; the rest share what is left."""
    labels = np.asarray(labels)
    predicted = np.asarray(predicted)
    confidences = np.asarray(confidences, dtype=np.float32)
    probabilities = np.repeat(((1 - confidences) / 9)[:, None], 10, axis=1).astype(np.float32)
    probabilities[np.arange(len(labels)), predicted] = confidences
    return FakeEvaluation(labels, predicted, probabilities)


def random_evaluation(seed: int, n: int = 300, error_rate: float = 0.3) -> FakeEvaluation:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n)
    wrong = rng.random(n) < error_rate
    predicted = np.where(wrong, (labels + rng.integers(1, 10, n)) % 10, labels)
    confidences = rng.uniform(0.2, 1.0, n)
    return make_evaluation(labels, predicted, confidences)


def test_confidence_is_the_probability_of_the_answer() -> None:
    ev = make_evaluation([3, 5], [3, 6], [0.9, 0.4])
    assert gallery.confidence(ev) == pytest.approx([0.9, 0.4])


def test_cell_indices_picks_the_cell_most_confident_first() -> None:
    ev = make_evaluation(
        labels=[4, 4, 4, 9, 4, 4],
        predicted=[9, 4, 9, 9, 9, 9],
        confidences=[0.5, 0.99, 0.8, 0.7, 0.95, 0.5],
    )
    # Row 4, column 9: digits 0, 2, 4, 5. Ties (0 and 5 at 0.5) keep test-set order.
    assert gallery.cell_indices(ev, 4, 9).tolist() == [4, 2, 0, 5]
    assert gallery.cell_indices(ev, 4, 4).tolist() == [1]  # the diagonal: right answers
    assert gallery.cell_indices(ev, 9, 4).tolist() == []


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_cells_partition_the_test_set_and_match_the_confusion_counts(seed: int) -> None:
    ev = random_evaluation(seed)
    seen: list[int] = []
    for true in range(10):
        for predicted in range(10):
            cell = gallery.cell_indices(ev, true, predicted)
            expected = int(np.sum((ev.labels == true) & (ev.predicted == predicted)))
            assert len(cell) == expected
            assert np.all(ev.labels[cell] == true) and np.all(ev.predicted[cell] == predicted)
            assert np.all(np.diff(gallery.confidence(ev)[cell]) <= 0)  # most confident first
            seen.extend(cell.tolist())
    assert sorted(seen) == list(range(len(ev.labels)))


def test_confident_mistakes_are_wrong_and_sorted() -> None:
    ev = random_evaluation(7)
    mistakes = gallery.confident_mistakes(ev, 15)
    assert len(mistakes) == 15
    assert np.all(ev.labels[mistakes] != ev.predicted[mistakes])
    conf = gallery.confidence(ev)
    assert np.all(np.diff(conf[mistakes]) <= 0)
    # Nothing wrong that was left out is more confident than the last one shown.
    wrong = np.flatnonzero(ev.labels != ev.predicted)
    left_out = np.setdiff1d(wrong, mistakes)
    assert conf[left_out].max() <= conf[mistakes[-1]]


def test_confident_mistakes_of_a_perfect_model_is_empty() -> None:
    ev = make_evaluation([1, 2, 3], [1, 2, 3], [0.9, 0.9, 0.9])
    assert gallery.confident_mistakes(ev, 5).tolist() == []


def test_random_per_class_is_per_class_repeatable_and_distinct() -> None:
    labels = np.repeat(np.arange(10), 20)
    labels[labels == 7] = 1  # no sevens at all; 40 ones
    sample = gallery.random_per_class(labels, 6, seed=3)
    assert set(sample) == set(range(10))
    assert len(sample[7]) == 0
    for digit in (0, 1, 9):
        assert len(sample[digit]) == 6 and len(set(sample[digit].tolist())) == 6
        assert np.all(labels[sample[digit]] == digit)
    again = gallery.random_per_class(labels, 6, seed=3)
    assert all(np.array_equal(sample[d], again[d]) for d in range(10))
    other = gallery.random_per_class(labels, 6, seed=4)
    assert any(not np.array_equal(sample[d], other[d]) for d in range(10))
    assert len(gallery.random_per_class(labels, 50, seed=0)[2]) == 20  # all of a small class


def test_vote_entropy() -> None:
    # Columns are digits: all agree; four different answers; a 2-1-1 split; all agree.
    answers = np.array([[1, 1, 1, 2], [1, 2, 3, 2], [1, 3, 3, 2], [1, 4, 7, 2]])
    assert gallery.vote_entropy(answers) == pytest.approx([0.0, 2.0, 1.5, 0.0])


def test_most_disagreed_ranks_splits_first_and_skips_agreement() -> None:
    labels = [0, 1, 2, 3, 4]
    models = [
        make_evaluation(labels, [0, 1, 2, 3, 4], [0.9, 0.9, 0.9, 0.9, 0.9]),
        make_evaluation(labels, [0, 7, 2, 8, 4], [0.9, 0.9, 0.6, 0.9, 0.9]),
        make_evaluation(labels, [0, 6, 5, 8, 4], [0.9, 0.9, 0.6, 0.9, 0.9]),
    ]
    # Digit 1: three different answers (1.58 bits). Digits 2 and 3: split 2-1 (0.92 bits);
    # on 3 two models are wrong, so the true digit gets less probability: 3 before 2.
    assert gallery.most_disagreed(models, 10).tolist() == [1, 3, 2]
    assert gallery.most_disagreed(models, 1).tolist() == [1]


def test_most_disagreed_needs_two_models_on_the_same_digits() -> None:
    one = make_evaluation([0, 1], [0, 1], [0.9, 0.9])
    with pytest.raises(ValueError, match="two"):
        gallery.most_disagreed([one], 5)
    other = make_evaluation([1, 0], [1, 0], [0.9, 0.9])
    with pytest.raises(ValueError, match="same"):
        gallery.most_disagreed([one, other], 5)


def test_captions_mark_right_and_wrong_in_text() -> None:
    right = gallery.answer_caption(12, true=7, predicted=7, confidence=0.984)
    wrong = gallery.answer_caption(40, true=5, predicted=3, confidence=0.91)
    assert right.startswith(gallery.RIGHT_MARK) and "98%" in right and "#12" in right
    assert wrong.startswith(gallery.WRONG_MARK) and "said 3" in wrong and "is 5" in wrong
    votes = gallery.votes_caption(9, 4, {"mlp": 4, "knn": 9})
    assert "mlp 4" + gallery.RIGHT_MARK in votes and "knn 9" + gallery.WRONG_MARK in votes


def test_upscale_nearest_keeps_pixels_as_crisp_squares() -> None:
    digit = np.zeros((28, 28), dtype=np.uint8)
    digit[3, 5] = 255
    digit[10, 20] = 128
    big = gallery.upscale_nearest(digit, 4)
    assert big.shape == (112, 112) and big.dtype == np.uint8
    assert np.array_equal(big, np.kron(digit, np.ones((4, 4), dtype=np.uint8)))
    assert set(np.unique(big).tolist()) == {0, 128, 255}  # no blended in-between values


def test_upscale_nearest_batches_and_floats() -> None:
    rng = np.random.default_rng(0)
    batch = rng.random((3, 28, 28)).astype(np.float32)
    big = gallery.upscale_nearest(batch, 3)
    assert big.shape == (3, 84, 84)
    expected = np.rint(batch * 255).astype(np.uint8)
    assert np.array_equal(big[:, ::3, ::3], expected)
    assert np.array_equal(big[:, 2::3, 2::3], expected)
    assert gallery.upscale_nearest(np.zeros((0, 28, 28), np.uint8), 2).shape == (0, 56, 56)
    with pytest.raises(ValueError):
        gallery.upscale_nearest(batch, 0)
