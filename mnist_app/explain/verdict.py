"""An honest answer for every drawing: a digit, "not sure: 4 or 9?", or "not a digit".

Every model answers every drawing with a digit, often "100% sure", even for a scribble.
``verdict(image)`` weighs signals that were measured to separate drawn digits from drawn
non-digits (benchmarks/bench_verdict.py, figures in docs/benchmarks.md):

- the panel's probabilities: the mean of the strongest trained models' (calibrated) answers;
- agreement: the share of the panel answering the panel's digit;
- distance to the nearest MNIST training digit in the k-NN model's space
  (``explain.neighbours``): a letter or a smiley is far from every digit ever seen;
- ink: the drawing's width over its height (two or three digits side by side are wide).

The thresholds in ``THRESHOLDS`` were chosen on seeded drawn digits and drawn non-digits
(``mnist_app.synth`` and ``mnist_app.synth.nondigits``) and checked on another seed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from mnist_app import models, preprocess
from mnist_app.explain.neighbours import KNN_MODEL, nearest_distance

Status = Literal["digit", "unsure", "not_a_digit"]
#: The models whose answers are pooled, strongest first (the weaker ones would add noise).
PANEL = ("cnn", "svm", "mlp", "knn")
#: A digit is a candidate when the panel gives it at least this probability (at most three).
CANDIDATE_PROBABILITY = 0.1
MAX_CANDIDATES = 3


@dataclass(frozen=True)
class Thresholds:
    """Where the verdict changes (see the module docstring for the signals)."""

    far_distance: float = 3.6  # nearest training digit farther than this: not a digit
    wide_aspect: float = 1.8  # ink wider than this many times its height: not a digit
    low_probability: float = 0.25  # the panel's best digit below this: not a digit
    sure_probability: float = 0.95  # the panel's best digit below this: not sure
    unusual_distance: float = 3.2  # nearest training digit farther than this: not sure
    agreement: float = 0.75  # fewer than this share of the panel agreeing: not sure


#: Chosen by benchmarks/bench_verdict.py on seed 1 (700 drawn digits, 700 drawn non-digits),
#: checked on seed 2; figures in docs/benchmarks.md ("Honest answers").
THRESHOLDS = Thresholds()


@dataclass(frozen=True)
class Signals:
    """What the verdict is based on, for one drawing."""

    probabilities: np.ndarray  # (10,) the panel's mean probabilities
    answers: dict[str, int]  # each panel model's digit
    nearest_distance: float | None  # None when the k-NN model is not trained
    aspect: float  # ink width / height

    @property
    def best(self) -> int:
        """The panel's most likely digit."""
        return int(np.argmax(self.probabilities))

    @property
    def agreement(self) -> float:
        """The share of the panel whose answer is the panel's digit."""
        return sum(answer == self.best for answer in self.answers.values()) / max(len(self.answers), 1)


@dataclass(frozen=True)
class Verdict:
    """The honest answer: ``status``, the ``digit`` (None unless sure enough), ``candidates``, ``reason``."""

    status: Status
    digit: int | None
    candidates: list[tuple[int, float]]
    reason: str
    signals: Signals | None = field(default=None, repr=False)

    @property
    def headline(self) -> str:
        """A few words for the top of the page: "It's a 4", "Not sure: 4 or 9?", ..."""
        if self.status == "digit":
            return f"It's {article(self.digit)} {self.digit}"
        if self.status == "unsure":
            return "Not sure: " + " or ".join(str(digit) for digit, _ in self.candidates) + "?"
        return "That doesn't look like a digit"


def verdict(image: object, *, probabilities: dict[str, np.ndarray] | None = None,
            panel: list[str] | None = None, thresholds: Thresholds = THRESHOLDS) -> Verdict:
    """The verdict on ``image`` (anything ``to_mnist`` accepts).

    A blank canvas or only specks is "not_a_digit" with a reason; an unusable image raises
    ``ValueError`` like ``to_mnist``. ``probabilities``: models' answers already computed for
    this drawing (model name -> (10,)), so a page that shows them does not ask twice. ``panel``:
    the models to ask, default the trained ones of ``PANEL`` (if none is trained, they train).
    """
    try:
        pipeline = preprocess.steps(image)
    except preprocess.EmptyDrawingError:
        return Verdict("not_a_digit", None, [], "There is hardly any ink: draw a digit first.")
    return verdict_from_steps(pipeline, probabilities=probabilities, panel=panel, thresholds=thresholds)


