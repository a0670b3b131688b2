"""A drawn-digit benchmark: MNIST test digits redrawn as pen strokes on a 280x280 canvas.

People draw with a mouse or a finger: strokes much thicker or thinner than MNIST's pen,
digits tiny or filling the canvas, anywhere on it, on a dark canvas, on white paper or
on a transparent layer. ``make_drawn_benchmark`` imitates that from MNIST *test* digits
(never training ones): each digit is thinned to its skeleton (``skimage.morphology.
skeletonize``), then redrawn with a round pen of random width, at a random size (30-90%
of the canvas), position, slight rotation and polarity. It adds hand-built European 1s
(flag and base) and 7s (crossbar), which MNIST barely has.

Everything is deterministic given the seed; sample ``i`` depends only on ``(seed, i)``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from PIL import Image
from scipy import ndimage
from skimage.draw import line as draw_line
from skimage.morphology import skeletonize

Polarity = Literal["light_on_dark", "dark_on_light", "transparent"]
POLARITIES: tuple[Polarity, ...] = ("light_on_dark", "dark_on_light", "transparent")

CANVAS = 280
#: Skeletons are taken from the digit enlarged this much, so the redrawn strokes are smooth.
SKELETON_UPSAMPLE = 4
PEN_RANGE = (3.0, 60.0)  # canvas pixels; the app's pen slider goes from 8 to 60
SCALE_RANGE = (0.3, 0.9)  # digit's longer side / canvas side
MAX_ROTATION_DEGREES = 10.0
MAX_PEN_FRACTION = 0.3  # of the digit's size
EUROPEAN_FRACTION = 0.1  # share of hand-built European 1s and 7s in the benchmark

Polyline = np.ndarray  # (k, 2) float points (row, col)


@dataclass(frozen=True)
class DrawnDigit:
    """One benchmark sample and how it was drawn."""

    canvas: np.ndarray  # RGBA uint8 (280, 280, 4)
    label: int
    source: str  # "mnist-test[<index>]" or "european-1" / "european-7"
    pen_width: float
    scale: float
    polarity: Polarity


def make_drawn_benchmark(
    n: int, seed: int = 0, *, data_dir: str | os.PathLike[str] | None = None,
    european_fraction: float = EUROPEAN_FRACTION,
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` drawn digits: canvases RGBA uint8 (n, 280, 280, 4) and labels int64 (n,).

    About 300 kB per canvas: stream larger benchmarks with ``iter_drawn_digits``.
    """
    samples = list(iter_drawn_digits(n, seed, data_dir=data_dir, european_fraction=european_fraction))
    canvases = np.stack([sample.canvas for sample in samples]) if samples else np.zeros(
        (0, CANVAS, CANVAS, 4), np.uint8)
    return canvases, np.array([sample.label for sample in samples], dtype=np.int64)


def iter_drawn_digits(
    n: int, seed: int = 0, *, data_dir: str | os.PathLike[str] | None = None,
    european_fraction: float = EUROPEAN_FRACTION,
) -> Iterator[DrawnDigit]:
    """Yield ``n`` drawn digits one at a time (see the module docstring)."""
    from mnist_app.data import load_mnist  # the MNIST *test* split only

    images, labels = load_mnist("test", data_dir)
    for index in range(n):
        rng = np.random.default_rng([seed, index])
        pen = float(np.exp(rng.uniform(*np.log(PEN_RANGE))))  # log-uniform: thin pens are common
        scale = float(rng.uniform(*SCALE_RANGE))
        polarity: Polarity = POLARITIES[int(rng.integers(len(POLARITIES)))]
        if rng.random() < european_fraction:
            label = int(rng.choice([1, 7]))
            strokes = european_strokes(label, rng)
            source = f"european-{label}"
        else:
            pick = int(rng.integers(len(images)))
            label = int(labels[pick])
            strokes = skeleton_strokes(images[pick])
            source = f"mnist-test[{pick}]"
        strokes = _rotate(strokes, float(rng.uniform(-MAX_ROTATION_DEGREES, MAX_ROTATION_DEGREES)))
        pen = min(pen, MAX_PEN_FRACTION * scale * CANVAS)  # wider makes a blob, not a digit
        placed = _place(strokes, scale, rng)
        ink = draw_strokes(placed, pen)
        yield DrawnDigit(paint(ink, polarity), label, source, pen, scale, polarity)


