"""What-ifs: each preprocessing switch changes what the model sees as expected; move/turn/size/pen."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from mnist_app import preprocess, synth
from mnist_app.explain.whatif import answers, what_if
from mnist_app.preprocess.whatif import Changes, apply_changes

SIDE = 280


def canvas_with(strokes: list[np.ndarray], pen: float = 16.0) -> np.ndarray:
    """White strokes (canvas coordinates, row/col) on the app's black canvas."""
    return synth.paint(synth.draw_strokes(strokes, pen, SIDE), "light_on_dark")


def line(*points: tuple[float, float]) -> np.ndarray:
    return np.array(points, dtype=np.float64)


def ink_box(digit: np.ndarray) -> tuple[int, int]:
    rows, cols = np.flatnonzero(digit.max(axis=1) > 0.2), np.flatnonzero(digit.max(axis=0) > 0.2)
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def slant(digit: np.ndarray) -> float:
    """Row/column covariance over row variance of the ink (0 = upright)."""
    rows, cols = np.mgrid[:28, :28]
    mass = digit.sum()
    r, c = (digit * rows).sum() / mass, (digit * cols).sum() / mass
    return float((digit * (rows - r) * (cols - c)).sum() / (digit * (rows - r) ** 2).sum())


A_SEVEN = [line((100, 90), (100, 180), (200, 120))]


def test_default_switches_give_exactly_to_mnist() -> None:
    canvas = canvas_with(A_SEVEN)
    default = preprocess.to_mnist(canvas)
    np.testing.assert_array_equal(preprocess.to_mnist(canvas, preprocess.Switches()), default)
    np.testing.assert_array_equal(preprocess.steps(canvas, preprocess.Switches())[-1].image, default)


def test_without_crop_a_small_drawing_stays_small() -> None:
    canvas = canvas_with([line((120, 140), (160, 140))], pen=6.0)  # a short stroke in the middle
    cropped = ink_box(preprocess.to_mnist(canvas))
    whole_canvas = ink_box(preprocess.to_mnist(canvas, preprocess.Switches(crop=False)))
    assert cropped[0] >= 18  # fitted: 20 pixels tall
    assert whole_canvas[0] <= 6  # the whole canvas fitted into 20x20: the stroke is a few pixels


def test_without_the_aspect_ratio_fit_a_one_is_stretched_wide() -> None:
    canvas = canvas_with([line((40, 140), (240, 140))])  # a tall thin 1
    kept = ink_box(preprocess.to_mnist(canvas))
    stretched = ink_box(preprocess.to_mnist(canvas, preprocess.Switches(fit=False)))
    assert kept[1] <= 8
    assert stretched[1] >= 18


def test_without_centring_the_digit_stays_where_it_was_drawn() -> None:
    canvas = canvas_with([line((20, 20), (20, 80), (90, 40))])  # a 7 in the top-left corner
    centred = preprocess.to_mnist(canvas)
    corner = preprocess.to_mnist(canvas, preprocess.Switches(centre=False))
    assert np.allclose(ndimage.center_of_mass(centred), (14, 14), atol=1.0)
    row, col = ndimage.center_of_mass(corner)
    assert row < 12 and col < 12
    # ... also with the deslant on (which centres by itself) and off.
    upright = preprocess.to_mnist(canvas, preprocess.Switches(centre=False, deslant=False))
    row, col = ndimage.center_of_mass(upright)
    assert row < 12 and col < 12


def test_without_deslant_a_slanted_stroke_stays_slanted() -> None:
    canvas = canvas_with([line((40, 100), (240, 180))])  # a 1 leaning right
    assert abs(slant(preprocess.to_mnist(canvas))) < 0.1
    assert abs(slant(preprocess.to_mnist(canvas, preprocess.Switches(deslant=False)))) > 0.2


def test_without_blur_the_edges_are_sharper() -> None:
    canvas = canvas_with(A_SEVEN)
    blurred = preprocess.to_mnist(canvas)
    sharp = preprocess.to_mnist(canvas, preprocess.Switches(blur=False))
    assert (sharp > 0.05).sum() < (blurred > 0.05).sum()
    assert sharp.max() == pytest.approx(1.0) and blurred.max() == pytest.approx(1.0)


def test_without_pen_matching_thick_pens_stay_thick_and_thin_ones_thin(mnist_dir) -> None:
    samples = list(synth.iter_drawn_digits(6, seed=0))  # drawn digits 2 (pen 3.8) and 4 (pen 37) get matched
    for sample in (samples[2], samples[4]):
        matched = preprocess.to_mnist(sample.canvas)
        unmatched = preprocess.to_mnist(sample.canvas, preprocess.Switches(match_pen=False))
        if sample.pen_width > 20:
            assert unmatched.sum() > 1.3 * matched.sum()
        else:
            assert unmatched.sum() < 0.8 * matched.sum()


def test_steps_captions_say_which_step_was_switched_off() -> None:
    switches = preprocess.Switches(fit=False, centre=False, blur=False)
    captions = [step.caption for step in preprocess.steps(canvas_with(A_SEVEN), switches)]
    assert "Stretched to 20x20 (aspect ratio lost)" in captions
    assert "Pasted into 28x28 where it was drawn (not centred)" in captions
    assert captions[-1] == "Strongest ink = 1 (no blur)"


# --- changes to the digit the model sees -------------------------------------------------------


@pytest.fixture
def bar() -> np.ndarray:
    digit = np.zeros((28, 28), np.float32)
    digit[6:22, 13:15] = 1.0  # a vertical bar through the centre
    return digit


def test_no_change_is_the_same_digit(bar: np.ndarray) -> None:
    np.testing.assert_array_equal(apply_changes(bar, Changes()), bar)


def test_moving_moves_the_centre_of_mass(bar: np.ndarray) -> None:
    before = np.array(ndimage.center_of_mass(bar))
    after = np.array(ndimage.center_of_mass(apply_changes(bar, Changes(down=3, right=-2))))
    np.testing.assert_allclose(after - before, (3, -2), atol=0.05)


def test_turning_a_quarter_makes_a_vertical_bar_horizontal(bar: np.ndarray) -> None:
    turned = apply_changes(bar, Changes(rotate=90))
    height, width = ink_box(turned)
    assert width >= 14 and height <= 4


def test_resizing_halves_the_height(bar: np.ndarray) -> None:
    assert ink_box(apply_changes(bar, Changes(scale=0.5)))[0] == pytest.approx(8, abs=1)
    with pytest.raises(ValueError):
        apply_changes(bar, Changes(scale=0.0))


def test_a_thicker_pen_adds_ink_and_a_thinner_one_removes_it(bar: np.ndarray) -> None:
    wide = np.zeros((28, 28), np.float32)
    wide[6:22, 11:17] = 1.0
    assert apply_changes(wide, Changes(pen=2)).sum() > wide.sum() * 1.2
    assert apply_changes(wide, Changes(pen=-2)).sum() < wide.sum() * 0.8


def test_every_model_answers_the_changed_digit() -> None:
    canvas = canvas_with([line((40, 140), (240, 140))])  # a 1
    normal = what_if(canvas, preprocess.Switches(), Changes(), ["svm"])
    assert normal.predictions["svm"].label == 1
    np.testing.assert_array_equal(normal.digit, preprocess.to_mnist(canvas))
    turned = answers(canvas, preprocess.Switches(), Changes(rotate=90), ["svm"])
    assert turned["svm"] != 1  # a lying 1 is no 1 for the SVM
