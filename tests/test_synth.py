"""The drawn-digit benchmark generator: deterministic, made from MNIST test digits, drawn as asked."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from mnist_app import synth


@pytest.fixture(scope="module")
def test_digits(mnist_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    from mnist_app.data import load_mnist

    return load_mnist("test", mnist_dir)


def ink_of(canvas: np.ndarray) -> np.ndarray:
    """Ink (0-1) of a canvas in any of the three polarities."""
    if canvas[0, 0, 3] == 0 or canvas[..., 3].min() < 255:
        return canvas[..., 3] / 255
    return np.abs(canvas[..., 0].astype(float) - canvas[0, 0, 0]) / 255


def test_benchmark_is_deterministic_given_the_seed(mnist_dir: Path) -> None:
    canvases, labels = synth.make_drawn_benchmark(6, seed=3, data_dir=mnist_dir)
    again, again_labels = synth.make_drawn_benchmark(6, seed=3, data_dir=mnist_dir)
    other, _ = synth.make_drawn_benchmark(6, seed=4, data_dir=mnist_dir)
    assert canvases.shape == (6, 280, 280, 4) and canvases.dtype == np.uint8
    np.testing.assert_array_equal(canvases, again)
    np.testing.assert_array_equal(labels, again_labels)
    assert not np.array_equal(canvases, other)
    # Sample i depends only on (seed, i): a longer benchmark starts with the shorter one.
    longer, _ = synth.make_drawn_benchmark(8, seed=3, data_dir=mnist_dir)
    np.testing.assert_array_equal(longer[:6], canvases)


def test_samples_come_from_mnist_test_and_vary_as_promised(test_digits, mnist_dir: Path) -> None:
    _, test_labels = test_digits
    samples = list(synth.iter_drawn_digits(60, seed=11, data_dir=mnist_dir))
    polarities = {sample.polarity for sample in samples}
    assert polarities == set(synth.POLARITIES)
    assert any(sample.source.startswith("european") for sample in samples)
    for sample in samples:
        found = re.fullmatch(r"mnist-test\[(\d+)\]", sample.source)
        if found:
            assert sample.label == test_labels[int(found.group(1))]
        else:
            assert sample.source == f"european-{sample.label}" and sample.label in (1, 7)
        assert synth.SCALE_RANGE[0] <= sample.scale <= synth.SCALE_RANGE[1]
        assert synth.PEN_RANGE[0] <= sample.pen_width <= synth.PEN_RANGE[1]
        rows, cols = np.nonzero(ink_of(sample.canvas) > 0.5)
        extent = max(np.ptp(rows), np.ptp(cols)) + 1
        # The skeleton's box is scaled to `scale`; the pen adds up to its width around it.
        assert sample.scale * 280 - 2 <= extent <= sample.scale * 280 + sample.pen_width + 2
    pens = [sample.pen_width for sample in samples]
    assert min(pens) < 8 and max(pens) > 30


@pytest.mark.parametrize("polarity", synth.POLARITIES)
def test_paint_encodes_each_polarity_like_the_canvas(polarity: synth.Polarity) -> None:
    ink = np.zeros((40, 40), np.float32)
    ink[10:30, 18:22] = 1.0
    canvas = synth.paint(ink, polarity)
    background, stroke = canvas[0, 0], canvas[20, 20]
    expected = {
        "light_on_dark": ([0, 0, 0, 255], [255, 255, 255, 255]),
        "dark_on_light": ([255, 255, 255, 255], [0, 0, 0, 255]),
        "transparent": ([0, 0, 0, 0], [0, 0, 0, 255]),
    }[polarity]
    assert background.tolist() == expected[0] and stroke.tolist() == expected[1]


def test_draw_strokes_uses_a_round_pen_of_the_given_width() -> None:
    for width in (3.0, 10.0, 25.0):
        ink = synth.draw_strokes([np.array([[100.0, 50.0], [100.0, 200.0]])], width)
        profile = ink[:, 125]  # across the middle of a horizontal line
        assert profile.sum() == pytest.approx(width, abs=1.0)
        assert ink[100, 50 - int(width / 2) + 1] > 0  # round cap beyond the end point


def test_render_on_canvas_places_and_scales_the_digit(test_digits) -> None:
    images, _ = test_digits
    for pen_width in (None, 8.0):
        canvas = synth.render_on_canvas(images[0], scale=0.5, centre=(80, 190), pen_width=pen_width)
        rows, cols = np.nonzero(ink_of(canvas) > 0.3)
        assert max(np.ptp(rows), np.ptp(cols)) + 1 == pytest.approx(140, abs=(pen_width or 0) + 4)
        assert (rows.min() + rows.max()) / 2 == pytest.approx(80, abs=4)
        assert (cols.min() + cols.max()) / 2 == pytest.approx(190, abs=4)


def test_skeleton_strokes_follow_the_digit(test_digits) -> None:
    images, _ = test_digits
    strokes = synth.skeleton_strokes(images[0])
    points = np.concatenate(strokes).round().astype(int)
    assert len(strokes) > 10
    # Every skeleton point lies on the digit's ink, inside the 28x28 frame.
    assert points.min() >= 0 and points.max() < 28
    assert (images[0][points[:, 0], points[:, 1]] > 0).mean() > 0.95


def test_european_digits_are_built_by_hand() -> None:
    rng = np.random.default_rng(0)
    assert len(synth.european_strokes(7, rng)) == 2  # top bar + diagonal, crossbar
    assert len(synth.european_strokes(1, rng)) in (1, 2)  # flag + stem, optional base
    with pytest.raises(ValueError, match="European"):
        synth.european_strokes(4, rng)
