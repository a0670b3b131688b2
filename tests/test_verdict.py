"""explain.verdict: digit / unsure / not a digit, with candidates and a reason; the non-digit generator."""

from __future__ import annotations

import dataclasses
import importlib

import numpy as np
import pytest

from mnist_app import preprocess, synth
from mnist_app.data import load_mnist

# The module, not the function ``explain.verdict`` that shares its name.
verdicts = importlib.import_module("mnist_app.explain.verdict")

#: Classic models only (the CNN is optional); the decision rules are the same.
PANEL = ["knn", "svm"]


def signals(probabilities: dict[int, float], answers: dict[str, int], distance: float | None = 1.5,
            aspect: float = 0.7) -> verdicts.Signals:
    """Hand-made signals: the panel's probabilities (digit -> p, the rest spread evenly)."""
    vector = np.full(10, (1.0 - sum(probabilities.values())) / (10 - len(probabilities)))
    for digit, p in probabilities.items():
        vector[digit] = p
    return verdicts.Signals(vector, answers, distance, aspect)


# --- the rules, on hand-made signals ---------------------------------------------------------


def test_agreeing_sure_close_models_make_a_digit() -> None:
    result = verdicts.decide(signals({7: 0.97}, {"knn": 7, "svm": 7}))
    assert (result.status, result.digit) == ("digit", 7)
    assert result.candidates[0][0] == 7 and result.candidates[0][1] == pytest.approx(0.97)
    assert result.headline == "It's a 7"
    assert result.reason == "The models agree: it's a 7 (97% sure)."
    assert verdicts.decide(signals({8: 0.97}, {"knn": 8, "svm": 8})).headline == "It's an 8"


def test_split_models_are_unsure_and_name_both_digits() -> None:
    result = verdicts.decide(signals({4: 0.51, 9: 0.44}, {"knn": 4, "svm": 9}))
    assert result.status == "unsure" and result.digit is None
    assert [digit for digit, _ in result.candidates] == [4, 9]
    assert result.candidates[1][1] == pytest.approx(0.44)
    assert result.headline == "Not sure: 4 or 9?"
    assert result.reason == "The models disagree: they say 4 or 9."


def test_a_lone_dissenter_makes_its_digit_a_candidate() -> None:
    result = verdicts.decide(signals({4: 0.93}, {"knn": 4, "svm": 4, "cnn": 4, "mlp": 9}),
                             dataclasses.replace(verdicts.THRESHOLDS, agreement=1.0))
    assert result.status == "unsure"
    assert [digit for digit, _ in result.candidates] == [4, 9]
    assert result.headline == "Not sure: 4 or 9?"


def test_agreeing_but_timid_models_are_unsure() -> None:
    result = verdicts.decide(signals({3: 0.6, 5: 0.3}, {"knn": 3, "svm": 3}))
    assert result.status == "unsure"
    assert "only 60% sure" in result.reason


def test_a_drawing_unlike_any_training_digit_is_unsure_or_not_a_digit() -> None:
    thresholds = verdicts.THRESHOLDS
    unusual = (thresholds.unusual_distance + thresholds.far_distance) / 2
    assert verdicts.decide(signals({1: 0.99}, {"knn": 1, "svm": 1}, distance=unusual)).status == "unsure"
    far = verdicts.decide(signals({1: 0.99}, {"knn": 1, "svm": 1}, distance=thresholds.far_distance + 0.5))
    assert far.status == "not_a_digit" and far.digit is None
    assert far.headline == "That doesn't look like a digit"
    assert "none of the 60,000 training digits" in far.reason


def test_a_wide_drawing_is_not_a_digit_and_says_one_digit_at_a_time() -> None:
    aspect = verdicts.THRESHOLDS.wide_aspect + 0.5
    wide = verdicts.decide(signals({1: 0.99}, {"knn": 1, "svm": 1}, aspect=aspect))
    assert wide.status == "not_a_digit"
    assert "one digit at a time" in wide.reason


def test_answers_spread_over_many_digits_are_not_a_digit() -> None:
    spread = verdicts.decide(signals({0: 0.2, 5: 0.19, 8: 0.18}, {"knn": 0, "svm": 0}))
    assert spread.status == "not_a_digit"
    assert [digit for digit, _ in spread.candidates] == [0, 5, 8]


