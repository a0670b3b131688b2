"""Cut paths through a blob of ink (cut_paths): upright least-ink paths, ordered and never crossing."""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from skimage.draw import ellipse_perimeter, line

from mnist_app import cut_paths, oversegment

PEN = 2  # dilation steps: strokes about 5 pixels wide on a 48-pixel line


def stroke(shape: tuple[int, int], start: tuple[int, int], end: tuple[int, int]) -> np.ndarray:
    ink = np.zeros(shape, bool)
    ink[line(*start, *end)] = True
    return ndimage.binary_dilation(ink, iterations=PEN)


def ring(shape: tuple[int, int], centre: tuple[int, int], radii: tuple[int, int]) -> np.ndarray:
    ink = np.zeros(shape, bool)
    ink[ellipse_perimeter(*centre, *radii, shape=shape)] = True
    return ndimage.binary_dilation(ink, iterations=PEN)


def one_beside_zero() -> tuple[np.ndarray, np.ndarray]:
    """An upright 1 touching the 0 on its right: one blob."""
    shape = (60, 90)
    return stroke(shape, (54, 16), (6, 16)), ring(shape, (30, 36), (24, 15))


def best_share(parts: oversegment.Atoms, digit: np.ndarray, other: np.ndarray) -> tuple[float, float]:
    """Of the runs of atoms, the most of ``digit``'s ink one holds with at most 5% of ``other``'s."""
    best = (0.0, 1.0)
    for first in range(1, parts.count + 1):
        for last in range(first, parts.count + 1):
            run = (parts.labels >= first) & (parts.labels <= last)
            mine, theirs = (digit & run).sum() / digit.sum(), (other & ~digit & run).sum() / other.sum()
            if theirs <= 0.05 and mine > best[0]:
                best = (float(mine), float(theirs))
    return best


def test_an_upright_cut_parts_a_one_touching_its_neighbour() -> None:
    one, zero = one_beside_zero()
    ink = (one | zero).astype(np.float32)
    assert ndimage.label(ink > 0)[1] == 1  # they touch
    assert len(cut_paths.least_ink_paths(ink, 48.0)) >= 1
    # Some run of the atoms holds the 1 without the 0, and some run the 0 without the 1.
    parts = oversegment.atoms(ink)
    assert best_share(parts, one, zero)[0] >= 0.9
    assert best_share(parts, zero, one)[0] >= 0.9


def test_ordered_paths_never_cross() -> None:
    rows = np.arange(40)
    upright = np.full(40, 20)
    slanted = 30 - (rows * 0.5).astype(np.int64)  # crosses the upright one at row 20
    paths = cut_paths.ordered([slanted, upright], 48.0)
    assert all(np.all(right >= left) for left, right in zip(paths[:-1], paths[1:], strict=False))
    region = cut_paths.regions((40, 50), paths)
    assert region.min() == 1 and region.max() == len(paths) + 1
