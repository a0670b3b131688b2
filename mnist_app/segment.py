"""A written number into its digits without a model: connected strokes, broken strokes merged,
touching digits split at columns. ``main_digit`` finds a photo's one digit with it.
``numbers.read_number`` reads numbers with :mod:`mnist_app.oversegment` instead (cuts along
paths, pieces joined by the model's confidence); ``split_digits`` is the model-free guess.

``split_digits(ink)`` takes an ink map (float (H, W) in [0, 1], 0 = background, as
``preprocess.ink_map`` or ``preprocess.photo.photo_ink`` make it) and returns one
``DigitPiece`` per digit, left to right:

1. connected components of the ink (8-connected); specks far smaller than the biggest
   stroke are dropped;
2. pieces of one digit are merged: strokes that lie mostly above one another (a 5's
   flag, a 7's bar, a pen lifted mid-stroke) or that nearly touch and together are
   still no wider than a digit;
3. a blob much wider than high holds touching digits: it is cut into as many digits as
   its width suggests, each cut at the column with the least ink near where it is expected.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from mnist_app.preprocess.ink import EmptyDrawingError

#: At most this many digits are read from one image.
MAX_DIGITS = 12
#: A component below this share of the biggest one's area is a speck (or JPEG dirt).
SPECK_AREA = 0.03
#: Shorter than this share of the tallest group and it is a dot or a dash, not a digit.
MIN_HEIGHT = 0.3
#: Two groups are one digit when their columns overlap by this share of the narrower one ...
MERGE_OVERLAP = 0.5
#: ... or when the gap between them is below this share of their height and together
#: they are at most ``ONE_DIGIT_ASPECT`` times as wide as high.
MERGE_GAP = 0.02
ONE_DIGIT_ASPECT = 0.8
#: A group shorter than this share of a group it overlaps (in columns) is part of that digit.
PART_HEIGHT = 0.5
#: Wider than this times its height, a group holds touching digits ...
SPLIT_ASPECT = 1.15
#: ... though up to this, it may be one wide digit (the recogniser decides) ...
MAYBE_ONE_ASPECT = 1.6
#: ... about one per this many heights of width (MNIST digits: 0.6-0.7 as wide as high).
DIGIT_ASPECT = 0.7
#: A cut is searched within this share of a digit's width around where it is expected.
CUT_SEARCH = 0.35

Box = tuple[int, int, int, int]  # x0, y0, x1, y1: columns x0..x1-1, rows y0..y1-1


@dataclass(frozen=True)
class DigitPiece:
    """One digit of a number: its box in the ink map's pixels and its ink alone, cropped to the box."""

    box: Box
    ink: np.ndarray  # float32 (y1 - y0, x1 - x0)


@dataclass
class _Group:
    labels: list[int]
    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0

    def union(self, other: _Group) -> _Group:
        return _Group(self.labels + other.labels, min(self.x0, other.x0), min(self.y0, other.y0),
                      max(self.x1, other.x1), max(self.y1, other.y1))


def split_digits(ink: np.ndarray) -> list[DigitPiece]:
    """The digits in an ink map, left to right (see the module docstring).

    Raises ``EmptyDrawingError`` when there is no ink and ``ValueError`` when there are far
    more marks than a number has digits.
    """
    return [piece for options in split_options(ink) for piece in options[0]]


def split_options(ink: np.ndarray) -> list[list[list[DigitPiece]]]:
    """Like ``split_digits``, with the ways each group of strokes may be cut, best guess first.

    One list per group, left to right; each option is a list of pieces. A group wide
    enough to hold touching digits has several options (each cut at another column with
    little ink), for a recogniser to choose from; any other group has one.
    """
    labels, count = ndimage.label(ink > 0, structure=np.ones((3, 3), bool))
    if count == 0:
        raise EmptyDrawingError("No digit found: write or draw a number first.")
    groups = _components(labels, count)
    if len(groups) > 3 * MAX_DIGITS:
        raise too_many(len(groups))
    groups = _merge(groups)
    tallest = max(group.height for group in groups)
    groups = [group for group in groups if group.height >= MIN_HEIGHT * tallest]
    options = [_options(ink, labels, group) for group in groups]
    digits = sum(len(group_options[0]) for group_options in options)
    if digits > MAX_DIGITS:
        raise too_many(digits)
    return options


def main_digit(ink: np.ndarray) -> DigitPiece:
    """The one digit of a photo: the group of strokes with the most ink (stray marks left out)."""
    labels, count = ndimage.label(ink > 0, structure=np.ones((3, 3), bool))
    if count == 0:
        raise EmptyDrawingError("No digit found: write a digit darker or bigger.")
    groups = _merge(_components(labels, count))
    masses = ndimage.sum(ink, labels, index=np.arange(1, count + 1))
    best = max(groups, key=lambda group: sum(masses[label - 1] for label in group.labels))
    return _cut(_group_ink(ink, labels, best), best, [])[0]


def _components(labels: np.ndarray, count: int) -> list[_Group]:
    areas = np.bincount(labels.ravel(), minlength=count + 1)[1:]
    biggest = int(areas.max())
    groups = []
    for index, box in enumerate(ndimage.find_objects(labels), start=1):
        if box is not None and areas[index - 1] >= max(2, SPECK_AREA * biggest):
            groups.append(_Group([index], box[1].start, box[0].start, box[1].stop, box[0].stop))
    return groups


