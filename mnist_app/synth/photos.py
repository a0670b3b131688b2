"""Synthetic photos of digits and numbers written on paper, for the photo benchmark and tests.

MNIST *test* digits are redrawn as pen strokes (``synth.skeleton_strokes``), written on
paper and photographed: paper colour and grain, lined or squared paper, black or blue
ballpoint or pencil, a light gradient and a soft shadow, a few degrees of rotation and a
small perspective, blur, sensor noise and JPEG compression. Numbers of several digits
are written left to right with varied spacing, some touching (``_layout``).

Each photo comes with the same handwriting drawn clean on the app's canvas
(``clean_canvas``), so a benchmark compares the photo with the drawing of the very same
strokes. Everything is deterministic given the seed; sample ``i`` depends only on ``(seed, i)``.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from PIL import Image
from scipy import ndimage
from skimage.transform import ProjectiveTransform, warp

from mnist_app.synth import drawn as synth

PHOTO_SIZE = (600, 800)  # rows, columns: a landscape phone photo scaled down
INKS = {"black": (25, 25, 35), "blue": (25, 45, 150), "pencil": (85, 85, 90)}
LINE_COLOURS = ((150, 185, 225), (165, 165, 170), (200, 150, 150))
Strokes = list[np.ndarray]


@dataclass(frozen=True)
class PaperPhoto:
    """One synthetic photo: RGB uint8 JPEG-decoded pixels, the digits written, and how."""

    photo: np.ndarray  # (rows, cols, 3) uint8
    jpeg: bytes  # the same photo as a JPEG file
    digits: tuple[int, ...]
    sources: tuple[int, ...]  # MNIST indices (of the test split unless asked otherwise)
    clean: tuple[np.ndarray, ...]  # each digit drawn clean on a 280x280 RGBA canvas
    touching: bool  # some neighbouring digits touch or overlap
    paper: str  # "plain", "lined" or "squared"
    ink: str

    @property
    def text(self) -> str:
        return "".join(str(digit) for digit in self.digits)


def iter_paper_photos(
    n: int, seed: int = 0, *, digits: int | tuple[int, int] = 1,
    data_dir: str | os.PathLike[str] | None = None, spacing: str = "ink",
    split: str = "test", pool: slice | None = None,
) -> Iterator[PaperPhoto]:
    """Yield ``n`` photos, each of ``digits`` digits (or a count drawn from a (low, high) range).

    ``spacing``: how neighbouring digits are spaced, "ink" or round 1's "boxes" (see ``_layout``).
    ``split`` and ``pool``: the MNIST split and the slice of it the digits come from (the test
    split by default; weights are tuned on photos of training digits the models' helpers never saw).
    """
    from mnist_app.data import load_mnist

    images, labels = load_mnist(split, data_dir)
    indices = np.arange(len(images))[pool or slice(None)]
    for index in range(n):
        rng = np.random.default_rng([seed, index, 18])
        count = digits if isinstance(digits, int) else int(rng.integers(digits[0], digits[1] + 1))
        picks = [int(indices[rng.integers(len(indices))]) for _ in range(count)]
        handwriting = [synth.skeleton_strokes(images[pick]) for pick in picks]
        yield make_paper_photo(handwriting, rng, [int(labels[p]) for p in picks], picks, spacing)


def make_paper_photo(
    handwriting: list[Strokes], rng: np.random.Generator, labels: list[int], sources: list[int],
    spacing: str = "ink",
) -> PaperPhoto:
    """Write the strokes of each digit (28x28 coordinates) side by side on paper, photograph it."""
    rows, cols = PHOTO_SIZE
    pen_ratio = float(rng.uniform(0.05, 0.11))  # stroke width / digit height: ballpoint to felt tip
    placed, touching, height = _layout(handwriting, rng, pen_ratio, spacing)
    ink = synth.draw_strokes(placed, max(1.5, pen_ratio * height), size=max(rows, cols))[:rows, :cols]
    paper = str(rng.choice(["plain", "lined", "squared"], p=[0.3, 0.4, 0.3]))
    ink_name = str(rng.choice(list(INKS)))
    sheet = _paper(rng, paper)
    opacity = rng.uniform(0.55, 0.8) if ink_name == "pencil" else rng.uniform(0.85, 1.0)
    alpha = (ink * opacity)[..., None]
    sheet = sheet * (1 - alpha) + np.asarray(INKS[ink_name], np.float32) * alpha
    sheet = _camera(sheet, rng)
    jpeg = _jpeg(sheet, int(rng.integers(55, 92)))
    photo = np.asarray(Image.open(io.BytesIO(jpeg)).convert("RGB"))
    clean = tuple(_clean_canvas(strokes, pen_ratio) for strokes in handwriting)
    return PaperPhoto(photo, jpeg, tuple(labels), tuple(sources), clean, touching, paper, ink_name)


def layout_digits(handwriting: list[Strokes], rng: np.random.Generator, pen_ratio: float,
                  spacing: str = "ink") -> tuple[list[Strokes], bool, float]:
    """Place digits left to right as on a photo (``_layout``): each digit's strokes in photo
    pixels, whether neighbours touch, the digit height in pixels."""
    placed, touching, height = _layout(handwriting, rng, pen_ratio, spacing)
    ends = np.cumsum([len(strokes) for strokes in handwriting])
    return [placed[end - len(strokes) : end] for end, strokes in zip(ends, handwriting, strict=True)], \
        touching, height


def _layout(handwriting: list[Strokes], rng: np.random.Generator, pen_ratio: float,
            spacing: str) -> tuple[Strokes, bool, float]:
    """Place the digits left to right on the photo; returns the strokes, touching?, digit height.

    ``spacing="ink"``: each gap is measured between the ink of neighbours, row by row, from
    touching (strokes meeting, overlapping by up to 4% of the height) to wide, as people
    write. ``spacing="boxes"`` (round 1): gaps between bounding boxes, from -6% to 35% of the
    height, so a slanted 1 or a wide 9 may lie inside its neighbour, strokes crossing.
    """
    if spacing == "boxes" or len(handwriting) == 1:  # one digit: the same photo either way
        return _layout_boxes(handwriting, rng)
    if spacing != "ink":
        raise ValueError(f"spacing is 'ink' or 'boxes', not {spacing!r}")
    rows, cols = PHOTO_SIZE
    count = len(handwriting)
    gaps = rng.uniform(-0.04, 0.30, max(count - 1, 0))  # between the ink, of the digit height
    touching = bool((gaps < 0.01).any())
    height = float(rng.uniform(0.15, 0.45) * rows)
    left_draw, top_draw = rng.random(), rng.random()
    # Written at height 1, then scaled to fit the frame.
    placed_units: Strokes = []
    points_so_far = np.zeros((0, 2))
    for position, strokes in enumerate(handwriting):
        points = np.concatenate(strokes)
        low = points.min(axis=0)
        factor = 1.0 / max(float(np.ptp(points[:, 0])), 1e-6) * rng.uniform(0.92, 1.05)
        shift = np.array([rng.normal(0, 0.03), 0.0])
        unit = [(stroke - low) * factor + shift for stroke in strokes]
        if position > 0:
            unit_points = np.concatenate(unit)
            across = _ink_offset(points_so_far, unit_points, gaps[position - 1] + pen_ratio)
            unit = [stroke + np.array([0.0, across]) for stroke in unit]
        placed_units += unit
        points_so_far = np.concatenate([points_so_far, *unit])
    width_units = float(np.ptp(points_so_far[:, 1])) + pen_ratio
    height = min(height, 0.85 * cols / max(width_units, 1e-6))
    left = 0.05 * cols + left_draw * (0.9 * cols - width_units * height)
    top = 0.08 * rows + top_draw * (0.84 * rows - height)
    origin = np.array([top, left - points_so_far[:, 1].min() * height])
    return [stroke * height + origin for stroke in placed_units], touching, height


def _ink_offset(before: np.ndarray, digit: np.ndarray, distance: float) -> float:
    """How far right to move ``digit`` (points, row/col) so its strokes' centre lines are
    ``distance`` right of those ``before`` it in the rows both write in (bands of 5% height)."""
    band = 0.05
    low = min(before[:, 0].min(), digit[:, 0].min())
    bands = int((max(before[:, 0].max(), digit[:, 0].max()) - low) / band) + 1
    right_edge = np.full(bands, -np.inf)
    left_edge = np.full(bands, np.inf)
    np.maximum.at(right_edge, ((before[:, 0] - low) / band).astype(int), before[:, 1])
    np.minimum.at(left_edge, ((digit[:, 0] - low) / band).astype(int), digit[:, 1])
    right_edge = ndimage.maximum_filter1d(right_edge, 3)  # a stroke's round end reaches a band over
    shared = np.isfinite(right_edge) & np.isfinite(left_edge)
    if not shared.any():  # no row in common: the gap between the boxes
        return distance + float(before[:, 1].max() - digit[:, 1].min())
    return distance + float((right_edge[shared] - left_edge[shared]).max())


def _layout_boxes(handwriting: list[Strokes], rng: np.random.Generator) -> tuple[Strokes, bool, float]:
    """Round 1's composition: gaps between bounding boxes (see ``_layout``)."""
    rows, cols = PHOTO_SIZE
    count = len(handwriting)
    shapes = [np.concatenate(strokes) for strokes in handwriting]
    aspects = [max(float(np.ptp(p[:, 1]) / max(np.ptp(p[:, 0]), 1e-6)), 0.15) for p in shapes]
    gaps = rng.uniform(-0.06, 0.35, max(count - 1, 0))  # of the digit height; below 0 they touch
    touching = bool((gaps < 0.02).any())
    widths_per_height = sum(aspects) + float(gaps.sum())
    # Small in the frame for one digit (15-45% of the height); as wide as fits for numbers.
    height = float(rng.uniform(0.15, 0.45) * rows)
    height = min(height, 0.85 * cols / max(widths_per_height, 1e-6))
    left = float(rng.uniform(0.05 * cols, cols - 0.05 * cols - widths_per_height * height))
    top = float(rng.uniform(0.08 * rows, rows - 0.08 * rows - height))
    placed: Strokes = []
    for position, strokes in enumerate(handwriting):
        points = shapes[position]
        low = points.min(axis=0)
        factor = height / max(float(np.ptp(points[:, 0])), 1e-6) * rng.uniform(0.92, 1.05)
        offset = np.array([top + rng.normal(0, 0.03) * height, left])
        placed += [(stroke - low) * factor + offset for stroke in strokes]
        left += aspects[position] * height + (gaps[position] * height if position < count - 1 else 0)
    return placed, touching, height


def _paper(rng: np.random.Generator, kind: str) -> np.ndarray:
    rows, cols = PHOTO_SIZE
    tint = np.array([0, rng.uniform(0, 6), rng.uniform(0, 14)])  # white to cream
    base = np.array([rng.uniform(225, 252)] * 3, np.float32) - tint
    grain = ndimage.gaussian_filter(rng.normal(0, 1, (rows, cols)), 1.2).astype(np.float32)
    grain *= rng.uniform(6, 14)
    sheet = np.broadcast_to(base, (rows, cols, 3)) + grain[..., None]
    if kind == "plain":
        return sheet
    spacing = float(rng.uniform(22, 40))
    colour = np.asarray(LINE_COLOURS[int(rng.integers(len(LINE_COLOURS)))], np.float32)
    width = float(rng.uniform(1.0, 2.2))
    row_index, col_index = np.mgrid[:rows, :cols].astype(np.float32)
    lines = _line_profile(row_index, spacing, rng.uniform(0, spacing), width)
    if kind == "squared":
        lines = np.maximum(lines, _line_profile(col_index, spacing, rng.uniform(0, spacing), width))
    strength = (lines * rng.uniform(0.5, 0.9))[..., None]
    return sheet * (1 - strength) + colour * strength


def _line_profile(coordinate: np.ndarray, spacing: float, phase: float, width: float) -> np.ndarray:
    distance = np.abs((coordinate - phase + spacing / 2) % spacing - spacing / 2)
    return np.clip(width / 2 + 0.5 - distance, 0.0, 1.0)


def _camera(sheet: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Perspective and rotation, light gradient and a shadow, blur and noise: float RGB 0-255."""
    rows, cols = PHOTO_SIZE
    angle = np.deg2rad(rng.uniform(-5, 5))
    corners = np.array([[0, 0], [cols, 0], [cols, rows], [0, rows]], np.float64)
    centre = corners.mean(axis=0)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    moved = (corners - centre) @ rotation.T * 0.97 + centre + rng.normal(0, 0.025 * cols, (4, 2))
    transform = ProjectiveTransform.from_estimate(moved, corners)  # photo pixel -> where on the sheet
    warped = warp(sheet / 255.0, transform, mode="reflect", order=1) * 255.0
    row_index, col_index = np.mgrid[:rows, :cols].astype(np.float32)
    direction = rng.normal(size=2)
    direction /= np.linalg.norm(direction)
    ramp = ((row_index / rows - 0.5) * direction[0] + (col_index / cols - 0.5) * direction[1])
    light = 1.0 - rng.uniform(0.1, 0.45) * (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1e-6)
    if rng.random() < 0.7:  # a soft shadow over part of the sheet (a hand, the phone)
        normal = rng.normal(size=2)
        edge = (row_index - rng.uniform(0, rows)) * normal[0] + (col_index - rng.uniform(0, cols)) * normal[1]
        softness = rng.uniform(10, 50)
        light *= 1.0 - rng.uniform(0.2, 0.45) / (1.0 + np.exp(-edge / softness))
    lit = warped * light[..., None]
    blurred = ndimage.gaussian_filter(lit, (rng.uniform(0.3, 1.1),) * 2 + (0,))
    return np.clip(blurred + rng.normal(0, rng.uniform(1, 4), blurred.shape), 0, 255)


def _jpeg(pixels: np.ndarray, quality: int) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.round(pixels).astype(np.uint8)).save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def _clean_canvas(strokes: Strokes, pen_ratio: float) -> np.ndarray:
    """The same strokes drawn on the app's canvas: white on black, 60% of its height, same pen ratio."""
    extent = 0.6 * synth.CANVAS
    placed = synth.fit_strokes(strokes, extent, (synth.CANVAS / 2, synth.CANVAS / 2))
    points = np.concatenate(placed)
    height = max(float(np.ptp(points[:, 0])), 1.0)
    return synth.paint(synth.draw_strokes(placed, max(2.0, pen_ratio * height)), "light_on_dark")
