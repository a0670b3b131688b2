"""Whole numbers: digits split, merged and read left to right (numbers.read_number, mnist-app --number)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage

from mnist_app import cli, data, models, numbers, oversegment, preprocess, segment, synth

MODEL = "knn"
SIDE = 200  # each digit is drawn on a 200x200 canvas, then its columns of ink are kept


@pytest.fixture(scope="module")
def trained(mnist_dir: Path) -> str:
    models.get_model(MODEL, data_dir=mnist_dir)
    return MODEL


@pytest.fixture(scope="module")
def test_digits(mnist_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    return data.load_mnist("test", mnist_dir)


def drawn(digit28: np.ndarray) -> np.ndarray:
    """One MNIST digit enlarged, white on black, cropped to its columns of ink: RGBA (200, w, 4)."""
    canvas = synth.render_on_canvas(digit28, scale=0.7, centre=(SIDE / 2, SIDE / 2), size=SIDE)
    inked = np.flatnonzero(canvas[..., 0].max(axis=0) > 0)
    return canvas[:, inked[0] : inked[-1] + 1]


def compose(pieces: list[np.ndarray], gap: int) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Digits side by side ``gap`` pixels apart (negative: overlapping) on a black RGBA canvas;
    also each digit's column range."""
    width = sum(piece.shape[1] for piece in pieces) + gap * (len(pieces) - 1) + 80
    canvas = np.zeros((SIDE, max(width, SIDE), 4), np.uint8)
    canvas[..., 3] = 255
    left, spans = 40, []
    for piece in pieces:
        region = canvas[:, left : left + piece.shape[1], :3]
        np.maximum(region, piece[..., :3], out=region)  # overlapping strokes stay ink
        spans.append((left, left + piece.shape[1]))
        left += piece.shape[1] + gap
    return canvas, spans


def alone(piece: np.ndarray) -> int:
    """The model's answer for the digit drawn alone on a square canvas (what a number's digit should get)."""
    square = np.zeros((SIDE, SIDE, 4), np.uint8)
    square[..., 3] = 255
    left = (SIDE - piece.shape[1]) // 2
    square[:, left : left + piece.shape[1]] = piece
    return models.predict(square, MODEL).label


def blobs(canvas: np.ndarray) -> int:
    return ndimage.label(preprocess.ink_map(canvas) > 0, np.ones((3, 3)))[1]


def pick(labels: np.ndarray, wanted: list[int], skip: int = 0) -> list[int]:
    return [int(np.flatnonzero(labels == digit)[skip]) for digit in wanted]


@pytest.mark.parametrize("text", ["7", "20", "409", "2026", "31415", "863052"])
def test_numbers_of_one_to_six_digits_are_read_left_to_right(trained: str, test_digits, text: str) -> None:
    images, labels = test_digits
    pieces = [drawn(images[index]) for index in pick(labels, [int(c) for c in text])]
    canvas, spans = compose(pieces, gap=25)
    reading = numbers.read_number(canvas, MODEL)
    assert reading.digits == [alone(piece) for piece in pieces]
    assert reading.text == "".join(map(str, reading.digits)) and reading.model == MODEL
    assert len(reading.boxes) == len(reading.confidences) == len(text)
    for (x0, y0, x1, y1), (left, right), confidence in zip(reading.boxes, spans, reading.confidences,
                                                           strict=True):
        assert left - 2 <= x0 < x1 <= right + 2 and 0 <= y0 < y1 <= SIDE  # its own digit, in pixels
        assert 0.0 <= confidence <= 1.0


@pytest.mark.parametrize("pair", [[0, 3], [2, 8], [5, 6], [4, 7]])
def test_touching_digits_are_split(trained: str, test_digits, pair: list[int]) -> None:
    images, labels = test_digits
    pieces = [drawn(images[index]) for index in pick(labels, pair, skip=1)]
    gap = 0
    while blobs(compose(pieces, gap)[0]) > 1:  # closer until the strokes touch: one blob
        gap -= 2
    canvas, _ = compose(pieces, gap)
    reading = numbers.read_number(canvas, MODEL)
    assert len(reading.digits) == 2
    assert reading.digits == [alone(piece) for piece in pieces]


def test_a_broken_digit_is_merged_into_one(trained: str, test_digits) -> None:
    images, labels = test_digits
    pieces = [drawn(images[index]) for index in pick(labels, [5, 7, 4])]
    canvas, _ = compose(pieces, gap=30)
    whole = numbers.read_number(canvas, MODEL)
    broken = canvas.copy()
    broken[95:101, :, :3] = 0  # a pen lifted across the middle of every digit
    assert len(segment.split_digits(preprocess.ink_map(canvas))) == 3
    reading = numbers.read_number(broken, MODEL)
    assert len(reading.digits) == 3
    assert reading.text == whole.text


