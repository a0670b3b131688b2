"""Whole numbers: read "2026" from a drawing or a photo, digit by digit, left to right.

    from mnist_app import numbers
    r = numbers.read_number(image, name=None)   # image: anything to_mnist accepts
    r.text, r.digits, r.boxes, r.confidences

The ink is found as for a photo (``preprocess.photo.photo_ink``: a drawing's flat
background goes to ``ink_map``) and cut too finely (:mod:`mnist_app.oversegment`); every
candidate digit goes through ``preprocess.to_mnist`` and ``models.predict_digits`` like a
drawing; the model's confidence, with how likely each candidate is one whole digit at all
(:mod:`mnist_app.digit_or_not`), decides how the pieces make digits (``_read_line``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from mnist_app import crossing_strokes, digit_or_not, evaluation, models, oversegment, segment
from mnist_app.preprocess.ink import INK_FLOOR, EmptyDrawingError
from mnist_app.preprocess.photo import photo_ink
from mnist_app.preprocess.photo_files import load_photo

Box = segment.Box
#: The weight of log P(one whole digit) (``digit_or_not``) in a candidate's score, and a bonus per
#: digit read (that log adds a cost per piece); chosen on photos of MNIST *training* digits the
#: scorer never saw (docs/benchmarks.md, issue 18, round 3).
SINGLE_WEIGHT, SINGLE_BONUS = 0.5, 1.0
#: The log cost of leaving out a dot or a dash (``oversegment.is_mark``) rather than reading it.
SKIP_MARK = -1.0
#: A second look at each likely candidate (``second_look``): a real digit is read the same by
#: another model and when moved sideways by a few pixels, a fragment or a pair often is not.
#: The weights of log P(answer) by ``SECOND_OPINION`` and of the mean and least P(answer) over
#: the copies moved by ``SHIFTS`` (rows, columns); candidates scoring below ``SECOND_LOOK``
#: are not looked at again. Chosen on photos of MNIST *training* digits (docs/benchmarks.md,
#: issue 18, round 4). Only models in ``SHIFT_TOLERANT`` read a whole digit moved by 2 pixels
#: the same (k-NN, for one, does not: it matches centred digits), so only they are asked.
SECOND_OPINION, SECOND_WEIGHT = "mlp", 0.5
SHIFTS = ((0, 2), (0, -2))
SHIFT_TOLERANT = ("cnn",)
STABLE_MEAN_WEIGHT, STABLE_LEAST_WEIGHT = 1.0, 0.5
SECOND_LOOK = -4.0
#: Also read a thin straight stroke crossing its neighbour as a digit of its own, the rest as
#: another (``crossing_strokes``), at this log cost for the pair (docs/benchmarks.md, round 7).
CROSSING_PAIRS, CROSSING_COST = True, -3.0


@dataclass(frozen=True)
class NumberReading:
    """A number read from an image: the text, each digit, where it is and how sure the model is."""

    text: str  # "2026"
    digits: list[int]  # [2, 0, 2, 6]
    boxes: list[Box]  # (x0, y0, x1, y1) in the input's pixels (upright), left to right; x1, y1 exclusive
    confidences: list[float]  # the probability of each answered digit
    model: str
    predictions: list[models.Prediction]  # each digit's full answer (ten probabilities)
    digit_images: list[np.ndarray]  # each digit as the model saw it: float32 (28, 28)


def read_number(image: object, name: str | None = None) -> NumberReading:
    """Read the digits of a number in ``image`` left to right with model ``name``.

    ``image``: anything ``to_mnist`` accepts (a canvas array, a PIL image, the bytes of an
    image file) or a path; photos are turned upright by their EXIF orientation. ``name``:
    a model, by default the best available one (``best_model``).
    Raises ``EmptyDrawingError`` when there is no digit, ``ValueError`` for an unusable
    image or far too many marks, ``UnknownModelError`` for an unknown model.
    """
    name = name or best_model()
    models.get_spec(name)  # a bad name fails before any image work
    pixels, scale = load_photo(image)
    ink = photo_ink(pixels)
    ink[ink < INK_FLOOR] = 0.0  # what to_mnist would drop as background, before splitting
    inked_rows, inked_cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if len(inked_rows) == 0:
        raise EmptyDrawingError("No digit found: write or draw a number first.")
    top, left = int(inked_rows[0]), int(inked_cols[0])  # work on the inked part only (faster)
    inked = ink[top : inked_rows[-1] + 1, left : inked_cols[-1] + 1]
    ink, shrink = oversegment.at_line_height(inked)
    kept, digit_images, probabilities = _read_line(oversegment.atoms(ink), name)
    if not kept:
        raise EmptyDrawingError("No digit found: write or draw a number first.")
    predictions = [models.Prediction(name, int(np.argmax(row)), row) for row in probabilities]
    size = (pixels.shape[1], pixels.shape[0])
    return NumberReading(
        text="".join(str(prediction.label) for prediction in predictions),
        digits=[prediction.label for prediction in predictions],
        boxes=[_to_input(_unshrunk(piece.box, shrink, inked, (left, top)), scale, size) for piece in kept],
        confidences=[prediction.confidence for prediction in predictions],
        model=name,
        predictions=predictions,
        digit_images=digit_images,
    )


def _read_line(parts: oversegment.Atoms, name: str
               ) -> tuple[list[segment.DigitPiece], list[np.ndarray], list[np.ndarray]]:
    """The digits of a line: of all ways to join its atoms into digits, the likeliest.

    Every run of atoms that could be one digit is read by the model (``line_candidates``) and
    scored (``candidate_scores``); dynamic programming over the atoms, left to right, picks
    the readings whose scores add up highest (``choose``).
    Returns the chosen pieces, their 28x28 digits and their probabilities.
    """
    found = line_candidates(parts, name)
    chosen = choose(parts, found.runs, crossing_strokes.joined(found.partner, candidate_scores(found)))
    chosen = crossing_strokes.with_partners(found.partner, found.runs, chosen)
    if len(chosen) > segment.MAX_DIGITS:
        raise segment.too_many(len(chosen))
    return ([found.runs[i][1] for i in chosen], [found.images[i] for i in chosen],
            [found.answers[i] for i in chosen])


@dataclass(frozen=True)
class Candidates:
    """The runs of a line's atoms that could be one digit, each as the model saw and read it."""

    runs: list[tuple[tuple[int, int], segment.DigitPiece]]  # ((first, last) atoms, piece)
    images: np.ndarray  # float32 (m, 28, 28): what to_mnist made of each piece
    answers: np.ndarray  # (m, 10): the model's probabilities
    shape_scores: np.ndarray  # (m,): log prior of the piece's shape + its cut costs
    single: np.ndarray  # (m,): P(the piece is one whole digit), from ``digit_or_not``
    second: np.ndarray | None = None  # (m,): the weighted logs of ``second_look``, when taken
    #: (m,): for the rest of a crossing pair, its stroke's row; -2 for that stroke; -1 otherwise
    partner: np.ndarray | None = None


