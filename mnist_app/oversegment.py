"""A written number cut into small pieces ("atoms"), so a recogniser can choose how to join them.

The standard remedy for touching, crossing and broken digits (recognition-driven
segmentation): cut too much, then let the model's confidence decide which neighbouring
pieces make one digit (:func:`mnist_app.numbers.read_number` does the choosing).

``atoms(ink)`` takes an ink map (float (H, W) in [0, 1], 0 = background):

1. connected components of the ink (8-connected); specks far smaller than the biggest
   stroke are dropped;
2. a component wide enough to hold two digits is cut along paths of least ink from its
   top to its bottom (:mod:`mnist_app.cut_paths`: shortest paths through the ink, as in seam
   carving), not along columns: such a path slips between strokes that cross or touch;
3. the pieces are numbered left to right by their centre of ink.

``candidates(parts)`` lists the runs of neighbouring atoms that could be one digit (no
wider than a wide digit), each as a ``DigitPiece``; ``prior(parts, piece, label)`` is the log
prior of a piece being a whole digit ``label``, from its shape and its size against the line's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from skimage.transform import resize

from mnist_app import cut_paths
from mnist_app.preprocess.ink import INK_FLOOR, EmptyDrawingError
from mnist_app.segment import MAX_DIGITS, SPECK_AREA, Box, DigitPiece, too_many

#: Lines of digits taller than this many pixels are shrunk to it first (``at_line_height``).
LINE_HEIGHT = 48
#: A component wider than this times the line's height may hold touching digits: it is cut.
CUT_ASPECT = 0.45
#: The log cost of cutting through one stroke (a digit is rarely cut where touching ones part).
STROKE_CUT = 1.0
#: Separate pieces closer than this share of the height are parted at the cost of a cut
#: through the strokes that come that close (a pen lifted mid-digit leaves such a gap).
NEAR_GAP = 0.05
#: A run of atoms wider than this times the line's height is not one digit.
MAX_DIGIT_ASPECT = 1.35
#: ... unless the run is one whole stroke cut apart (a 0 written flat and wide), up to this.
WHOLE_BLOB_ASPECT = 2.5
#: At most this many atoms make one digit.
MAX_RUN = 6
#: A piece wider than this times the line's height is less likely one digit the wider it is.
WIDE_DIGIT = 1.1
#: log(width / height) of each digit's ink in MNIST's 60,000 training digits: mean, spread.
LOG_ASPECT = ((-0.108, 0.200), (-0.943, 0.462), (-0.074, 0.222), (-0.240, 0.214), (-0.247, 0.216),
              (-0.077, 0.263), (-0.333, 0.219), (-0.270, 0.218), (-0.288, 0.224), (-0.403, 0.207))
#: The prior's weights (chosen on 100 synthetic 4-digit photos of another seed than the
#: benchmark's, see docs/benchmarks.md): too short, too wide for the line, too wide for the
#: digit read, and a bonus per digit (products of probabilities favour fewer, wider pieces).
SHORT_WEIGHT, WIDE_WEIGHT, SHAPE_WEIGHT, DIGIT_BONUS = 8.0, 2.0, 0.25, 0.5
#: A piece shorter than this share of the line's height is a mark, not a whole digit.
DIGIT_HEIGHT = 0.55
#: An atom shorter than this share of the line's height may be left out (a dot, a dash).
MARK_HEIGHT = 0.3


@dataclass(frozen=True)
class Atoms:
    """The pieces of ink of a line, numbered 1..count left to right (0 = background)."""

    ink: np.ndarray  # float32 (H, W)
    labels: np.ndarray  # int32 (H, W)
    boxes: list[Box]  # atom i's box is boxes[i - 1]
    height: float  # the line's digit height in pixels
    cuts: dict[tuple[int, int], int]  # (atom, atom) parted by a cut through ink: strokes it crosses

    @property
    def count(self) -> int:
        return len(self.boxes)


def atoms(ink: np.ndarray) -> Atoms:
    """The ink's atoms (see the module docstring).

    Raises ``EmptyDrawingError`` when there is no ink and ``ValueError`` when there are far
    more marks than a number has digits.
    """
    components, kept, height = _components(ink)
    slices = ndimage.find_objects(components)
    pieces = np.zeros(ink.shape, np.int32)
    joins: dict[tuple[int, int], int] = {}
    next_label = 1
    for label in kept:
        rows, cols = slices[label - 1]
        own = components[rows, cols] == label
        own_ink = np.where(own, ink[rows, cols], 0.0)
        wide = cols.stop - cols.start > CUT_ASPECT * height
        paths = cut_paths.least_ink_paths(own_ink, height) if wide else []
        region = cut_paths.regions(own.shape, paths)
        used = np.unique(region[own])
        renumbered = np.zeros(len(paths) + 2, np.int32)
        renumbered[used] = np.arange(next_label, next_label + len(used))
        pieces[rows, cols] = np.where(own, renumbered[region], pieces[rows, cols])
        crossed = [cut_paths.strokes_crossed(own, path) for path in paths]
        for left, right in zip(used[:-1], used[1:], strict=True):  # paths left..right-1 part them
            joins[(int(renumbered[left]), int(renumbered[right]))] = max(crossed[left - 1 : right - 1])
        next_label += len(used)
    joins.update(_near_pieces(pieces, next_label - 1, height, joins))
    return _left_to_right(ink.astype(np.float32), pieces, next_label - 1, height, joins)


def _near_pieces(pieces: np.ndarray, count: int, height: float,
                 joins: dict[tuple[int, int], int]) -> dict[tuple[int, int], int]:
    """Pieces of ink nearly touching (a pen lifted mid-digit): parting them costs as a cut."""
    reach = max(1, int(np.ceil(NEAR_GAP * height)))
    slices = ndimage.find_objects(pieces)
    near: dict[tuple[int, int], int] = {}
    for first in range(1, count + 1):
        rows, cols = slices[first - 1]
        window = (slice(max(0, rows.start - reach), rows.stop + reach),
                  slice(max(0, cols.start - reach), cols.stop + reach))
        local = pieces[window]
        others = np.unique(local[(local > first)])
        others = [int(other) for other in others if (first, int(other)) not in joins]
        if not others:
            continue
        close = ndimage.distance_transform_edt(local != first) <= NEAR_GAP * height
        for other in others:
            # Each place where the other piece comes close is one stroke the gap parts.
            strokes = ndimage.label(close & (local == other), structure=np.ones((3, 3), bool))[1]
            if strokes:
                near[(first, other)] = strokes
    return near


def at_line_height(ink: np.ndarray, line_height: int = LINE_HEIGHT) -> tuple[np.ndarray, float]:
    """The ink shrunk so its digits are at most ``line_height`` pixels high, and the factor (<= 1).

    Digits are read at 20 pixels: a bigger line only costs time (cut paths, ``to_mnist``).
    Raises like ``atoms``.
    """
    _, _, height = _components(ink)
    if height <= line_height:
        return ink, 1.0
    factor = line_height / height
    shape = (max(1, round(ink.shape[0] * factor)), max(1, round(ink.shape[1] * factor)))
    small = resize(ink, shape, order=1, anti_aliasing=True, preserve_range=True).astype(np.float32)
    small[small < INK_FLOOR] = 0.0
    return small, factor


def _components(ink: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Connected components of the ink, the labels of those that are not specks, the line's height."""
    components, count = ndimage.label(ink > 0, structure=np.ones((3, 3), bool))
    if count == 0:
        raise EmptyDrawingError("No digit found: write or draw a number first.")
    areas = np.bincount(components.ravel(), minlength=count + 1)[1:]
    kept = np.flatnonzero(areas >= max(2, SPECK_AREA * areas.max())) + 1
    if len(kept) > 3 * MAX_DIGITS:
        raise too_many(len(kept))
    # The line's height: the tallest extent of the ink above and below any component, so a
    # digit broken across its middle still counts whole.
    inked = np.isin(components, kept)
    rows = np.arange(ink.shape[0])[:, None]
    top = np.where(inked, rows, ink.shape[0]).min(axis=0)
    bottom = np.where(inked, rows, -1).max(axis=0)
    height, slices = 1, ndimage.find_objects(components)
    for label in kept:
        cols = slices[label - 1][1]
        height = max(height, int(bottom[cols].max() - top[cols].min() + 1))
    return components, kept, float(height)


