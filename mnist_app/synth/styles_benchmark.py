"""The extended drawn-digit benchmark: MNIST *test* digits in the styles MNIST lacks, drawn on a canvas.

Each sample is a test digit given one style of :mod:`mnist_app.synth.styles` (or none:
"plain"), then redrawn as pen strokes on a 280x280 canvas the way
:mod:`mnist_app.synth.drawn` does (random pen width, size, position, polarity), so that it
goes through ``to_mnist`` exactly like a drawing in the app. The pen is at most
``MAX_PEN_FRACTION`` of the digit's size, half the drawn benchmark's cap: a slash or bar
inside a 0 drawn wider than that fills the loop, and nobody could read it. Deterministic
for a seed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from mnist_app.synth import drawn, styles

PLAIN = "plain"
#: Training-only pen effects: the benchmark redraws each digit's skeleton with a pen, which a
#: low-resolution blur does not survive (the real-handwriting proxy measures that effect).
NOT_DRAWN = ("low_resolution",)
MAX_PEN_FRACTION = drawn.MAX_PEN_FRACTION / 2


@dataclass(frozen=True)
class StyledDrawing:
    """One benchmark canvas: RGBA uint8 (280, 280, 4), its digit, style and test digit index."""

    canvas: np.ndarray
    label: int
    style: str
    test_index: int


def benchmark_styles() -> tuple[str, ...]:
    """The style classes of the benchmark: plain digits, then every style and pen effect drawn."""
    return (PLAIN, *(name for name in styles.STYLES if name not in NOT_DRAWN))


def iter_styled_drawings(
    per_style: int, seed: int = 0, *, data_dir: str | os.PathLike[str] | None = None,
    only: tuple[str, ...] | None = None,
) -> Iterator[StyledDrawing]:
    """``per_style`` drawings of each style class (``only``: a subset), from MNIST test digits."""
    from mnist_app.data import load_mnist  # the MNIST *test* split only

    images, labels = load_mnist("test", data_dir)
    for number, name in enumerate(only or benchmark_styles()):
        label = None if name == PLAIN else styles.STYLES[name].label
        pool = np.arange(len(labels)) if label is None else np.flatnonzero(labels == label)
        for index in range(per_style):
            rng = np.random.default_rng([seed, number, index])
            pick = int(pool[rng.integers(len(pool))])
            digit = images[pick].astype(np.float32) / 255.0
            if name != PLAIN:
                digit = styles.apply_style(digit, name, rng)
            yield StyledDrawing(draw_digit(digit, rng), int(labels[pick]), name, pick)


def draw_digit(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A 28x28 digit redrawn with a random pen, size, position and polarity: RGBA canvas."""
    pen = float(np.exp(rng.uniform(*np.log(drawn.PEN_RANGE))))
    scale = float(rng.uniform(*drawn.SCALE_RANGE))
    pen = min(pen, MAX_PEN_FRACTION * scale * drawn.CANVAS)
    room = (1.0 - scale) * drawn.CANVAS / 2 * 0.8
    centre = tuple(drawn.CANVAS / 2 + rng.uniform(-room, room, 2))
    polarity = drawn.POLARITIES[int(rng.integers(len(drawn.POLARITIES)))]
    return drawn.render_on_canvas(digit, scale=scale, centre=centre, polarity=polarity, pen_width=pen)


def make_styles_benchmark(
    per_style: int, seed: int = 0, *, data_dir: str | os.PathLike[str] | None = None,
    only: tuple[str, ...] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Preprocessed benchmark: digits float32 (n, 28, 28) as ``to_mnist`` returns, labels, styles."""
    from mnist_app.preprocess import to_mnist

    digits, labels, names = [], [], []
    for sample in iter_styled_drawings(per_style, seed, data_dir=data_dir, only=only):
        digits.append(to_mnist(sample.canvas))
        labels.append(sample.label)
        names.append(sample.style)
    return np.stack(digits), np.array(labels, dtype=np.int64), np.array(names)
