"""Cut hypotheses beside a thin upright stroke at the edge of a wide blob: a 1 written against its neighbour.

A 1 touching the next digit ("18", "14", "81") is one stroke wide; the least-ink cut paths of
:mod:`mnist_app.oversegment` start a margin inside the blob's sides and often miss it, so the
pair is read as one digit. Here, when the leftmost (or rightmost) ink of most rows is one
narrow run lined up along an upright line that spans most of the blob's height, a cut is
proposed just beside that stroke; the reader's scores still decide whether the cut is taken.
"""

from __future__ import annotations

import numpy as np

#: Only blobs at least this wide (times the line's height) are looked at, with pens at most this wide.
MIN_WIDTH, MAX_STROKE = 0.6, 0.2
#: The stroke's run in a row is at most this many stroke widths (plus a pixel) ...
NARROW_RUN = 1.8
#: ... in at least this share of the rows it spans, which are at least this share of the blob's height.
NARROW_ROWS = 0.65
STROKE_HEIGHT = 0.7
#: The stroke leans at most this many columns per row (a slanted 1), and its middle strays from a
#: straight line by at most this many widths in 90% of its rows (a 0's or 8's side is an arc).
MAX_LEAN = 0.6
MAX_WANDER = 0.5


def edge_cuts(own: np.ndarray, height: float) -> list[np.ndarray]:
    """Cut paths (one column per row: pixels at or right of it are the right side) beside a
    thin upright stroke at the left and at the right edge of the blob ``own`` (bool (H, W)),
    when it is wider than ``MIN_WIDTH`` line ``height``s (room for a 1 and a digit)."""
    width = own.shape[1]
    stroke = stroke_width(own)
    if width < MIN_WIDTH * height or stroke > MAX_STROKE * height:
        return []
    cuts = []
    left = _beside_first_stroke(own, stroke)
    if left is not None:
        cuts.append(left)
    right = _beside_first_stroke(own[:, ::-1], stroke)
    if right is not None:
        cuts.append(width - right)
    return [np.clip(cut, 1, width - 1) for cut in cuts]


def with_edge_cuts(paths: list[np.ndarray], edges: list[np.ndarray], near: float) -> list[np.ndarray]:
    """Cut ``paths`` with those ``edges`` added that no path runs near (within ``near`` columns on
    average: a least-ink path there parts the stroke already), left to right, none crossing."""
    new = [edge for edge in edges if all(abs(path.mean() - edge.mean()) > near for path in paths)]
    ordered = sorted(paths + new, key=lambda path: float(path.mean()))
    for index in range(1, len(ordered)):
        ordered[index] = np.maximum(ordered[index], ordered[index - 1])
    return ordered


def stroke_width(own: np.ndarray) -> float:
    """The pen's width in pixels: the median length of the blob's horizontal runs of ink."""
    padded = np.pad(own, ((0, 0), (1, 1))).astype(np.int8)
    steps = np.diff(padded, axis=1)
    starts, ends = np.nonzero(steps == 1), np.nonzero(steps == -1)
    lengths = ends[1] - starts[1]  # row-major order: the n-th start and end are one run
    return float(np.median(lengths)) if len(lengths) else 1.0


def _beside_first_stroke(own: np.ndarray, stroke: float) -> np.ndarray | None:
    """The cut just right of a thin upright stroke made of each row's first run of ink, if any."""
    height, width = own.shape
    rows = np.flatnonzero(own.any(axis=1))
    if len(rows) < 3:
        return None
    first = own[rows].argmax(axis=1)
    ends = np.array([start + _run_length(own[row, start:]) for row, start in zip(rows, first, strict=True)])
    narrow = ends - first <= NARROW_RUN * stroke + 1
    if narrow.sum() < 3:
        return None
    lean, offset = np.polyfit(rows[narrow], (first[narrow] + ends[narrow]) / 2, 1)
    span = rows[narrow][-1] - rows[narrow][0] + 1
    line = lean * rows[narrow] + offset
    wander = np.percentile(np.abs((first[narrow] + ends[narrow]) / 2 - line), 90)  # an arc wanders
    inside = (rows >= rows[narrow][0]) & (rows <= rows[narrow][-1])
    if (span < STROKE_HEIGHT * (rows[-1] - rows[0] + 1) or narrow[inside].mean() < NARROW_ROWS
            or abs(lean) > MAX_LEAN or wander > MAX_WANDER * stroke):
        return None
    # Along the stroke, just clear of its ink in most rows; never inside its run where it is narrow.
    clear = float(np.percentile(ends[narrow] - line, 75))
    cut = np.ceil(lean * np.arange(height) + offset + clear).astype(np.int64)
    cut[rows[narrow]] = np.maximum(cut[rows[narrow]], ends[narrow])
    if np.median(cut) >= width - 2 * stroke:  # the stroke is the whole blob: nothing beside it
        return None
    return cut


def _run_length(row: np.ndarray) -> int:
    """How many pixels of ink ``row`` starts with."""
    gaps = np.flatnonzero(~row)
    return int(gaps[0]) if len(gaps) else len(row)
