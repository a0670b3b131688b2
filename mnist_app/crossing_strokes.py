"""A thin straight stroke (a 1) crossing or touching its neighbour, taken out whole as its own digit.

Cut paths part touching digits where a path enters one stroke (:mod:`mnist_app.cut_paths`); a 1
leaning across its neighbour's stroke ("81" with the 1 through the 8's side) cannot be parted
that way. Here such a stroke is found as a long straight line on the blob's skeleton (a
probabilistic Hough transform, scikit-image), its ink (the pixels within a pen width of the
line) becomes one digit and the rest of the run of atoms the other; where the neighbour's stroke
crossed the line, the crossing's ink goes to *both* (the rest is closed over the line).

``pairs(parts)`` gives, for each such stroke and each run of atoms holding it, the two pieces:
:mod:`mnist_app.numbers` reads them as an alternative reading of that run (two digits instead of one).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from skimage.morphology import disk, skeletonize
from skimage.transform import hough_line, hough_line_peaks

from mnist_app import oversegment
from mnist_app.photos import pieces_to_mnist
from mnist_app.segment import DigitPiece

Run = tuple[tuple[int, int], DigitPiece]

#: A blob narrower than this times the line's height cannot hold a 1 and a neighbour.
BLOB_ASPECT = 0.55
#: A line with this share of the line's height of skeleton pixels on it is a 1's line if it runs
#: on the ink over at least ``ONE_HEIGHT`` of the line's height ...
LINE_LENGTH = 0.4
ONE_HEIGHT = 0.6
#: ... and leans at most this many radians from upright (about 50 degrees).
MAX_LEAN = 0.85
#: The 1's ink: the pixels within this many pen widths of its line (and one pixel).
REACH = 0.75
#: A stroke whose neighbour meets it only within this share of its length from an end is not
#: a 1 crossing or touching it, but a corner of one digit (a 7, a 9's stem).
CORNER = 0.25
#: The rest must keep this share of the run's ink, and be at least a digit's height.
REST_SHARE = 0.3
#: A rest wider than this times the line's height is not one digit.
MAX_WIDTH = oversegment.MAX_DIGIT_ASPECT
#: The runs tried: the least holding the stroke, widened by up to this many atoms on either side.
WIDEN = 1
#: At most this many lines per blob are tried (the longest).
MAX_LINES = 3


def pairs(parts: oversegment.Atoms) -> list[tuple[Run, Run]]:
    """(rest, one) for each straight stroke crossing or touching other ink and each run of atoms
    (the least holding it, widened by up to ``WIDEN`` atoms either side) it can be taken out of; both runs
    carry the same span ``(first, last)``."""
    found: list[tuple[Run, Run]] = []
    blobs, count = ndimage.label(parts.labels > 0, structure=np.ones((3, 3), bool))
    for index, (rows, cols) in enumerate(ndimage.find_objects(blobs), start=1):
        if cols.stop - cols.start < BLOB_ASPECT * parts.height:
            continue
        blob = blobs[rows, cols] == index
        lines, pen = stroke_masks(blob, parts.height)
        for band, middle in lines:
            one, rest = np.zeros(parts.labels.shape, bool), np.zeros(parts.labels.shape, bool)
            one[rows, cols], rest[rows, cols] = band, _rest(blob, band, middle, int(np.ceil(pen + 1.0)))
            found.extend(_split_runs(parts, one, rest))
    return found


def stroke_masks(blob: np.ndarray, height: float) -> tuple[list[tuple[np.ndarray, np.ndarray]], float]:
    """The ink (bool masks like ``blob``) of up to ``MAX_LINES`` long, near-upright straight
    strokes of ``blob`` that are not the whole blob, each with its middle (within half a pen width
    of the line); and the pen's width in pixels."""
    skeleton = skeletonize(blob)
    depth = ndimage.distance_transform_edt(blob)
    pen = 2.0 * float(np.median(depth[skeleton])) if skeleton.any() else 1.0
    votes, angles, distances = hough_line(skeleton, theta=np.linspace(-MAX_LEAN, MAX_LEAN, 35))
    peaks = hough_line_peaks(votes, angles, distances, num_peaks=2 * MAX_LINES,
                             threshold=LINE_LENGTH * height, min_distance=max(2, int(pen)))
    lines = [_on_ink(blob, angle, distance) for _, angle, distance in zip(*peaks, strict=True)]
    lines = [(start, end) for start, end in lines if abs(end[1] - start[1]) >= ONE_HEIGHT * height]
    lines.sort(key=lambda line: -np.hypot(line[1][0] - line[0][0], line[1][1] - line[0][1]))
    masks: list[tuple[np.ndarray, np.ndarray]] = []
    ys, xs = np.mgrid[0 : blob.shape[0], 0 : blob.shape[1]]
    for start, end in lines:
        distance = _distance_to_segment(xs, ys, start, end)
        near = blob & (distance <= REACH * pen + 1.0)
        if any(np.count_nonzero(near & mask) > 0.5 * np.count_nonzero(near) for mask, _ in masks):
            continue  # the same stroke again
        if np.count_nonzero(near) > (1 - REST_SHARE) * np.count_nonzero(blob):
            continue  # the whole blob: nothing crosses it
        if _meets_at_its_ends(blob, near, start, end):
            continue  # a corner (a 7's stem under its bar), not a stroke crossing or touching another
        masks.append((near, blob & (distance <= 0.5 * pen + 1.0)))
        if len(masks) == MAX_LINES:
            break
    return masks, pen