def test_boxes_are_in_the_inputs_pixels_when_a_photo_is_shrunk(trained: str, test_digits) -> None:
    images, labels = test_digits
    pieces = [drawn(images[index]) for index in pick(labels, [1, 2, 3])]
    canvas, spans = compose(pieces, gap=40)
    big = np.kron(canvas, np.ones((6, 6, 1), np.uint8))  # 6x bigger than the working size allows
    small = numbers.read_number(canvas, MODEL)
    large = numbers.read_number(big, MODEL)
    assert large.text == small.text
    for (x0, _, x1, _), (left, right) in zip(large.boxes, spans, strict=True):
        assert 6 * left - 12 <= x0 < x1 <= 6 * right + 12


def test_no_digit_and_dozens_of_blobs_get_clear_errors(trained: str) -> None:
    blank = np.zeros((300, 600, 4), np.uint8)
    blank[..., 3] = 255
    with pytest.raises(preprocess.EmptyDrawingError):
        numbers.read_number(blank, MODEL)
    dots = blank.copy()
    for row in range(20, 280, 40):
        for col in range(20, 580, 40):
            dots[row : row + 20, col : col + 20, :3] = 255
    with pytest.raises(ValueError, match="separate marks"):
        numbers.read_number(dots, MODEL)


def test_the_default_model_is_the_best_trained_one(trained: str) -> None:
    best = numbers.best_model()
    assert models.is_trained(best)


def test_the_command_line_reads_a_number(trained: str, test_digits, tmp_path: Path, capsys) -> None:
    from PIL import Image

    images, labels = test_digits
    pieces = [drawn(images[index]) for index in pick(labels, [4, 0, 4])]
    canvas, _ = compose(pieces, gap=30)
    path = tmp_path / "number.png"
    Image.fromarray(canvas).save(path)
    expected = numbers.read_number(canvas, MODEL).text
    assert cli.main(["predict", str(path), "--number", "--model", MODEL]) == 0
    assert f" {expected}  (" in capsys.readouterr().out
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    assert cli.main(["predict", str(broken), "--number", "--model", MODEL]) == 1
    assert "not an image" in capsys.readouterr().err


def stretched(piece: np.ndarray, factor: float) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.fromarray(piece).resize((round(piece.shape[1] * factor), piece.shape[0])))


@pytest.mark.parametrize("pair", [[2, 7], [0, 3]])
def test_digits_whose_strokes_cross_are_split(trained: str, test_digits, pair: list[int]) -> None:
    images, labels = test_digits
    pieces = [drawn(images[index]) for index in pick(labels, pair, skip=1)]
    gap = 0
    while blobs(compose(pieces, gap)[0]) > 1:
        gap -= 2
    canvas, spans = compose(pieces, gap - 12)  # 12 pixels further: the strokes cross, not just touch
    assert spans[1][0] < spans[0][1] - 12 and blobs(canvas) == 1
    reading = numbers.read_number(canvas, MODEL)
    assert reading.digits == [alone(piece) for piece in pieces]


@pytest.mark.parametrize("trio", [[2, 0, 6], [3, 8, 0]])
def test_digits_broken_down_their_middle_are_merged(trained: str, test_digits, trio: list[int]) -> None:
    images, labels = test_digits
    pieces = [drawn(images[index]) for index in pick(labels, trio)]
    canvas, spans = compose(pieces, gap=30)
    broken = canvas.copy()
    for left, right in spans:  # a pen lifted down the middle of every digit: its two halves apart
        middle = (left + right) // 2
        broken[:, middle - 2 : middle + 2, :3] = 0
    assert blobs(broken) >= 6
    assert numbers.read_number(broken, MODEL).text == numbers.read_number(canvas, MODEL).text == "".join(
        str(alone(piece)) for piece in pieces)


@pytest.mark.parametrize(("digit", "factor"), [(0, 1.3), (0, 1.5), (8, 1.3), (8, 1.5)])
def test_a_wide_zero_or_eight_is_one_digit(trained: str, test_digits, digit: int, factor: float) -> None:
    images, labels = test_digits
    piece = stretched(drawn(images[pick(labels, [digit], skip=2)[0]]), factor)
    canvas, _ = compose([piece], gap=0)
    assert numbers.read_number(canvas, MODEL).digits == [digit]


