"""The writing-style generator: each style visibly present, deterministic, from training digits only."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage

from mnist_app.data import load_mnist
from mnist_app.synth import styles, styles_benchmark

INK = styles.INK
SAMPLES = 20  # digits of each kind checked per style


@pytest.fixture(scope="module")
def train_digits(mnist_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    images, labels = load_mnist("train", mnist_dir)
    return images[:3000].astype(np.float32) / 255.0, labels[:3000]


def _digits(train: tuple[np.ndarray, np.ndarray], label: int) -> np.ndarray:
    images, labels = train
    return images[labels == label][:SAMPLES]


def _styled(digits: np.ndarray, name: str) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(digit, styles.apply_style(digit, name, np.random.default_rng([7, i])))
            for i, digit in enumerate(digits)]


def _holes(digit: np.ndarray) -> tuple[np.ndarray, int]:
    ink = digit >= INK
    return ndimage.label(ndimage.binary_fill_holes(ink) & ~ink)


def _share(results: list[bool]) -> float:
    return float(np.mean(results))


def _leftmost(image: np.ndarray, rows: slice) -> int:
    """The leftmost ink column on ``rows``."""
    return int(np.flatnonzero((image[rows] >= INK).any(axis=0))[0])


def _columns(image: np.ndarray, rows: slice) -> int:
    """How many columns have ink on ``rows``."""
    return int((image[rows] >= INK).any(axis=0).sum())


def _widest_pair(image: np.ndarray, rows: slice) -> int:
    """The most ink columns on two adjacent rows of ``rows`` (a slightly tilted bar spans two)."""
    band = image[rows] >= INK
    return int((band[:-1] | band[1:]).sum(axis=1).max())


@pytest.mark.parametrize("name", ["zero_slash", "zero_bar"])
def test_a_struck_zero_has_ink_crossing_the_loops_interior(train_digits, name: str) -> None:
    crossed = []
    closed_zeros = [digit for digit in _digits(train_digits, 0) if _holes(digit)[1] == 1]
    assert len(closed_zeros) >= 10
    for plain, styled in _styled(np.stack(closed_zeros), name):
        interior = _holes(plain)[0] > 0
        # Ink on a good share of what was empty inside, and past the loop above and below it.
        outside = (styled >= INK) & ~ndimage.binary_fill_holes(plain >= INK)
        rows = np.flatnonzero(outside.any(axis=1))
        top, bottom, _, _ = styles.ink_box(plain)
        crossed.append((styled[interior] >= INK).mean() >= 0.1 and len(rows) > 0
                       and rows[0] < top and rows[-1] > bottom)
    assert _share(crossed) >= 0.9


def test_a_flagged_one_has_ink_left_of_its_stem_at_the_top(train_digits) -> None:
    flagged = []
    for plain, styled in _styled(_digits(train_digits, 1), "one_flag"):
        top, bottom, _, _ = styles.ink_box(plain)
        upper = slice(top, top + (bottom - top) // 4 + 1)
        flagged.append(_leftmost(styled, upper) <= _leftmost(plain, upper) - 2)
    assert _share(flagged) >= 0.9


def test_a_based_one_has_a_wide_foot(train_digits) -> None:
    based = []
    for plain, styled in _styled(_digits(train_digits, 1), "one_flag_base"):
        bottom = styles.ink_box(plain)[1]
        foot = slice(bottom - 1, bottom + 2)
        based.append(_columns(styled, foot) >= _columns(plain, foot) + 5)
    assert _share(based) >= 0.9


def test_a_crossed_seven_has_ink_across_its_stem(train_digits) -> None:
    crossed = []
    for plain, styled in _styled(_digits(train_digits, 7), "seven_cross"):
        top, bottom, _, _ = styles.ink_box(plain)
        rows = slice(top + (bottom - top) * 2 // 5, top + (bottom - top) * 2 // 3 + 1)
        crossed.append(_widest_pair(styled, rows) >= _widest_pair(plain, rows) + 4)
    assert _share(crossed) >= 0.9


def test_a_closed_four_encloses_its_top(train_digits) -> None:
    open_fours = [digit for digit in _digits(train_digits, 4) if _holes(digit)[1] == 0]
    assert len(open_fours) >= 5
    closed = [_holes(styled)[1] >= 1 for _, styled in _styled(np.stack(open_fours), "four_closed")]
    assert _share(closed) >= 0.8


def test_a_closed_fours_crossbar_runs_on_past_its_stem(train_digits) -> None:
    # What tells a closed-top 4 from a 9: on some row below the top third, ink reaches at
    # least 2 pixels further right than the plain 4's ink on that row.
    tailed = []
    for plain, styled in _styled(_digits(train_digits, 4), "four_closed"):
        top, bottom, _, _ = styles.ink_box(plain)
        further = [_rightmost(styled[row]) - _rightmost(plain[row])
                   for row in range(top + (bottom - top) // 3, bottom) if (plain[row] >= INK).any()]
        tailed.append(max(further) >= 2)
    assert _share(tailed) >= 0.8


def _rightmost(row: np.ndarray) -> int:
    return int(np.flatnonzero(row >= INK)[-1]) if (row >= INK).any() else -1


def test_a_flat_topped_five_has_a_long_straight_top(train_digits) -> None:
    flat = []
    for plain, styled in _styled(_digits(train_digits, 5), "five_flat"):
        top, _, left, right = styles.ink_box(plain)
        bar_start = np.flatnonzero((plain[top : top + 4] >= INK).any(axis=0))[0]
        run = (styled[top : top + 2] >= INK).any(axis=0)
        flat.append(run[bar_start : right + 2].all() and run.sum() >= 0.5 * (right - left + 1))
    assert _share(flat) >= 0.9


def test_a_two_loop_eight_has_two_loops_one_above_the_other(train_digits) -> None:
    stacked = []
    for _, styled in _styled(_digits(train_digits, 8), "eight_two_loops"):
        labelled, count = _holes(styled)
        centres = ndimage.center_of_mass(labelled > 0, labelled, range(1, count + 1))
        stacked.append(count == 2 and abs(centres[0][0] - centres[1][0]) >= 5)
    assert _share(stacked) >= 0.9


def test_a_curly_nine_turns_left_at_its_foot(train_digits) -> None:
    curly = []
    for plain, styled in _styled(_digits(train_digits, 9), "nine_curly"):
        bottom = styles.ink_box(plain)[1]
        foot = slice(bottom - 3, bottom + 2)
        curly.append(_leftmost(styled, foot) <= _leftmost(plain, foot) - 2)
    assert _share(curly) >= 0.9


def test_pen_effects_change_the_strokes_as_named(train_digits) -> None:
    digits = train_digits[0][:SAMPLES]
    for plain, gapped in _styled(digits, "pen_gaps"):
        assert (gapped >= INK).sum() < (plain >= INK).sum() and (gapped <= plain + 1e-6).all()
    for plain, run_on in _styled(digits, "overshoot"):
        assert (run_on >= INK).sum() >= (plain >= INK).sum() and (run_on >= plain - 1e-6).all()
    longer = [(run_on >= INK).sum() > (plain >= INK).sum() for plain, run_on in _styled(digits, "overshoot")]
    assert _share(longer) >= 0.8
    widths = [abs(styles.pen_width(sized) - styles.pen_width(plain))
              for plain, sized in _styled(digits, "pen_size")]
    assert np.median(widths) >= 0.7
    for plain, wobbly in _styled(digits, "jitter"):
        assert not np.allclose(plain, wobbly) and abs(wobbly.sum() / plain.sum() - 1) < 0.15


def test_styled_copies_are_deterministic_per_seed_and_per_digit(train_digits) -> None:
    images = np.round(train_digits[0][:200] * 255).astype(np.uint8)
    labels = train_digits[1][:200]
    first = styles.styled_copies(images, labels, share=0.5, seed=3)
    again = styles.styled_copies(images, labels, share=0.5, seed=3)
    other = styles.styled_copies(images, labels, share=0.5, seed=4)
    assert np.array_equal(first[0], again[0]) and first[2] == again[2]
    assert not (len(first[0]) == len(other[0]) and np.array_equal(first[0], other[0]))
    # Digit i's copy depends only on (seed, i): a prefix of the data gives a prefix of the copies.
    prefix = styles.styled_copies(images[:100], labels[:100], share=0.5, seed=3)
    assert np.array_equal(prefix[0], first[0][: len(prefix[0])])
    assert 60 <= len(first[0]) <= 140  # about half of 200
    assert first[0].dtype == np.uint8 and set(first[2]) <= set(styles.STYLES)
    for name, label in zip(first[2], first[1], strict=True):
        assert styles.STYLES[name].label in (None, label)  # a digit only gets its own digit's styles


def test_narrow_twos_are_narrower_and_only_drawn_when_asked_for(train_digits) -> None:
    def width_over_height(digit: np.ndarray) -> float:
        top, bottom, left, right = styles.ink_box(digit)
        return (right - left + 1) / (bottom - top + 1)

    twos = _styled(_digits(train_digits, 2), "two_narrow")
    narrower = [width_over_height(narrow) < 0.8 * width_over_height(plain) for plain, narrow in twos]
    assert _share(narrower) >= 0.9
    assert _share([(narrow >= INK).sum() >= 0.3 * (plain >= INK).sum() for plain, narrow in twos]) >= 0.9
    images = np.round(train_digits[0][:400] * 255).astype(np.uint8)
    labels = train_digits[1][:400]
    assert "two_narrow" not in styles.styles_for(2)  # an opt-in style: default copies are unchanged
    default = styles.styled_copies(images, labels, share=1.0, seed=0)
    asked = styles.styled_copies(images, labels, share=1.0, seed=0, weights={"two_narrow": 1.0})
    assert "two_narrow" not in default[2] and "two_narrow" in asked[2]
    assert all(label == 2 for name, label in zip(asked[2], asked[1], strict=True) if name == "two_narrow")


def test_style_weights_change_how_often_a_style_is_chosen(train_digits) -> None:
    images = np.round(train_digits[0] * 255).astype(np.uint8)
    labels = train_digits[1]
    ones = images[labels == 1][:300], labels[labels == 1][:300]
    even = styles.styled_copies(*ones, share=1.0, seed=0)[2]
    lighter = styles.styled_copies(*ones, share=1.0, seed=0, weights={"one_flag_base": 0.3})[2]
    # 1s: 70% get one of their two styles; one_flag_base's share of them 1/2 -> 0.3/1.3.
    assert 0.25 <= even.count("one_flag_base") / len(even) <= 0.45
    assert 0.08 <= lighter.count("one_flag_base") / len(lighter) <= 0.25
    assert lighter.count("one_flag") > even.count("one_flag")
    none = styles.styled_copies(*ones, share=1.0, seed=0, weights={"one_flag": 0, "one_flag_base": 0})[2]
    assert set(none) <= set(styles.PEN_EFFECTS)


def test_styled_copies_keep_labels_and_come_from_the_digits_given(train_digits) -> None:
    images = np.round(train_digits[0][:300] * 255).astype(np.uint8)
    labels = train_digits[1][:300]
    copies, copy_labels, names = styles.styled_copies(images, labels, share=1.0, seed=0)
    assert np.array_equal(copy_labels, labels)
    # Each copy is drawn on its own source digit (two-loop 8s are redrawn in its box only): of
    # all the digits given, the closest to a copy (correlation, slightly blurred) is its source.
    def unit(batch: np.ndarray) -> np.ndarray:
        flat = ndimage.gaussian_filter(batch.astype(float), (0, 1, 1)).reshape(len(batch), -1)
        flat -= flat.mean(axis=1, keepdims=True)
        return flat / np.linalg.norm(flat, axis=1, keepdims=True)

    similarity = unit(copies) @ unit(images).T
    own = np.diag(similarity)
    rank = (similarity > own[:, None]).sum(axis=1)  # 0: its source is the closest digit
    redrawn = np.array([name == "eight_two_loops" for name in names])
    assert np.mean(rank[~redrawn] == 0) >= 0.85 and np.mean(rank[~redrawn] <= 5) >= 0.98
    assert own[~redrawn].min() >= 0.5


def test_the_styles_benchmark_draws_test_digits_in_each_style(mnist_dir: Path, monkeypatch) -> None:
    from mnist_app import data

    splits: list[str] = []
    real = data.load_mnist

    def recording(split: str, *args, **kwargs):
        splits.append(split)
        return real(split, *args, **kwargs)

    monkeypatch.setattr(data, "load_mnist", recording)
    only = ("plain", "zero_slash", "seven_cross")
    samples = list(styles_benchmark.iter_styled_drawings(3, seed=5, data_dir=mnist_dir, only=only))
    assert splits == ["test"]
    assert [sample.style for sample in samples] == [name for name in only for _ in range(3)]
    test_labels = real("test", mnist_dir)[1]
    assert all(test_labels[sample.test_index] == sample.label for sample in samples)
    assert {sample.label for sample in samples[3:]} == {0, 7}
    assert all(sample.canvas.shape == (280, 280, 4) and sample.canvas.dtype == np.uint8 for sample in samples)
    again = list(styles_benchmark.iter_styled_drawings(3, seed=5, data_dir=mnist_dir, only=only))
    assert all(np.array_equal(a.canvas, b.canvas) for a, b in zip(samples, again, strict=True))


# --- training on styled copies ---------------------------------------------------------------------


def test_the_zoo_names_the_current_styles_version() -> None:
    from mnist_app import models

    styled = [spec for spec in models.MODELS.values() if spec.extra_key.get("style_share")]
    assert styled, "no model trains on styled copies"
    for spec in styled:
        assert spec.extra_key["styles"] == styles.STYLES_VERSION, spec.name  # a change retrains


def test_training_set_adds_styled_copies_of_the_training_digits(
    tiny_mnist: Path, fresh_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dataclasses

    from mnist_app import data, models
    from mnist_app.models import training

    images, labels = load_mnist("train", tiny_mnist)
    plain = dataclasses.replace(models.get_spec("naive_bayes"), extra_key={})
    styled = dataclasses.replace(
        plain, extra_key={"styles": styles.STYLES_VERSION, training.STYLE_SHARE: 0.5})
    base_features, base_targets = training.training_set(plain, images, labels)
    features, targets = training.training_set(styled, images, labels)
    copies, copy_labels, _ = styles.styled_copies(images, labels, share=0.5, seed=0)
    assert len(features) == len(images) + len(copies) and 0.4 * len(images) < len(copies) < 0.6 * len(images)
    assert np.array_equal(features[: len(images)], base_features)
    assert np.array_equal(targets, np.concatenate([base_targets, copy_labels]))
    assert not np.array_equal(features[len(images):], base_features[: len(copies)])

    # Training a model with styled copies reads the training split only.
    splits: list[str] = []
    real = data.load_mnist

    def recording(split: str, *args, **kwargs):
        splits.append(split)
        return real(split, *args, **kwargs)

    monkeypatch.setattr(training, "load_mnist", recording)
    monkeypatch.setitem(models.MODELS, "naive_bayes", styled)
    models.get_model("naive_bayes", data_dir=tiny_mnist)
    assert splits == ["train"]
    assert models.model_info("naive_bayes", data_dir=tiny_mnist)["n_train"] == len(features)


def test_styled_copies_are_made_once_per_share_for_the_same_training_digits(
    tiny_mnist: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The SVM's share differs from the other models': training all of them makes each set once."""
    from mnist_app.models import training

    images, labels = load_mnist("train", tiny_mnist)
    made: list[float] = []
    real = styles.styled_copies

    def counting(*args, **kwargs):
        made.append(kwargs["share"])
        return real(*args, **kwargs)

    monkeypatch.setattr(styles, "styled_copies", counting)
    monkeypatch.setattr(training, "_styled_memo", {})
    for share in (0.25, 0.1, 0.25, 0.1):
        rows, targets = training._styled_rows(images, labels, share)
        assert len(rows) == len(targets) and abs(len(rows) - share * len(images)) <= 0.1 * len(images)
    assert made == [0.25, 0.1]
    training._styled_rows(images.copy(), labels, 0.25)  # other digits: made again, old ones dropped
    assert made == [0.25, 0.1, 0.25] and len(training._styled_memo) == 1


