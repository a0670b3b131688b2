"""Writing styles MNIST lacks, drawn onto MNIST digits: slashed 0s, flagged 1s, crossed 7s...

MNIST's writers (American census staff and students) rarely used the styles much of the
world writes: a slash or bar through 0, a long flag and a base on 1, a crossbar on 7, a
closed top on 4, a flat top on 5, an 8 as two stacked loops, a curly tail on 9. Each style
here is added to a 28x28 MNIST digit with straight pen strokes (``skimage.draw``) placed
from the digit's own ink geometry (its bounding box, top and bottom points, stem) in the
digit's own pen width. Pen effects that apply to any digit imitate how people draw: a
wider or thinner pen, pen-up gaps, slight jitter, overshoot where a stroke ends.

``style_digits`` builds training copies from MNIST *training* digits (``training_styles``)
and the extended drawn-digit benchmark uses the same functions on MNIST *test* digits.
Everything is deterministic given the seed; digit ``i``'s copy depends only on
``(seed, i)``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from skimage.draw import ellipse_perimeter
from skimage.morphology import skeletonize

from mnist_app.synth.low_resolution import low_resolution
from mnist_app.synth.pen import INK, SIDE, Segment, ink_box, pen_lines, pen_width, row_centre, with_strokes

#: Bump when a style changes: models trained on styled copies are retrained.
STYLES_VERSION = "2"

Styler = Callable[[np.ndarray, np.random.Generator], np.ndarray]


@dataclass(frozen=True)
class Style:
    """One way of writing: which digit it applies to (None: any) and how it is drawn.

    ``weight``: how often styled copies use it among its digit's styles by default (for
    ``EVERY_DIGIT`` effects: the share of every digit's copies); 0 = only for models whose
    style weights ask for it (added later, so earlier models' copies stay as they were).
    """

    name: str
    label: int | None
    draw: Styler
    description: str
    weight: float = 1.0


# --- the styles of particular digits -------------------------------------------------------------


def zero_slash(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A slash through the 0 ("Ø"), corner to corner, a little past the loop."""
    top, bottom, left, right = ink_box(digit)
    over = rng.uniform(1.0, 2.5)
    if rng.random() < 0.5:  # both directions are written; "/" is the common one
        segment = ((top - over, right + over), (bottom + over, left - over))
    else:
        segment = ((top - over, left - over), (bottom + over, right + over))
    return with_strokes(digit, [segment], pen_width(digit))


def zero_bar(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A vertical bar through the middle of the 0, top to bottom."""
    top, bottom, left, right = ink_box(digit)
    middle = (left + right) / 2 + rng.uniform(-1.0, 1.0)
    tilt = rng.uniform(-1.5, 1.5)
    segment = ((top - rng.uniform(1, 2.5), middle + tilt), (bottom + rng.uniform(1, 2.5), middle - tilt))
    return with_strokes(digit, [segment], pen_width(digit))


def one_flag(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A long flag down-left from the top of the 1's stem."""
    top, bottom, left, right = ink_box(digit)
    head = np.array([top, row_centre(digit, top)])
    stem = np.array([bottom, row_centre(digit, bottom)]) - head
    down = stem / max(float(np.hypot(*stem)), 1e-6)
    # The flag leaves the stem 30-45 degrees to its left, whatever the stem's slant, and is a
    # quarter to 40% of its height: flatter or longer, people read a 7's bar (version 1's
    # 30-55 degrees and 30-50% drew many 7s).
    turn = np.deg2rad(rng.uniform(30, 45))
    direction = np.array([down[0] * np.cos(turn) + down[1] * np.sin(turn),
                          -down[0] * np.sin(turn) + down[1] * np.cos(turn)])
    tip = head + direction * (bottom - top + 1) * rng.uniform(0.25, 0.4)
    return with_strokes(digit, [(tuple(head), tuple(tip))], pen_width(digit))


def one_flag_base(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A flag on the 1 and a base across its foot."""
    flagged = one_flag(digit, rng)
    top, bottom, left, right = ink_box(digit)
    foot = row_centre(digit, bottom)
    half = (bottom - top + 1) * rng.uniform(0.2, 0.3)
    base = ((bottom, foot - half), (bottom + rng.uniform(-0.5, 0.5), foot + half))
    return with_strokes(flagged, [base], pen_width(digit))


def seven_cross(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A crossbar through the 7's stem, about halfway down."""
    top, bottom, left, right = ink_box(digit)
    row = top + (bottom - top) * rng.uniform(0.45, 0.6)
    stem = row_centre(digit, int(round(row)))
    half = max(3.5, (right - left + 1) * rng.uniform(0.22, 0.32))
    tilt = rng.uniform(-0.5, 0.5)
    return with_strokes(digit, [((row + tilt, stem - half), (row - tilt, stem + half))], pen_width(digit))


def four_closed(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A closed top on the 4: the top of its left arm joined to the top of its stem."""
    ink = digit >= INK
    top, bottom, left, right = ink_box(digit)
    middle = (left + right) // 2
    arm_rows = np.flatnonzero(ink[:, : middle + 1].any(axis=1))
    stem_rows = np.flatnonzero(ink[:, middle + 1 :].any(axis=1))
    if len(arm_rows) == 0 or len(stem_rows) == 0:
        return digit.copy()
    arm_top, stem_top = int(arm_rows[0]), int(stem_rows[0])
    arm = (arm_top, float(np.flatnonzero(ink[arm_top, : middle + 1]).mean()))
    stem = (stem_top, middle + 1 + float(np.flatnonzero(ink[stem_top, middle + 1 :]).mean()))
    # The crossbar runs on past the stem: with a closed top, that is what tells a 4 from a 9
    # (without it many version-1 closed 4s were 9s to a human reader too).
    bar_row = int(arm_rows[-1]) if arm_rows[-1] < bottom - 2 else (top + bottom) // 2
    bar_end = float(np.flatnonzero(ink[bar_row]).max()) if ink[bar_row].any() else float(right)
    tail = ((bar_row, bar_end - 1.0), (bar_row + rng.uniform(-0.5, 0.5), bar_end + rng.uniform(2.5, 4.0)))
    return with_strokes(digit, [(arm, stem), tail], pen_width(digit) * rng.uniform(0.9, 1.1))


def five_flat(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A long, flat top bar on the 5, from above its stem to past its right edge."""
    top, bottom, left, right = ink_box(digit)
    row = top + rng.uniform(0.0, 1.0)
    # The bar starts above the 5's stem: the leftmost ink of its top few rows.
    start = float(np.flatnonzero((digit[top : top + 4] >= INK).any(axis=0))[0])
    start = min(start, (left + right) / 2)
    end = right + rng.uniform(1.0, 3.0)
    segments = [((row, start), (row, end)), ((row, start), (top + (bottom - top) * 0.45, start))]
    return with_strokes(digit, segments, pen_width(digit))


def eight_two_loops(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The 8 redrawn as two stacked loops (a snowman) in its own box and pen width."""
    top, bottom, left, right = ink_box(digit)
    width = pen_width(digit)
    height = bottom - top + 1
    split = top + height * rng.uniform(0.4, 0.5)
    centre_col = (left + right) / 2
    half_width = max(3.0, (right - left + 1) / 2 - width / 2)
    outline = np.zeros((SIDE, SIDE), dtype=bool)
    loops = ((top, split, half_width * rng.uniform(0.7, 0.9)), (split, bottom, half_width))
    for upper, lower, radius in loops:
        row_radius = max(2, int(round((lower - upper) / 2 - width / 2)))
        rows, cols = ellipse_perimeter(int(round((upper + lower) / 2)), int(round(centre_col)),
                                       row_radius, max(2, int(round(radius))), shape=(SIDE, SIDE))
        outline[rows, cols] = True
    return pen_lines(outline, width)


def nine_curly(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A tail that curls back to the left at the foot of the 9."""
    top, bottom, left, right = ink_box(digit)
    foot = (bottom, row_centre(digit, bottom))
    size = (right - left + 1) * rng.uniform(0.3, 0.45)
    lift = size * rng.uniform(0.3, 0.6)
    bend = (foot[0] + 1.0, foot[1] - size / 2)
    tip = (foot[0] - lift, foot[1] - size)
    return with_strokes(digit, [(foot, bend), (bend, tip)], pen_width(digit))


def two_narrow(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A tall, narrow 2 (squeezed sideways to 40-65% of its width), redrawn in its own pen width."""
    width = pen_width(digit)
    top, bottom, left, right = ink_box(digit)
    centre, factor = (left + right) / 2, rng.uniform(0.4, 0.65)
    squeezed = ndimage.affine_transform(digit, np.diag([1.0, 1.0 / factor]),
                                        offset=[0.0, centre - centre / factor], order=1)
    skeleton = skeletonize(squeezed >= 0.35)
    return pen_lines(skeleton, width) if skeleton.any() else digit.copy()


# --- pen effects on any digit --------------------------------------------------------------------


def pen_gaps(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One or two pen-up gaps: short pieces of a stroke missing."""
    skeleton = np.argwhere(skeletonize(digit >= INK))
    if len(skeleton) < 10:
        return digit.copy()
    gapped = digit.copy()
    rows, cols = np.mgrid[:SIDE, :SIDE]
    gaps = 1 if rng.random() < 0.7 else 2
    for index in rng.choice(len(skeleton), size=gaps, replace=False):
        row, col = skeleton[index]
        radius = pen_width(digit) / 2 + rng.uniform(0.3, 0.8)
        gapped[(rows - row) ** 2 + (cols - col) ** 2 <= radius**2] = 0.0
    return gapped


def jitter(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A slightly wobbly hand: a smooth random displacement of about one pixel."""
    field = ndimage.gaussian_filter(rng.normal(0.0, 1.0, (2, SIDE, SIDE)), sigma=(0, 4, 4))
    field *= rng.uniform(1.0, 1.8) / max(float(np.abs(field).max()), 1e-6)
    rows, cols = np.mgrid[:SIDE, :SIDE].astype(np.float64)
    return ndimage.map_coordinates(digit, [rows + field[0], cols + field[1]], order=1).astype(np.float32)


def overshoot(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Strokes that run on past their ends by a few pixels, as a hurried pen does."""
    skeleton = skeletonize(digit >= INK)
    neighbours = ndimage.convolve(skeleton.astype(int), np.ones((3, 3), int), mode="constant") - 1
    ends = np.argwhere(skeleton & (neighbours == 1))
    points = np.argwhere(skeleton)
    segments: list[Segment] = []
    for end in ends:
        near = points[np.abs(points - end).max(axis=1) <= 3]
        direction = end - near.mean(axis=0)
        norm = float(np.hypot(*direction))
        if norm < 0.5:
            continue
        reach = rng.uniform(2.0, 4.0) / norm
        segments.append((tuple(end), tuple(end + direction * reach)))
    return with_strokes(digit, segments, pen_width(digit)) if segments else digit.copy()


def pen_size(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A much thinner or thicker pen than MNIST's (skeleton redrawn at 1-5 pixels)."""
    skeleton = skeletonize(digit >= INK)
    if not skeleton.any():
        return digit.copy()
    width = float(rng.choice([rng.uniform(1.0, 1.6), rng.uniform(3.5, 5.0)]))
    return pen_lines(skeleton, width)


STYLES: dict[str, Style] = {style.name: style for style in (
    Style("zero_slash", 0, zero_slash, "0 with a slash through it"),
    Style("zero_bar", 0, zero_bar, "0 with a vertical bar through it"),
    Style("one_flag", 1, one_flag, "1 with a long flag"),
    Style("one_flag_base", 1, one_flag_base, "1 with a flag and a base"),
    Style("seven_cross", 7, seven_cross, "7 with a crossbar"),
    Style("four_closed", 4, four_closed, "4 with a closed top"),
    Style("five_flat", 5, five_flat, "5 with a long flat top"),
    Style("eight_two_loops", 8, eight_two_loops, "8 as two stacked loops"),
    Style("nine_curly", 9, nine_curly, "9 with a curly tail"),
    Style("pen_gaps", None, pen_gaps, "pen-up gaps in a stroke"),
    Style("jitter", None, jitter, "a wobbly hand"),
    Style("overshoot", None, overshoot, "strokes running past their ends"),
    Style("pen_size", None, pen_size, "a much thinner or thicker pen"),
    # Last, so that the benchmark's earlier classes keep their drawings (seeded by position).
    Style("two_narrow", 2, two_narrow, "a tall, narrow 2", weight=0.0),
    Style("low_resolution", None, low_resolution, "a blurred, low-resolution copy", weight=0.0),
)}
#: Effects given to a share of every digit's copies (the share is their weight; 0 by default),
#: whatever the digit: as pen effects they would fall mostly on the digits without styles of
#: their own (3s, 6s), and a model learns "blurred means 3 or 6" (docs/benchmarks.md).
EVERY_DIGIT = ("low_resolution",)
DIGIT_STYLES = tuple(name for name, style in STYLES.items() if style.label is not None)
PEN_EFFECTS = tuple(name for name, style in STYLES.items() if style.label is None and name not in EVERY_DIGIT)


def apply_style(digit: np.ndarray, name: str, rng: np.random.Generator) -> np.ndarray:
    """One digit (28, 28) uint8 or float in [0, 1] in style ``name``: float32 (28, 28) in [0, 1]."""
    image = np.asarray(digit, dtype=np.float32)
    if image.max() > 1.0:
        image = image / 255.0
    return np.clip(STYLES[name].draw(image, rng), 0.0, 1.0).astype(np.float32)


def styles_for(label: int) -> tuple[str, ...]:
    """The styles of digit ``label`` used by default (not the pen effects, which fit every digit)."""
    return tuple(name for name in DIGIT_STYLES if STYLES[name].label == label and STYLES[name].weight > 0)


def _chosen_style(label: int, rng: np.random.Generator, digit_style_share: float,
                  weights: Mapping[str, float] | None) -> str:
    """The style of one chosen digit: one of its own (by weight) or else a pen effect."""
    weight = {name: style.weight for name, style in STYLES.items()} | dict(weights or {})
    for name in EVERY_DIGIT:
        if weight[name] > 0 and rng.random() < weight[name]:
            return name
    own = tuple(name for name in DIGIT_STYLES if STYLES[name].label == label and weight[name] > 0)
    use_own = bool(own) and rng.random() < digit_style_share
    pool = own if use_own else PEN_EFFECTS
    if weights is None:  # equal weights, drawn as version 2 drew them
        return str(rng.choice(pool))
    if len(pool) == 1:
        return pool[0]
    chances = np.array([weight[name] for name in pool])
    return str(rng.choice(pool, p=chances / chances.sum()))


def styled_copy(image: np.ndarray, label: int, index: int, share: float = 0.25, seed: int = 0,
                digit_style_share: float = 0.7, weights: Mapping[str, float] | None = None,
                ) -> tuple[np.ndarray, str] | None:
    """Digit ``index``'s styled copy as :func:`styled_copies` makes it (uint8 (28, 28), style
    name), or None when the digit is not one of the chosen share."""
    rng = np.random.default_rng([seed, index])
    if rng.random() >= share:
        return None
    name = _chosen_style(int(label), rng, digit_style_share, weights)
    return np.round(apply_style(image, name, rng) * 255).astype(np.uint8), name


@functools.lru_cache(maxsize=4)
def styled_sources(count: int, share: float = 0.25, seed: int = 0) -> np.ndarray:
    """The indices of the digits :func:`styled_copies` styles among ``count``, in its copies' order
    (read-only; remembered, as a page asks again and again)."""
    sources = np.array([index for index in range(count)
                        if np.random.default_rng([seed, index]).random() < share], dtype=np.int64)
    sources.flags.writeable = False
    return sources


def styled_copies(
    images: np.ndarray, labels: np.ndarray, share: float = 0.25, seed: int = 0,
    digit_style_share: float = 0.7, weights: Mapping[str, float] | None = None,
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Styled copies of about ``share`` of the digits: uint8 (m, 28, 28), labels (m,), style names.

    Each chosen digit gets one of its digit's styles (with probability
    ``digit_style_share``, when its digit has any) or else a pen effect. Whether digit ``i``
    is chosen and how it is styled depend only on ``(seed, i)``. ``weights`` (style name ->
    weight) changes how often each style is chosen among its digit's styles or the pen
    effects (default: each style's ``weight``). Pass MNIST *training* digits for training data.
    """
    images = np.asarray(images)
    labels = np.asarray(labels)
    copies, targets, names = [], [], []
    for index in range(len(images)):
        made = styled_copy(images[index], int(labels[index]), index, share, seed, digit_style_share, weights)
        if made is None:
            continue
        copies.append(made[0])
        targets.append(int(labels[index]))
        names.append(made[1])
    stacked = np.stack(copies) if copies else np.zeros((0, SIDE, SIDE), np.uint8)
    return stacked, np.array(targets, dtype=labels.dtype), names