def test_touching_rings_are_parted_along_a_path_of_least_ink() -> None:
    from skimage.draw import disk

    ink = np.zeros((100, 190), np.float32)
    rings = []
    for centre in (50, 132):  # rings 8 pixels thick, touching along their sides (2 columns overlap)
        ring = np.zeros(ink.shape, bool)
        ring[disk((50, centre), 42, shape=ink.shape)] = True
        ring[disk((50, centre), 34, shape=ink.shape)] = False
        rings.append(ring)
        ink[ring] = 1.0
    parts = oversegment.atoms(ink)
    only_left, only_right = rings[0] & ~rings[1], rings[1] & ~rings[0]
    misplaced = []
    for last in range(1, parts.count):  # atoms 1..last left of a cut, the rest right of it
        left = (parts.labels >= 1) & (parts.labels <= last)
        misplaced.append(int((only_left & ~left).sum() + (only_right & left).sum()))
    assert min(misplaced) <= 0.01 * ink.sum()  # some cut parts the rings, at most a few pixels astray


def test_a_one_written_against_its_neighbour_stays_a_digit_of_its_own(
        trained: str, test_digits, monkeypatch: pytest.MonkeyPatch) -> None:
    images, labels = test_digits
    cases = []
    for second in (8, 4, 3, 0, 6, 9):
        for skip in range(2):
            pieces = [drawn(images[index]) for index in pick(labels, [1, second], skip=skip)]
            gap = 0
            while blobs(compose(pieces, gap)[0]) > 1:  # closer until the strokes touch: one blob
                gap -= 2
            cases.append((compose(pieces, gap)[0], [alone(piece) for piece in pieces]))
    right = sum(numbers.read_number(canvas, MODEL).digits == wanted for canvas, wanted in cases)
    monkeypatch.setattr(numbers, "SINGLE_WEIGHT", 0.0)  # the reader without the one-digit-or-not scorer
    monkeypatch.setattr(numbers, "SINGLE_BONUS", 0.0)
    right_without = sum(numbers.read_number(canvas, MODEL).digits == wanted for canvas, wanted in cases)
    assert right >= 10 and right > right_without, (right, right_without)


def test_a_zero_written_flat_and_wide_is_still_a_candidate_digit(monkeypatch) -> None:
    from skimage.draw import ellipse

    ink = np.zeros((80, 260), np.float32)
    ring = np.zeros(ink.shape, bool)  # a ring 1.5 times as wide as high, 6 pixels thick
    ring[ellipse(40, 90, 30, 45, shape=ink.shape)] = True
    ring[ellipse(40, 90, 24, 39, shape=ink.shape)] = False
    ink[ring] = 1.0
    ink[10:70, 200:206] = 1.0  # a 1 beside it
    parts = oversegment.atoms(ink)
    ring_atoms = sorted({int(label) for label in np.unique(parts.labels[ring]) if label})
    assert len(ring_atoms) > 1 and 90 > oversegment.MAX_DIGIT_ASPECT * parts.height  # cut: may be two digits
    whole = (ring_atoms[0], ring_atoms[-1])
    assert whole in oversegment.candidates(parts)  # ... yet the whole ring may be one digit
    assert (ring_atoms[0], ring_atoms[-1] + 1) not in oversegment.candidates(parts)  # not with the 1
    monkeypatch.setattr(oversegment, "WHOLE_BLOB_ASPECT", oversegment.MAX_DIGIT_ASPECT)
    assert whole not in oversegment.candidates(parts)


def test_a_one_written_across_its_neighbour_is_read_as_two_digits_more_often_with_crossing_pairs(
        trained: str, test_digits, monkeypatch: pytest.MonkeyPatch) -> None:
    images, labels = test_digits
    cases = []
    for second in (8, 4, 3, 0, 6, 9, 2, 5):
        for order in ((1, second), (second, 1)):
            pieces = [drawn(images[index]) for index in pick(labels, list(order))]
            gap = 0
            while blobs(compose(pieces, gap)[0]) > 1:  # closer until the strokes touch: one blob
                gap -= 2
            # 8 pixels further: the 1 runs into its neighbour, strokes crossing
            cases.append((compose(pieces, gap - 8)[0], [alone(piece) for piece in pieces]))
    right = sum(numbers.read_number(canvas, MODEL).digits == wanted for canvas, wanted in cases)
    monkeypatch.setattr(numbers, "CROSSING_PAIRS", False)
    right_without = sum(numbers.read_number(canvas, MODEL).digits == wanted for canvas, wanted in cases)
    assert right > right_without, (right, right_without)