def test_without_the_knn_model_there_is_no_distance_and_the_rest_still_decides() -> None:
    assert verdicts.decide(signals({2: 0.98}, {"svm": 2}, distance=None)).status == "digit"


# --- real drawings and real models -----------------------------------------------------------


@pytest.fixture(scope="module")
def test_digits(mnist_dir):
    return load_mnist("test", mnist_dir)


def test_clear_digits_get_their_digit(test_digits) -> None:
    images, labels = test_digits
    results = [(verdicts.verdict(synth.render_on_canvas(images[i]), panel=PANEL), int(labels[i]))
               for i in range(12)]
    # MNIST test digit 8 is an odd 5, far from the training digits: one such miss is allowed.
    assert sum(result.status == "not_a_digit" for result, _ in results) <= 1
    answered = [(result.digit, label) for result, label in results if result.status == "digit"]
    assert len(answered) >= 9
    assert all(digit == label for digit, label in answered)


def test_letters_are_not_answered_as_digits(mnist_dir) -> None:
    rng = np.random.default_rng(0)
    letters = "AKMWHX"
    results = []
    for letter in letters:
        strokes, _ = synth.nondigits.glyph_strokes(letter, rng)
        ink = synth.draw_strokes(synth.nondigits.place(strokes, 0.7, rng), 14.0)
        canvas = synth.paint(ink, "light_on_dark")
        results.append(verdicts.verdict(canvas, panel=PANEL))
    assert sum(result.status != "digit" for result in results) >= 5, [r.headline for r in results]


def test_scribbles_and_several_digits_are_not_answered_as_digits(mnist_dir) -> None:
    samples = list(synth.nondigits.iter_non_digits(8, seed=4, kinds=("scribble", "several_digits")))
    results = [verdicts.verdict(sample.canvas, panel=PANEL) for sample in samples]
    assert sum(result.status != "digit" for result in results) >= 7
    several = [r for r, s in zip(results, samples, strict=True) if s.kind == "several_digits"]
    assert any("one digit at a time" in r.reason for r in several)


def test_blank_or_specks_only_is_not_a_digit_with_a_reason() -> None:
    canvas = np.zeros((280, 280), np.uint8)
    assert verdicts.verdict(canvas).status == "not_a_digit"
    canvas[10:12, 10:12] = 255  # a speck
    result = verdicts.verdict(canvas)
    assert (result.status, result.digit, result.candidates) == ("not_a_digit", None, [])
    assert "ink" in result.reason


def test_an_unusable_image_still_raises() -> None:
    with pytest.raises(ValueError):
        verdicts.verdict(None)


def test_precomputed_probabilities_are_used_instead_of_asking_again(test_digits) -> None:
    images, _ = test_digits
    steps = preprocess.steps(synth.render_on_canvas(images[0]))
    told = np.eye(10)[3] * 0.98 + 0.002
    result = verdicts.verdict_from_steps(steps, panel=["svm"], probabilities={"svm": told})
    assert result.candidates[0][0] == 3


# --- the non-digit generator --------------------------------------------------------------


def test_non_digits_are_seeded_canvases_of_every_kind(mnist_dir) -> None:
    first = list(synth.nondigits.iter_non_digits(14, seed=3))
    again = list(synth.nondigits.iter_non_digits(14, seed=3))
    assert [s.detail for s in first] == [s.detail for s in again]
    assert all(np.array_equal(a.canvas, b.canvas) for a, b in zip(first, again, strict=True))
    assert [s.kind for s in first] == list(synth.nondigits.KINDS) * 2
    for sample in first:
        assert sample.canvas.shape == (280, 280, 4) and sample.canvas.dtype == np.uint8
        preprocess.to_mnist(sample.canvas)  # ink the app can read, never blank
    other = list(synth.nondigits.iter_non_digits(14, seed=4))
    assert [s.detail for s in other] != [s.detail for s in first]


def test_letters_people_write_as_digits_are_left_out() -> None:
    for look_alike in "OoIlZzSsBbgqGT":
        assert look_alike not in synth.nondigits.LETTERS