def render_on_canvas(
    digit28: np.ndarray,
    *,
    scale: float = 0.6,
    centre: tuple[float, float] = (CANVAS / 2, CANVAS / 2),
    polarity: Polarity = "light_on_dark",
    pen_width: float | None = None,
    size: int = CANVAS,
) -> np.ndarray:
    """Draw one 28x28 digit (uint8 or float) on an RGBA canvas; returns uint8 (size, size, 4).

    The digit's bounding box gets its longer side = ``scale * size`` with its box centre at
    ``centre`` (row, col). With ``pen_width=None`` the digit image itself is enlarged
    (its own strokes, smoothly interpolated); with a pen width it is skeletonised and
    redrawn with that pen.
    """
    digit = np.asarray(digit28, dtype=np.float32)
    if digit.max() > 1.0:
        digit = digit / 255.0
    if pen_width is None:
        ink = _enlarge(digit, scale * size, centre, size)
    else:
        strokes = skeleton_strokes(digit)
        ink = draw_strokes(fit_strokes(strokes, scale * size, centre), pen_width, size)
    return paint(ink, polarity)


def skeleton_strokes(digit28: np.ndarray) -> list[Polyline]:
    """The digit's skeleton as 2-point line segments in the 28x28 frame (row, col)."""
    digit = np.asarray(digit28, dtype=np.float32)
    if digit.max() > 1.0:
        digit = digit / 255.0
    # Smoothed before thinning, so the redrawn strokes are smooth curves, not pixel stairs.
    big = ndimage.gaussian_filter(ndimage.zoom(digit, SKELETON_UPSAMPLE, order=1), SKELETON_UPSAMPLE / 2.5)
    skeleton = skeletonize(big > 0.4)
    rows, cols = np.nonzero(skeleton)
    points = np.stack([rows, cols], axis=1)
    segments: list[Polyline] = []
    # Join each skeleton pixel to its 8-neighbours (each pair once); a lone pixel is a dot.
    height, width = skeleton.shape
    for d_row, d_col in ((0, 1), (1, 0), (1, 1), (1, -1)):
        left, right = max(0, -d_col), max(0, d_col)
        here = skeleton[: height - d_row, left : width - right]
        there = skeleton[d_row:, left + d_col : width - right + d_col]
        for row, col in zip(*np.nonzero(here & there), strict=True):
            start = (row, col + left)
            segments.append(np.array([start, (start[0] + d_row, start[1] + d_col)], dtype=np.float64))
    if not segments:
        segments = [np.array([point, point], dtype=np.float64) for point in points]
    return [segment / SKELETON_UPSAMPLE for segment in segments]


def european_strokes(label: int, rng: np.random.Generator) -> list[Polyline]:
    """A hand-built European 1 (flag and base) or 7 (crossbar), with jitter, in a unit box."""

    def jitter(*points: tuple[float, float]) -> Polyline:
        return np.array(points, dtype=np.float64) + rng.normal(0.0, 0.03, (len(points), 2))

    if label == 1:
        strokes = [jitter((0.3, 0.25), (0.0, 0.55), (1.0, 0.55))]  # flag, then the stem
        if rng.random() < 0.7:
            strokes.append(jitter((1.0, 0.3), (1.0, 0.8)))  # base
        return strokes
    if label == 7:
        return [
            jitter((0.05, 0.15), (0.0, 0.85), (1.0, 0.35)),  # top bar, then the diagonal
            jitter((0.5, 0.35), (0.5, 0.8)),  # crossbar
        ]
    raise ValueError(f"Only European 1s and 7s are built by hand, not {label}")