def _meets_at_its_ends(blob: np.ndarray, near: np.ndarray, start: tuple[int, int],
                       end: tuple[int, int]) -> bool:
    """Does the rest of the blob meet the stroke only near its ends (``CORNER`` of its length)?"""
    rows, cols = np.nonzero(blob & ~near & ndimage.binary_dilation(near, iterations=2))
    dx, dy = end[0] - start[0], end[1] - start[1]
    along = ((cols - start[0]) * dx + (rows - start[1]) * dy) / max(dx * dx + dy * dy, 1)
    return bool(np.all((along < CORNER) | (along > 1 - CORNER)))


def _on_ink(blob: np.ndarray, angle: float, distance: float) -> tuple[tuple[int, int], tuple[int, int]]:
    """The longest stretch of the line ``x cos(angle) + y sin(angle) = distance`` on the ink (a gap
    of a pixel allowed), as its ends (x, y): a 1's line runs on ink across the strokes it crosses."""
    rows = np.arange(blob.shape[0])
    cols = np.round((distance - rows * np.sin(angle)) / np.cos(angle)).astype(int)
    inside = (cols >= 0) & (cols < blob.shape[1])
    on = np.zeros(len(rows), bool)
    on[inside] = blob[rows[inside], cols[inside]]
    on = ndimage.binary_closing(on, np.ones(3, bool)) | on
    runs, count = ndimage.label(on)
    if count == 0:
        return (0, 0), (0, 0)
    longest = 1 + int(np.argmax(np.bincount(runs)[1:]))
    top, bottom = np.flatnonzero(runs == longest)[[0, -1]]
    return (int(cols[top]), int(top)), (int(cols[bottom]), int(bottom))


def _distance_to_segment(xs: np.ndarray, ys: np.ndarray, start: tuple[int, int], end: tuple[int, int]
                         ) -> np.ndarray:
    """Each pixel's distance to the segment ``start``-``end`` (x, y)."""
    dx, dy = end[0] - start[0], end[1] - start[1]
    along = np.clip(((xs - start[0]) * dx + (ys - start[1]) * dy) / max(dx * dx + dy * dy, 1), 0.0, 1.0)
    return np.hypot(xs - start[0] - along * dx, ys - start[1] - along * dy)


def _rest(blob: np.ndarray, band: np.ndarray, middle: np.ndarray, bridge: int) -> np.ndarray:
    """The blob without its stroke: what is not the stroke's ``middle`` but slivers along it, with
    the gaps the middle leaves in it up to ``2 * bridge`` pixels closed."""
    rest = blob & ~middle
    rest &= ~(band & ~ndimage.binary_opening(rest))  # the stroke's edges: slivers
    # Where the rest's strokes ran across the line, close them over it: that ink is both digits'
    # (padded: the closing's erosion would eat the ink at the line's top and bottom).
    closed = ndimage.binary_closing(np.pad(rest, bridge), disk(bridge))[bridge:-bridge, bridge:-bridge]
    return rest | (closed & middle)