def _merge(groups: list[_Group]) -> list[_Group]:
    """Merge groups that belong to one digit until nothing changes (a few dozen groups at most)."""
    groups = sorted(groups, key=lambda group: group.x0)
    merged = True
    while merged:
        merged = False
        for first in range(len(groups)):
            for second in range(first + 1, len(groups)):
                if _one_digit(groups[first], groups[second]):
                    groups[first] = groups[first].union(groups.pop(second))
                    merged = True
                    break
            if merged:
                break
    return sorted(groups, key=lambda group: group.x0)


def _one_digit(a: _Group, b: _Group) -> bool:
    overlap = min(a.x1, b.x1) - max(a.x0, b.x0)
    if overlap >= MERGE_OVERLAP * min(a.width, b.width):
        return True
    short, tall = sorted((a, b), key=lambda group: group.height)
    if overlap > 0 and short.height < PART_HEIGHT * tall.height:
        return True  # a 5's flag or a 7's bar sticking out sideways: part of the digit below it
    both = a.union(b)
    gap = -overlap
    return gap <= MERGE_GAP * both.height and both.width <= ONE_DIGIT_ASPECT * both.height


def _group_ink(ink: np.ndarray, labels: np.ndarray, group: _Group) -> np.ndarray:
    rows, cols = slice(group.y0, group.y1), slice(group.x0, group.x1)
    own = np.isin(labels[rows, cols], group.labels)
    return np.where(own, ink[rows, cols], 0.0).astype(np.float32)


def _options(ink: np.ndarray, labels: np.ndarray, group: _Group) -> list[list[DigitPiece]]:
    """The group whole, or (wide enough for touching digits) cut in a few ways, best guess first."""
    group_ink = _group_ink(ink, labels, group)
    if group.width <= SPLIT_ASPECT * group.height:
        return [_cut(group_ink, group, [])]
    parts = max(2, round(group.width / (DIGIT_ASPECT * group.height)))
    options = []
    for count in sorted({parts, max(2, parts - 1)}):  # digits vary in width: one fewer is plausible
        options.append(_cut(group_ink, group, _cut_columns(group_ink, count)))
        if count == 2:  # touching pairs are the common case: offer every low-ink column nearby
            options += [_cut(group_ink, group, [column]) for column in _low_columns(group_ink)]
    # Touching digits are about as tall as each other: a cut that leaves a short piece is wrong.
    options = [option for option in options
               if all(piece.ink.shape[0] >= PART_HEIGHT * group.height for piece in option)]
    if not options or group.width <= MAYBE_ONE_ASPECT * group.height:  # a wide 0, 2 or 8 is one digit
        options.append(_cut(group_ink, group, []))
    return options


def _low_columns(group_ink: np.ndarray, count: int = 4) -> list[int]:
    """Columns of least ink (local minima) in the middle part of a group, fewest ink first."""
    profile = ndimage.uniform_filter1d((group_ink > 0).sum(axis=0).astype(np.float32), 3)
    width = len(profile)
    low, high = int(0.25 * width), int(0.75 * width)
    middle = profile[low:high]
    minima = np.flatnonzero(middle == ndimage.minimum_filter1d(middle, 7)) + low
    return [int(column) for column in minima[np.argsort(profile[minima], kind="stable")][:count]]


def _cut(group_ink: np.ndarray, group: _Group, cuts: list[int]) -> list[DigitPiece]:
    """The group's ink cut at the given columns (none: one piece), each piece cropped to its ink."""
    edges = [0, *cuts, group.width]
    pieces = []
    for left, right in zip(edges[:-1], edges[1:], strict=True):
        part = group_ink[:, left:right]
        inked_rows = np.flatnonzero(part.any(axis=1))
        inked_cols = np.flatnonzero(part.any(axis=0))
        if len(inked_rows) == 0:
            continue
        top, bottom = int(inked_rows[0]), int(inked_rows[-1]) + 1
        first, last = int(inked_cols[0]), int(inked_cols[-1]) + 1
        box = (group.x0 + left + first, group.y0 + top, group.x0 + left + last, group.y0 + bottom)
        pieces.append(DigitPiece(box, part[top:bottom, first:last]))
    return pieces


def _cut_columns(group_ink: np.ndarray, parts: int) -> list[int]:
    """``parts - 1`` cut columns: each where the least ink is, near an even division of the width."""
    if parts < 2:
        return []
    width = group_ink.shape[1]
    profile = ndimage.uniform_filter1d((group_ink > 0).sum(axis=0).astype(np.float32), 3)
    step = width / parts
    cuts = []
    for index in range(1, parts):
        expected = index * step
        low = max(1, int(expected - CUT_SEARCH * step))
        high = min(width - 1, int(expected + CUT_SEARCH * step) + 1)
        window = profile[low:high]
        # The least ink; among equals, the column closest to where the cut was expected.
        candidates = np.flatnonzero(window <= window.min() + 1e-6) + low
        cuts.append(int(candidates[np.argmin(np.abs(candidates - expected))]))
    return sorted(set(cuts))


def too_many(count: int) -> ValueError:
    return ValueError(
        f"Found {count} separate marks: this reads a number of at most {MAX_DIGITS} digits. "
        "Use a photo of just the number (crop it), on plain paper."
    )