def line_candidates(parts: oversegment.Atoms, name: str) -> Candidates:
    """Every run of neighbouring atoms worth reading as one digit, read in one batch by ``name``."""
    runs, images = digit_or_not.readable_runs(parts)
    if not runs:
        empty = np.zeros(0)
        return Candidates([], images, np.zeros((0, 10)), empty, empty)
    partner = np.full(len(runs), -1)
    if CROSSING_PAIRS:
        runs, images, partner = crossing_strokes.with_pairs(parts, runs, images)
    answers = models.predict_digits(images, name)
    shape_scores = [oversegment.prior(parts, piece, int(answers[index].argmax()))
                    + (oversegment.cut_cost(parts, *run) if partner[index] != -2 else 0.0)
                    + (CROSSING_COST if partner[index] >= 0 else 0.0)
                    for index, (run, piece) in enumerate(runs)]
    found = Candidates(runs, images, answers, np.asarray(shape_scores),
                       digit_or_not.probability_single(parts, runs, images), partner=partner)
    return replace(found, second=pruned_second_look(parts, found, name))


def pruned_second_look(parts: oversegment.Atoms, found: Candidates, name: str) -> np.ndarray:
    """``second_look`` of the candidates that can still be part of the best reading, -inf for
    the others: the same choice as looking at all of them, for less work (branch and bound).

    A second look only lowers a score (its terms are weighted logs of probabilities), so once
    the best reading without it has been looked at again, a candidate whose best reading
    without it falls short of that total cannot win.
    """
    raw = candidate_scores(found)
    base = crossing_strokes.joined(found.partner, raw)
    first = choose(parts, found.runs, base)
    first = np.asarray(crossing_strokes.with_partners(found.partner, found.runs, first), int)
    second = second_look(found, name, first)
    looked = crossing_strokes.joined(found.partner, raw + second)
    reached = _best_totals(parts, found.runs, looked)[0][parts.count]
    ahead, behind = _best_totals(parts, found.runs, base)
    spans = np.array([run for run, _ in found.runs])
    bounds = ahead[spans[:, 0] - 1] + base + behind[spans[:, 1]]
    rest = np.flatnonzero(bounds >= reached - 1e-9)
    if found.partner is not None:
        rest = np.union1d(rest, found.partner[rest][found.partner[rest] >= 0])
    rest = np.setdiff1d(rest, first)
    if len(rest):
        second[rest] = second_look(found, name, rest)[rest]
    return second