def _split_runs(parts: oversegment.Atoms, one: np.ndarray, rest: np.ndarray) -> list[tuple[Run, Run]]:
    """The stroke ``one`` (and the ``rest`` of its blob) in the least run of atoms holding it, and in
    that run widened by up to ``WIDEN`` atoms either side: (rest, one) pieces for each run where
    the rest is a digit."""
    holders = np.unique(parts.labels[one])
    holders = holders[holders > 0]
    if len(holders) == 0:
        return []
    core = (int(holders.min()), int(holders.max()))
    spans = {(first, last) for first in range(max(1, core[0] - WIDEN), core[0] + 1)
             for last in range(core[1], min(parts.count, core[1] + WIDEN) + 1)}
    found = []
    for first, last in sorted(spans):
        mine = (parts.labels >= first) & (parts.labels <= last)
        stroke, kept = one & mine, mine & (rest | ~one)  # atoms of other blobs stay whole
        if np.count_nonzero(mine & ~stroke) < REST_SHARE * np.count_nonzero(mine):
            continue
        rest_piece, one_piece = _piece(parts.ink, kept), _piece(parts.ink, stroke)
        x0, y0, x1, y1 = rest_piece.box
        if y1 - y0 < oversegment.DIGIT_HEIGHT * parts.height or x1 - x0 > MAX_WIDTH * parts.height:
            continue
        found.append((((first, last), rest_piece), ((first, last), one_piece)))
    return found


def _piece(ink: np.ndarray, mask: np.ndarray) -> DigitPiece:
    """The ink under ``mask``, cropped to its box."""
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    x0, y0, x1, y1 = int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1
    return DigitPiece((x0, y0, x1, y1), np.where(mask, ink, 0.0)[y0:y1, x0:x1].astype(np.float32))


def with_pairs(parts: oversegment.Atoms, runs: list[Run], images: np.ndarray
               ) -> tuple[list[Run], np.ndarray, np.ndarray]:
    """``runs`` and their 28x28 ``images`` with each pair's rest and stroke after them (both kept
    by ``pieces_to_mnist``), and the partners: for a rest, its stroke's row; -2 for a stroke; -1."""
    found = pairs(parts)
    extra, kept = pieces_to_mnist([piece.ink for pair in found for _, piece in pair])
    rows = {index: row for row, index in enumerate(kept)}
    whole = [pair for pair in range(len(found)) if 2 * pair in rows and 2 * pair + 1 in rows]
    partner = np.full(len(runs) + 2 * len(whole), -1)
    partner[len(runs) + 1 :: 2] = -2
    partner[len(runs) :: 2] = np.arange(len(runs) + 1, len(partner), 2)
    picked = [rows[2 * pair + side] for pair in whole for side in (0, 1)]
    return (runs + [found[pair][side] for pair in whole for side in (0, 1)],
            np.concatenate([images, extra[picked]]) if picked else images, partner)


def joined(partner: np.ndarray | None, scores: np.ndarray) -> np.ndarray:
    """Scores to choose runs by: a pair's rest carries its stroke's score too; a stroke alone
    is never chosen."""
    if partner is None or not (partner >= 0).any():
        return scores
    rests = np.flatnonzero(partner >= 0)
    scores = scores.copy()
    scores[rests] += scores[partner[rests]]
    scores[partner == -2] = -np.inf
    return scores


def with_partners(partner: np.ndarray | None, runs: list[Run], chosen: list[int]) -> list[int]:
    """The chosen rows with each pair's stroke beside its rest, left to right by their centres."""
    if partner is None:
        return chosen
    ordered = []
    for index in chosen:
        pair = [index] + ([int(partner[index])] if partner[index] >= 0 else [])
        ordered += sorted(pair, key=lambda row: sum(runs[row][1].box[0::2]))
    return ordered
