"""Which test digits the report pages show, and how: pure selection logic (no Streamlit).

Every function takes an evaluation (anything with ``labels``, ``predicted`` and
``probabilities`` over the same test digits, such as :class:`mnist_app.Evaluation`)
and returns indices into the test set, so the pages can look the images up themselves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

import numpy as np
from PIL import Image

RIGHT_MARK = "✓"
WRONG_MARK = "✗"


class EvaluationLike(Protocol):
    """The part of an evaluation the galleries need: one row per test digit."""

    labels: np.ndarray  # (n,) true digits
    predicted: np.ndarray  # (n,) the model's answers
    probabilities: np.ndarray  # (n, 10) the model's probabilities


def confidence(evaluation: EvaluationLike) -> np.ndarray:
    """The probability the model gave its own answer, for every test digit."""
    predicted = np.asarray(evaluation.predicted)
    return np.asarray(evaluation.probabilities)[np.arange(len(predicted)), predicted]


def by_confidence(evaluation: EvaluationLike, indices: np.ndarray) -> np.ndarray:
    """``indices`` reordered most confident first; ties keep test-set order (stable)."""
    indices = np.asarray(indices, dtype=np.intp)
    order = np.lexsort((indices, -confidence(evaluation)[indices]))
    return indices[order]


def cell_indices(evaluation: EvaluationLike, true: int, predicted: int) -> np.ndarray:
    """Test digits whose label is ``true`` and whose prediction is ``predicted``, most confident first.

    These are exactly the digits counted in row ``true``, column ``predicted`` of the
    confusion matrix; on the diagonal they are the digits the model got right.
    """
    labels = np.asarray(evaluation.labels)
    answers = np.asarray(evaluation.predicted)
    return by_confidence(evaluation, np.flatnonzero((labels == true) & (answers == predicted)))


def confident_mistakes(evaluation: EvaluationLike, count: int) -> np.ndarray:
    """The ``count`` wrong answers the model was most sure of, most confident first."""
    wrong = np.flatnonzero(np.asarray(evaluation.labels) != np.asarray(evaluation.predicted))
    return by_confidence(evaluation, wrong)[:count]


def random_per_class(labels: np.ndarray, per_class: int, seed: int) -> dict[int, np.ndarray]:
    """Up to ``per_class`` random test digits of each class 0-9 (all of a class if it has fewer).

    The same ``seed`` gives the same sample, so a page can keep showing one sample
    until the student asks for a new one.
    """
    rng = np.random.default_rng(seed)
    labels = np.asarray(labels)
    sample: dict[int, np.ndarray] = {}
    for digit in range(10):
        members = np.flatnonzero(labels == digit)
        take = min(per_class, len(members))
        sample[digit] = np.sort(rng.choice(members, size=take, replace=False))
    return sample


def vote_entropy(answers: np.ndarray) -> np.ndarray:
    """Shannon entropy (bits) of the models' votes for each digit; 0 when all agree.

    ``answers`` is (models, digits). This is the classic query-by-committee measure of
    disagreement: two models split 1-1 score 1 bit, four models all different score 2.
    """
    answers = np.asarray(answers)
    n_models = answers.shape[0]
    votes = np.stack([(answers == digit).sum(axis=0) for digit in range(10)])  # (10, digits)
    shares = votes / n_models
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(shares > 0, -shares * np.log2(shares), 0.0)
    return terms.sum(axis=0)


def most_disagreed(evaluations: Sequence[EvaluationLike], count: int) -> np.ndarray:
    """The ``count`` test digits the models disagree on most, by vote entropy.

    Only digits with at least two different answers count. Among equally split digits
    the ones the models find harder (lower mean probability of the true digit) come first.
    """
    if len(evaluations) < 2:
        raise ValueError("comparing models needs at least two evaluations")
    labels = np.asarray(evaluations[0].labels)
    for other in evaluations[1:]:
        if not np.array_equal(np.asarray(other.labels), labels):
            raise ValueError("the evaluations are not over the same test digits")
    answers = np.stack([np.asarray(ev.predicted) for ev in evaluations])
    entropy = vote_entropy(answers)
    rows = np.arange(len(labels))
    true_probability = np.mean([np.asarray(ev.probabilities)[rows, labels] for ev in evaluations], axis=0)
    split = np.flatnonzero(entropy > 0)
    order = np.lexsort((split, true_probability[split], -entropy[split]))
    return split[order][:count]


def answer_caption(index: int, true: int, predicted: int, confidence: float) -> str:
    """A gallery caption that marks right and wrong with a symbol and words, not colour alone."""
    if predicted == true:
        return f"{RIGHT_MARK} {predicted} · {confidence:.0%} · #{index}"
    return f"{WRONG_MARK} said {predicted}, is {true} · {confidence:.0%} · #{index}"


def votes_caption(index: int, true: int, answers: Mapping[str, int]) -> str:
    """A caption listing every model's answer for one digit, each marked right or wrong."""
    parts = [f"{name} {answer}{RIGHT_MARK if answer == true else WRONG_MARK}"
             for name, answer in answers.items()]
    return f"is {true} · #{index} · " + ", ".join(parts)


def upscale_nearest(images: np.ndarray, factor: int) -> np.ndarray:
    """Enlarge (n, h, w) or (h, w) digits ``factor`` times with nearest-neighbour, as uint8.

    Nearest-neighbour keeps every MNIST pixel a crisp square instead of the blur a
    browser or a projector would add when stretching a 28x28 image. Float images are
    taken to be in [0, 1].
    """
    if factor < 1:
        raise ValueError(f"factor must be at least 1, not {factor}")
    images = np.asarray(images)
    single = images.ndim == 2
    batch = images[None] if single else images
    if batch.dtype != np.uint8:
        batch = np.clip(np.rint(batch * 255.0), 0, 255).astype(np.uint8)
    height, width = batch.shape[1:]
    size = (width * factor, height * factor)
    if len(batch) == 0:
        return np.zeros((0, size[1], size[0]), dtype=np.uint8)
    big = np.stack([np.asarray(Image.fromarray(img).resize(size, Image.Resampling.NEAREST)) for img in batch])
    return big[0] if single else big