def draw_strokes(strokes: Sequence[Polyline], pen_width: float, size: int = CANVAS) -> np.ndarray:
    """Render polylines (canvas coordinates) with a round pen: float32 ink (size, size) in [0, 1].

    The pen's edge is anti-aliased over one pixel, like a browser canvas.
    """
    centre_line = np.zeros((size, size), dtype=bool)
    for stroke in strokes:
        points = np.clip(np.round(stroke), 0, size - 1).astype(int)
        for (r0, c0), (r1, c1) in zip(points[:-1], points[1:], strict=True):
            rows, cols = draw_line(r0, c0, r1, c1)
            centre_line[rows, cols] = True
        if len(points) == 1:
            centre_line[points[0, 0], points[0, 1]] = True
    distance = ndimage.distance_transform_edt(~centre_line)
    return np.clip(pen_width / 2.0 + 0.5 - distance, 0.0, 1.0).astype(np.float32)


def paint(ink: np.ndarray, polarity: Polarity) -> np.ndarray:
    """Ink (H, W) in [0, 1] -> RGBA uint8 as the drawing canvas returns it.

    ``light_on_dark``: white strokes on an opaque black background (the app's canvas);
    ``dark_on_light``: black strokes on opaque white paper; ``transparent``: black strokes,
    the background fully transparent and the ink in the alpha channel.
    """
    level = np.round(np.clip(ink, 0.0, 1.0) * 255).astype(np.uint8)
    canvas = np.empty(ink.shape + (4,), dtype=np.uint8)
    if polarity == "light_on_dark":
        canvas[..., :3] = level[..., np.newaxis]
        canvas[..., 3] = 255
    elif polarity == "dark_on_light":
        canvas[..., :3] = (255 - level)[..., np.newaxis]
        canvas[..., 3] = 255
    elif polarity == "transparent":
        canvas[..., :3] = 0
        canvas[..., 3] = level
    else:
        raise ValueError(f"polarity must be one of {POLARITIES}, not {polarity!r}")
    return canvas


def _rotate(strokes: list[Polyline], degrees: float) -> list[Polyline]:
    angle = np.deg2rad(degrees)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    return [stroke @ rotation.T for stroke in strokes]


def fit_strokes(strokes: list[Polyline], extent: float, centre: tuple[float, float]) -> list[Polyline]:
    """Scale strokes so their bounding box's longer side is ``extent``, box centre at ``centre``."""
    points = np.concatenate(strokes)
    low, high = points.min(axis=0), points.max(axis=0)
    factor = extent / max(float((high - low).max()), 1e-6)
    middle = (low + high) / 2
    return [(stroke - middle) * factor + np.asarray(centre) for stroke in strokes]


def _place(strokes: list[Polyline], scale: float, rng: np.random.Generator) -> list[Polyline]:
    """Fit to ``scale`` of the canvas at a random position that keeps the digit on it."""
    fitted = fit_strokes(strokes, scale * CANVAS, (0.0, 0.0))
    points = np.concatenate(fitted)
    margin = 0.05 * CANVAS
    low = margin - points.min(axis=0)
    high = CANVAS - margin - points.max(axis=0)
    centre = rng.uniform(np.minimum(low, high), np.maximum(low, high))
    return [stroke + centre for stroke in fitted]


def _enlarge(digit: np.ndarray, extent: float, centre: tuple[float, float], size: int) -> np.ndarray:
    rows = np.flatnonzero(digit.any(axis=1))
    cols = np.flatnonzero(digit.any(axis=0))
    crop = digit[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    factor = extent / max(crop.shape)
    height, width = (max(1, round(side * factor)) for side in crop.shape)
    big = np.asarray(Image.fromarray(np.ascontiguousarray(crop)).resize((width, height),
                                                                        Image.Resampling.BICUBIC))
    canvas = np.zeros((size, size), dtype=np.float32)
    top = int(round(centre[0] - height / 2))
    left = int(round(centre[1] - width / 2))
    # Clip the paste to the canvas (a centre near the edge may push part of the digit off it).
    r0, c0 = max(top, 0), max(left, 0)
    r1, c1 = min(top + height, size), min(left + width, size)
    canvas[r0:r1, c0:c1] = big[r0 - top : r1 - top, c0 - left : c1 - left]
    return np.clip(canvas, 0.0, 1.0)