def _left_to_right(ink: np.ndarray, pieces: np.ndarray, count: int, height: float,
                   joins: dict[tuple[int, int], int]) -> Atoms:
    """Renumber the atoms by their centre of ink, left to right."""
    rows, cols = np.nonzero(pieces)
    owners, weights = pieces[rows, cols], ink[rows, cols]
    mass = np.bincount(owners, weights, minlength=count + 1)[1:]
    centres = np.bincount(owners, weights * cols, minlength=count + 1)[1:] / np.maximum(mass, 1e-9)
    order = np.argsort(centres, kind="stable")
    renumbered = np.zeros(count + 1, np.int32)
    renumbered[order + 1] = np.arange(1, count + 1)
    labels = renumbered[pieces]
    boxes = [(s[1].start, s[0].start, s[1].stop, s[0].stop) for s in ndimage.find_objects(labels)]
    strokes = {(int(renumbered[a]), int(renumbered[b])): crossed for (a, b), crossed in joins.items()}
    return Atoms(ink, labels, boxes, height, strokes)


def candidates(parts: Atoms, whole_blobs: bool = True) -> dict[tuple[int, int], DigitPiece]:
    """Every run of neighbouring atoms ``first..last`` (1-based, inclusive) that could be one digit;
    ``whole_blobs``: also runs wider than ``MAX_DIGIT_ASPECT`` that are one whole stroke cut apart."""
    blob_aspect = WHOLE_BLOB_ASPECT if whole_blobs else 0.0
    runs: dict[tuple[int, int], DigitPiece] = {}
    for first in range(1, parts.count + 1):
        x0, y0, x1, y1 = parts.boxes[first - 1]
        for last in range(first, min(first + MAX_RUN, parts.count + 1)):
            bx0, by0, bx1, by1 = parts.boxes[last - 1]
            x0, y0, x1, y1 = min(x0, bx0), min(y0, by0), max(x1, bx1), max(y1, by1)
            if x1 - x0 > MAX_DIGIT_ASPECT * parts.height and last > first:
                if x1 - x0 > blob_aspect * parts.height or not _one_blob(parts, first, last):
                    continue
            own = parts.labels[y0:y1, x0:x1]
            mine = (own >= first) & (own <= last)
            runs[(first, last)] = DigitPiece((x0, y0, x1, y1), np.where(mine, parts.ink[y0:y1, x0:x1], 0.0)
                                             .astype(np.float32))
    return runs


