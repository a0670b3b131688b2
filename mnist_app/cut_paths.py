"""Top-to-bottom cut paths through a blob of ink: where touching or crossing digits may part.

A path gives one column per row (pixels at or right of it are on its right side). Paths are
shortest paths through the ink, as in seam carving (``least_ink_paths``): each is searched in a
band around a column, so it may wind between strokes but not go round a whole digit.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

#: Cuts start and end at least this share of the height inside the component's sides ...
CUT_MARGIN = 0.12
#: ... are searched around columns this far apart, each within this reach of its column ...
CUT_STEP = 0.05
CUT_REACH = 0.2
#: ... and the kept ones are the least inked among neighbours this far apart (share of the height).
CUT_SPACING = 0.1
#: A path's cost per stroke entered, per pixel of ink along it, per step sideways (keeps it straight).
INK_COST = 10.0
INK_PIXEL_COST = 0.3
SIDE_STEP_COST = 0.15


def least_ink_paths(own_ink: np.ndarray, height: float) -> list[np.ndarray]:
    """Top-to-bottom cut paths (one column per row) crossing little ink, left to right, not crossing.

    A path is searched in a band around each of many columns (it may slant and wind between
    strokes, but not go round a whole digit); the paths whose ink is least among their
    neighbours' are kept.
    """
    return ordered(_searched(own_ink, height), height)


def ordered(paths: list[np.ndarray], height: float) -> list[np.ndarray]:
    """``paths`` left to right by their mean column, none crossing the one before (each at or
    right of it), and none running within ``CUT_SPACING / 2`` heights of the one before."""
    paths = sorted(paths, key=lambda path: float(path.mean()))
    for index in range(1, len(paths)):
        paths[index] = np.maximum(paths[index], paths[index - 1])
    return [path for index, path in enumerate(paths)
            if index == 0 or np.abs(path - paths[index - 1]).mean() > CUT_SPACING * height / 2]


def regions(shape: tuple[int, int], paths: list[np.ndarray]) -> np.ndarray:
    """Each pixel of a component -> 1 + the number of cut paths left of (or on) it."""
    columns = np.arange(shape[1])[None, :]
    region = np.ones(shape, np.int32)
    for path in paths:
        region += columns >= path[:, None]
    return region


def strokes_crossed(own: np.ndarray, path: np.ndarray) -> int:
    """How many strokes a cut path crosses: runs of ink along it, top to bottom."""
    on_ink = own[np.arange(len(path)), np.minimum(path, own.shape[1] - 1)]
    return int(np.count_nonzero(on_ink[1:] & ~on_ink[:-1]) + on_ink[0])


def _searched(own_ink: np.ndarray, height: float) -> list[np.ndarray]:
    """The least-ink path in the band round each column of a grid, those least among their
    neighbours' (seam carving's dynamic programming)."""
    rows, width = own_ink.shape
    margin, reach = max(1, int(CUT_MARGIN * height)), max(2, int(CUT_REACH * height))
    centres = np.arange(margin, width - margin, max(1, int(CUT_STEP * height)))
    if len(centres) == 0:
        return []
    columns = np.arange(width)
    outside = (np.abs(columns[None, :] - centres[:, None]) > reach) | (
        (columns < margin) | (columns >= width - margin))[None, :]  # (centres, width)
    inked = own_ink > 0
    # Entering a stroke costs INK_COST, each pixel along it INK_PIXEL_COST: a cut along a long
    # contact between touching digits (one stroke) is cheaper than one across a digit (two).
    cost = np.where(outside[:, None, :], np.inf, INK_PIXEL_COST * own_ink[None, :, :])
    total = cost[:, 0] + INK_COST * inked[0]
    moves = np.zeros((len(centres), rows, width), np.int8)
    padding = np.full((len(centres), 1), np.inf)
    for row in range(1, rows):
        entering = inked[row][None, :] & ~inked[row - 1]  # from the same column ...
        from_left = inked[row][1:] & ~inked[row - 1][:-1]  # ... from the column to the left ...
        from_right = inked[row][:-1] & ~inked[row - 1][1:]  # ... and from the one to the right
        left = np.concatenate([padding, total[:, :-1] + INK_COST * from_left], axis=1) + SIDE_STEP_COST
        right = np.concatenate([total[:, 1:] + INK_COST * from_right, padding], axis=1) + SIDE_STEP_COST
        choices = np.stack([left, total + INK_COST * entering, right])
        best = np.argmin(choices, axis=0)
        moves[:, row] = best - 1
        total = np.take_along_axis(choices, best[None], axis=0)[0] + cost[:, row]
    ends = np.argmin(total, axis=1)
    costs = total[np.arange(len(centres)), ends]
    spacing = max(1, round(CUT_SPACING / CUT_STEP))
    keep = costs <= ndimage.minimum_filter1d(costs, 2 * spacing + 1, mode="nearest")
    found = []
    for index in np.flatnonzero(keep):
        path = np.empty(rows, np.int64)
        path[-1] = ends[index]
        for row in range(rows - 1, 0, -1):
            path[row - 1] = path[row] + moves[index, row, path[row]]
        found.append(path)
    return found
