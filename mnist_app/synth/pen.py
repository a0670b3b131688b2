"""Pen strokes on a 28x28 digit: its ink box, pen width and stem, straight strokes and redrawn skeletons.

The building blocks of ``synth.styles``: every style is drawn from the digit's own ink
geometry in the digit's own pen width.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from skimage.draw import line
from skimage.morphology import skeletonize

SIDE = 28
INK = 0.5  # a pixel at half strength or more is ink

Segment = tuple[tuple[float, float], tuple[float, float]]  # ((row, col), (row, col))


def pen_lines(centre_line: np.ndarray, width: float) -> np.ndarray:
    """A round pen of ``width`` pixels run along ``centre_line`` (bool): float32 ink in [0, 1], edges soft."""
    distance = ndimage.distance_transform_edt(~centre_line)
    return np.clip(width / 2.0 + 0.5 - distance, 0.0, 1.0).astype(np.float32)


def pen_segments(segments: list[Segment], width: float, shape: tuple[int, int] = (SIDE, SIDE)) -> np.ndarray:
    """Straight strokes with a round pen of ``width`` pixels: float32 ink in [0, 1], edges soft."""
    centre_line = np.zeros(shape, dtype=bool)
    for (r0, c0), (r1, c1) in segments:
        start = np.clip(np.round([r0, c0]), 0, np.array(shape) - 1).astype(int)
        end = np.clip(np.round([r1, c1]), 0, np.array(shape) - 1).astype(int)
        rows, cols = line(start[0], start[1], end[0], end[1])
        centre_line[rows, cols] = True
    if not centre_line.any():
        return np.zeros(shape, dtype=np.float32)
    return pen_lines(centre_line, width)


def pen_width(digit: np.ndarray) -> float:
    """The digit's pen width in pixels: ink area over skeleton length (MNIST: about 2-3)."""
    ink = digit >= INK
    length = max(int(skeletonize(ink).sum()), 1)
    return float(np.clip(ink.sum() / length, 1.5, 4.0))


def ink_box(digit: np.ndarray) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) rows/columns of the ink, inclusive."""
    rows = np.flatnonzero((digit >= INK).any(axis=1))
    cols = np.flatnonzero((digit >= INK).any(axis=0))
    if len(rows) == 0:
        return 0, SIDE - 1, 0, SIDE - 1
    return int(rows[0]), int(rows[-1]), int(cols[0]), int(cols[-1])


def row_centre(digit: np.ndarray, row: int) -> float:
    """Mean column of the ink on ``row`` (the stem's column there)."""
    cols = np.flatnonzero(digit[int(np.clip(row, 0, SIDE - 1))] >= INK)
    return float(cols.mean()) if len(cols) else SIDE / 2.0


def with_strokes(digit: np.ndarray, segments: list[Segment], width: float) -> np.ndarray:
    """``digit`` with straight ``segments`` added in a pen of ``width`` pixels."""
    return np.maximum(digit, pen_segments(segments, width))
