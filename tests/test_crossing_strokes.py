"""A thin straight stroke (a 1) crossing its neighbour, taken out whole (crossing_strokes)."""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from skimage.draw import ellipse_perimeter, line

from mnist_app import crossing_strokes, oversegment

PEN = 2  # dilation steps: strokes about 5 pixels wide on a 48-pixel line
SHAPE = (60, 90)


def stroke(start: tuple[int, int], end: tuple[int, int]) -> np.ndarray:
    ink = np.zeros(SHAPE, bool)
    ink[line(*start, *end)] = True
    return ndimage.binary_dilation(ink, iterations=PEN)


def ring(centre: tuple[int, int], radii: tuple[int, int]) -> np.ndarray:
    ink = np.zeros(SHAPE, bool)
    ink[ellipse_perimeter(*centre, *radii, shape=SHAPE)] = True
    return ndimage.binary_dilation(ink, iterations=PEN)


def mask(piece, shape: tuple[int, int] = SHAPE) -> np.ndarray:
    """A piece's ink as a mask of the whole line."""
    x0, y0, x1, y1 = piece.box
    out = np.zeros(shape, bool)
    out[y0:y1, x0:x1] = piece.ink > 0
    return out


def one_across_zero() -> tuple[np.ndarray, np.ndarray]:
    """A 1 leaning 14 degrees, written through the left of a 0 (across its top and its bottom):
    one blob, strokes crossing twice."""
    return stroke((58, 29), (2, 43)), ring((30, 45), (24, 18))


def share(part: np.ndarray, whole: np.ndarray) -> float:
    return float((part & whole).sum() / whole.sum())


def test_a_one_crossing_a_zero_is_taken_out_whole_and_the_zero_stays_whole() -> None:
    one, zero = one_across_zero()
    ink = (one | zero).astype(np.float32)
    assert ndimage.label(ink > 0)[1] == 1
    parts = oversegment.atoms(ink)
    # No run of atoms holds the 1 without a good part of the 0: cut paths cannot part them.
    best = 0.0
    for first in range(1, parts.count + 1):
        for last in range(first, parts.count + 1):
            run = (parts.labels >= first) & (parts.labels <= last)
            if share(run, zero & ~one) <= 0.05:
                best = max(best, share(run, one))
    assert best < 0.8
    pairs = crossing_strokes.pairs(parts)
    assert pairs
    good = [(rest, stroke_) for (_, rest), (_, stroke_) in pairs
            if share(mask(stroke_), one) >= 0.9
            and share(mask(stroke_), zero & ~one) <= 0.15
            and share(mask(rest), zero) >= 0.85 and share(mask(rest), one & ~zero) <= 0.15]
    assert good, [(share(mask(s), one), share(mask(s), zero & ~one), share(mask(r), zero))
                  for (_, r), (_, s) in pairs]


def test_a_lone_one_or_zero_gives_no_pair() -> None:
    one, zero = one_across_zero()
    for ink in (one, zero):
        assert crossing_strokes.pairs(oversegment.atoms(ink.astype(np.float32))) == []


def test_the_rest_is_chosen_with_its_stroke_and_read_left_to_right() -> None:
    from mnist_app.segment import DigitPiece

    def piece(x0: int, x1: int) -> DigitPiece:
        return DigitPiece((x0, 0, x1, 10), np.ones((10, x1 - x0), np.float32))

    runs = [((1, 1), piece(0, 10)), ((1, 1), piece(5, 20)), ((1, 1), piece(0, 4))]
    partner = np.array([-1, 2, -2])  # row 1 is a rest whose stroke is row 2
    scores = np.array([1.0, 0.5, 0.25])
    joined = crossing_strokes.joined(partner, scores)
    assert joined.tolist() == [1.0, 0.75, -np.inf]
    assert crossing_strokes.with_partners(partner, runs, [1]) == [2, 1]  # the stroke is left of its rest
    assert crossing_strokes.with_partners(partner, runs, [0]) == [0]
    assert crossing_strokes.joined(None, scores) is scores