def _best_totals(parts: oversegment.Atoms, runs: list[tuple[tuple[int, int], segment.DigitPiece]],
                 scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The best total score of reading atoms 1..j (ahead[j]) and atoms j+1..count (behind[j]),
    as ``choose`` adds them up (dots and dashes may be left out at ``SKIP_MARK``)."""
    ahead = np.full(parts.count + 1, -np.inf)
    behind = np.full(parts.count + 1, -np.inf)
    ahead[0] = behind[parts.count] = 0.0
    by_end: dict[int, list[int]] = {}
    by_first: dict[int, list[int]] = {}
    for index, ((first, last), _) in enumerate(runs):
        by_end.setdefault(last, []).append(index)
        by_first.setdefault(first, []).append(index)
    for end in range(1, parts.count + 1):
        if oversegment.is_mark(parts, end):
            ahead[end] = ahead[end - 1] + SKIP_MARK
        for index in by_end.get(end, []):
            ahead[end] = max(ahead[end], ahead[runs[index][0][0] - 1] + scores[index])
    for first in range(parts.count, 0, -1):
        if oversegment.is_mark(parts, first):
            behind[first - 1] = behind[first] + SKIP_MARK
        for index in by_first.get(first, []):
            behind[first - 1] = max(behind[first - 1], scores[index] + behind[runs[index][0][1]])
    return ahead, behind


def candidate_scores(found: Candidates) -> np.ndarray:
    """Each candidate's log score as one digit: the model's confidence in its answer, how likely
    the piece is one whole digit at all (``SINGLE_WEIGHT``, ``SINGLE_BONUS``), its shape prior
    and its cut costs, and what a second look said (``second_look``)."""
    scores = (np.log(np.maximum(found.answers.max(axis=1), 1e-9)) + found.shape_scores
              + SINGLE_WEIGHT * np.log(np.maximum(found.single, 1e-6)) + SINGLE_BONUS)
    return scores if found.second is None else scores + found.second


def second_look(found: Candidates, name: str, among: np.ndarray | None = None) -> np.ndarray:
    """The weighted log probabilities that the answer stands on a second look (m,): by a second
    model (``SECOND_OPINION``, when trained and not ``name`` itself) and by ``name`` on copies
    of the digit moved sideways (``SHIFTS``: least and mean; ``SHIFT_TOLERANT`` models only).
    Candidates scoring below ``SECOND_LOOK`` keep their own answer's probability as if it had
    stood (they rarely win). ``among``: only these candidates (indices) are looked at, the
    others get -inf; by default all."""
    among = np.arange(len(found.answers)) if among is None else np.asarray(among, int)
    if len(among) == 0:
        return np.full(len(found.answers), -np.inf)
    labels = found.answers.argmax(axis=1)
    own = np.log(np.maximum(found.answers.max(axis=1), 1e-6))
    second = np.full(len(labels), -np.inf)
    second[among] = (STABLE_MEAN_WEIGHT + STABLE_LEAST_WEIGHT) * own[among]
    looked = among[candidate_scores(found)[among] >= SECOND_LOOK]
    if len(looked) and STABLE_MEAN_WEIGHT + STABLE_LEAST_WEIGHT > 0 and name in SHIFT_TOLERANT:
        images = found.images[looked]
        moved = np.concatenate([np.roll(images, shift, axis=(1, 2)) for shift in SHIFTS])
        stood = models.predict_digits(moved, name).reshape(len(SHIFTS), len(looked), -1)
        stood = np.maximum(stood[:, np.arange(len(looked)), labels[looked]], 1e-6)
        second[looked] = (STABLE_MEAN_WEIGHT * np.log(stood.mean(axis=0))
                          + STABLE_LEAST_WEIGHT * np.log(stood.min(axis=0)))
    if SECOND_WEIGHT and SECOND_OPINION != name and models.is_trained(SECOND_OPINION):
        opinion = models.predict_digits(found.images[among], SECOND_OPINION)
        opinion = opinion[np.arange(len(among)), labels[among]]
        second[among] += SECOND_WEIGHT * np.log(np.maximum(opinion, 1e-6))
    return second


def choose(parts: oversegment.Atoms, runs: list[tuple[tuple[int, int], segment.DigitPiece]],
           scores: np.ndarray) -> list[int]:
    """The candidates (indices, left to right) that cover the line's atoms with the highest
    total score; dots and dashes (``oversegment.is_mark``) may be left out."""
    by_end: dict[int, list[int]] = {}
    for index, ((_, last), _) in enumerate(runs):
        by_end.setdefault(last, []).append(index)
    best = [0.0] + [-np.inf] * parts.count  # best[j]: the likeliest reading of atoms 1..j
    came_from: list[int | None] = [None] * (parts.count + 1)  # the run ending at j; None: j skipped
    for end in range(1, parts.count + 1):
        if oversegment.is_mark(parts, end):  # a dot or a dash may be left out
            best[end], came_from[end] = best[end - 1] + SKIP_MARK, None
        for index in by_end.get(end, []):
            first = runs[index][0][0]
            if best[first - 1] + scores[index] > best[end]:
                best[end], came_from[end] = best[first - 1] + float(scores[index]), index
    chosen, end = [], parts.count
    while end > 0:
        index = came_from[end]
        if index is None:
            end -= 1
            continue
        chosen.append(index)
        end = runs[index][0][0] - 1
    chosen.reverse()
    return chosen


def best_model() -> str:
    """The most accurate trained model (by MNIST test accuracy when tested), else the first one."""
    names = models.available_models()
    trained = [name for name in names if models.is_trained(name)]
    if not trained:
        return names[0]
    return max(trained, key=lambda name: evaluation.known_accuracy(name) or -1.0)


def _unshrunk(box: Box, shrink: float, inked: np.ndarray, offset: tuple[int, int]) -> Box:
    """A box in the shrunk ink -> working pixels: tightened to the unshrunk ink ``inked``
    (which began at ``offset``, x and y, in the working image) it covers."""
    x0, y0, x1, y1 = box
    x0, y0 = math.floor(x0 / shrink), math.floor(y0 / shrink)
    x1, y1 = min(inked.shape[1], math.ceil(x1 / shrink)), min(inked.shape[0], math.ceil(y1 / shrink))
    region = inked[y0:y1, x0:x1] > 0
    rows, cols = np.flatnonzero(region.any(axis=1)), np.flatnonzero(region.any(axis=0))
    if len(rows):
        x0, y0, x1, y1 = x0 + int(cols[0]), y0 + int(rows[0]), x0 + int(cols[-1]) + 1, y0 + int(rows[-1]) + 1
    return (offset[0] + x0, offset[1] + y0, offset[0] + x1, offset[1] + y1)


def _to_input(box: Box, scale: float, work_size: tuple[int, int]) -> Box:
    """A box in working pixels -> the input's pixels (the photo may have been shrunk by ``scale``)."""
    width, height = (round(side / scale) for side in work_size)
    x0, y0, x1, y1 = box
    return (max(0, math.floor(x0 / scale)), max(0, math.floor(y0 / scale)),
            min(width, math.ceil(x1 / scale)), min(height, math.ceil(y1 / scale)))