def test_a_model_s_style_weights_shape_its_styled_copies(
    tiny_mnist: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``extra_key``'s STYLE_WEIGHTS reach the styled copies (and the memo tells weights apart)."""
    import dataclasses

    from mnist_app import models, preprocess
    from mnist_app.models import training

    monkeypatch.setattr(training, "_styled_memo", {})
    images, labels = load_mnist("train", tiny_mnist)
    plain = dataclasses.replace(models.get_spec("naive_bayes"), extra_key={})
    shared = {"styles": styles.STYLES_VERSION, training.STYLE_SHARE: 0.5}
    weights = {"two_narrow": 1.0, "one_flag_base": 0.3}
    even = dataclasses.replace(plain, extra_key=shared)
    weighted = dataclasses.replace(plain, extra_key={**shared, training.STYLE_WEIGHTS: weights})
    even_rows = training.training_set(even, images, labels)[0][len(images):]
    weighted_rows = training.training_set(weighted, images, labels)[0][len(images):]
    copies, _, names = styles.styled_copies(images, labels, share=0.5, seed=0, weights=weights)
    assert "two_narrow" in names
    assert np.array_equal(weighted_rows, preprocess.prepare_training(copies))
    assert len(weighted_rows) == len(even_rows) and not np.array_equal(weighted_rows, even_rows)