def verdict_from_steps(pipeline: list[preprocess.Step], *, probabilities: dict[str, np.ndarray] | None = None,
                       panel: list[str] | None = None, thresholds: Thresholds = THRESHOLDS) -> Verdict:
    """The verdict from ``preprocess.steps`` of a drawing (the first image is the ink, the last the digit).

    ``panel``: the models to ask (default ``panel_models()``); the nearest-digit distance is
    measured only when the k-NN model is one of them (it is that model's space).
    """
    return decide(measure(pipeline[0].image, pipeline[-1].image, probabilities, panel), thresholds)


def panel_models() -> list[str]:
    """The panel models that can answer now (trained); if none is, the available ones (they train)."""
    available = [name for name in PANEL if name in models.available_models()]
    return [name for name in available if models.is_trained(name)] or available


def measure(ink: np.ndarray, digit: np.ndarray, probabilities: dict[str, np.ndarray] | None = None,
            panel: list[str] | None = None) -> Signals:
    """The signals for one drawing: its ink map (any size) and its preprocessed 28x28 digit."""
    known = probabilities or {}
    names = panel_models() if panel is None else panel
    if not names:
        raise ValueError("the verdict needs at least one model to ask")
    answers = {name: np.asarray(known[name]) if name in known else models.predict_digits(digit, name)[0]
               for name in names}
    distance = nearest_distance(digit) if KNN_MODEL in names else None
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    aspect = (cols[-1] - cols[0] + 1) / (rows[-1] - rows[0] + 1)
    return Signals(np.mean(list(answers.values()), axis=0),
                   {name: int(np.argmax(p)) for name, p in answers.items()}, distance, float(aspect))


def decide(signals: Signals, thresholds: Thresholds = THRESHOLDS) -> Verdict:
    """Turn the signals into a verdict with a reason a student understands."""
    probabilities = signals.probabilities
    order = np.argsort(probabilities)[::-1]
    likely = [d for d in order[:MAX_CANDIDATES] if probabilities[d] >= CANDIDATE_PROBABILITY] or [order[0]]
    candidates = [(int(d), float(probabilities[d])) for d in likely]
    best, confidence = candidates[0]
    distance = signals.nearest_distance
    if signals.aspect > thresholds.wide_aspect:
        return Verdict("not_a_digit", None, candidates, "It is much wider than a digit: one digit at a "
                       "time, please (several digits side by side?).", signals)
    if distance is not None and distance > thresholds.far_distance:
        return Verdict("not_a_digit", None, candidates, "It looks like none of the 60,000 training "
                       "digits: a letter, a drawing or a scribble?", signals)
    if confidence < thresholds.low_probability:
        return Verdict("not_a_digit", None, candidates, "No digit fits: the models' answers are "
                       "spread over many digits.", signals)
    if signals.agreement < thresholds.agreement:
        # The candidates are then the digits the models said, likeliest first.
        said = sorted(set(signals.answers.values()), key=lambda digit: -probabilities[digit])[:MAX_CANDIDATES]
        split = " or ".join(str(d) for d in sorted(said))
        return Verdict("unsure", None, [(d, float(probabilities[d])) for d in said],
                       f"The models disagree: they say {split}.", signals)
    if confidence < thresholds.sure_probability:
        return Verdict("unsure", None, candidates, f"It could be {article(best)} {best}, but the models "
                       f"are only {confidence:.0%} sure.", signals)
    if distance is not None and distance > thresholds.unusual_distance:
        return Verdict("unsure", None, candidates, f"The models say {best}, but it looks unlike the "
                       f"{best}s they learned from.", signals)
    return Verdict("digit", best, candidates,
                   f"The models agree: it's {article(best)} {best} ({confidence:.0%} sure).", signals)


def article(digit: int | None) -> str:
    """ "an" before 8 (and 11, 18...), else "a"."""
    return "an" if str(digit).startswith("8") else "a"