def _one_blob(parts: Atoms, first: int, last: int) -> bool:
    """Are atoms ``first..last`` one whole connected stroke cut apart, and nothing else?"""
    inside = {first}
    changed = True
    while changed:
        changed = False
        for (a, b) in parts.cuts:
            if first <= a <= last and first <= b <= last and (a in inside) != (b in inside):
                inside |= {a, b}
                changed = True
    outside = any((first <= a <= last) != (first <= b <= last) for (a, b) in parts.cuts)
    return not outside and len(inside) == last - first + 1


def cut_cost(parts: Atoms, first: int, last: int) -> float:
    """Log cost of the cuts through ink that part atoms ``first..last`` from the rest: half of
    each cut's (the other half goes to the piece on its other side), per stroke it crosses."""
    strokes = sum(crossed for (a, b), crossed in parts.cuts.items()
                  if (first <= a <= last) != (first <= b <= last))
    return -STROKE_CUT * strokes / 2


def prior(parts: Atoms, piece: DigitPiece, label: int) -> float:
    """Log prior that ``piece`` is one whole digit ``label``: ``size_prior``, less when the
    piece is wider than a ``label`` usually is (two digits read as one). Narrow is not held
    against a piece: thin pens write narrow digits."""
    x0, y0, x1, y1 = piece.box
    mean, spread = LOG_ASPECT[label]
    shape = max(0.0, (np.log(max(x1 - x0, 1) / max(y1 - y0, 1)) - mean) / spread)
    return size_prior(parts, piece) - SHAPE_WEIGHT * shape**2


def size_prior(parts: Atoms, piece: DigitPiece) -> float:
    """The part of ``prior`` that does not depend on the digit: too short or too wide for the line."""
    x0, y0, x1, y1 = piece.box
    short = max(0.0, DIGIT_HEIGHT - (y1 - y0) / parts.height) / DIGIT_HEIGHT
    wide = max(0.0, (x1 - x0) / parts.height - WIDE_DIGIT)
    return -SHORT_WEIGHT * short - WIDE_WEIGHT * wide + DIGIT_BONUS


def is_mark(parts: Atoms, atom: int) -> bool:
    """Is atom ``atom`` (1-based) too short to be a digit, a dot or a dash that may be left out?"""
    _, y0, _, y1 = parts.boxes[atom - 1]
    return y1 - y0 < MARK_HEIGHT * parts.height
