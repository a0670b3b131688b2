"""Whole numbers: read "2026" from a drawing or a photo, digit by digit, left to right.

    from mnist_app import numbers
    r = numbers.read_number(image, name=None)   # image: anything to_mnist accepts
    r.text, r.digits, r.boxes, r.confidences

The ink is found as for a photo (``preprocess.photo.photo_ink``: a drawing's flat
background goes to ``ink_map``), split into digits (:mod:`mnist_app.segment`), and every
digit goes through ``preprocess.to_mnist`` and ``models.predict_digits`` like a drawing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mnist_app import evaluation, models, segment
from mnist_app.photos import padded
from mnist_app.preprocess.ink import INK_FLOOR, EmptyDrawingError
from mnist_app.preprocess.photo import photo_ink
from mnist_app.preprocess.photo_files import load_photo
from mnist_app.preprocess.pipeline import to_mnist

Box = segment.Box


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
    kept: list[segment.DigitPiece] = []
    digit_images: list[np.ndarray] = []
    probabilities: list[np.ndarray] = []
    for options in segment.split_options(ink):
        pieces, images, answers = _best_option(options, name)
        kept += pieces
        digit_images += images
        probabilities += list(answers)
    if not kept:
        raise EmptyDrawingError("No digit found: write or draw a number first.")
    predictions = [models.Prediction(name, int(np.argmax(row)), row) for row in probabilities]
    size = (pixels.shape[1], pixels.shape[0])
    return NumberReading(
        text="".join(str(prediction.label) for prediction in predictions),
        digits=[prediction.label for prediction in predictions],
        boxes=[_to_input(piece.box, scale, size) for piece in kept],
        confidences=[prediction.confidence for prediction in predictions],
        model=name,
        predictions=predictions,
        digit_images=digit_images,
    )


def _best_option(options: list[list[segment.DigitPiece]], name: str
                 ) -> tuple[list[segment.DigitPiece], list[np.ndarray], np.ndarray]:
    """Of the ways to cut a group of strokes, the one whose digits the model is surest of.

    Returns its pieces, their 28x28 digits and the model's probabilities (one batch for all).
    """
    prepared = []
    for option in options:
        pieces, images = [], []
        for piece in option:
            try:
                images.append(to_mnist(padded(piece.ink)))
            except EmptyDrawingError:  # a piece that is only specks once cropped
                continue
            pieces.append(piece)
        if pieces:
            prepared.append((pieces, images))
    if not prepared:
        return [], [], np.zeros((0, 10))
    answers = models.predict_digits(np.stack([image for _, images in prepared for image in images]), name)
    best, best_score, start = 0, -np.inf, 0
    for index, (pieces, _) in enumerate(prepared):
        rows = answers[start : start + len(pieces)]
        start += len(pieces)
        # Same number of digits in every option but one: compare the mean surety (log).
        score = float(np.mean(np.log(np.maximum(rows.max(axis=1), 1e-9))))
        if score > best_score + 1e-9:
            best, best_score = index, score
    offset = sum(len(pieces) for pieces, _ in prepared[:best])
    pieces, images = prepared[best]
    return pieces, images, answers[offset : offset + len(pieces)]


def best_model() -> str:
    """The most accurate trained model (by MNIST test accuracy when tested), else the first one."""
    names = models.available_models()
    trained = [name for name in names if models.is_trained(name)]
    if not trained:
        return names[0]
    return max(trained, key=lambda name: evaluation.known_accuracy(name) or -1.0)


def _to_input(box: Box, scale: float, work_size: tuple[int, int]) -> Box:
    """A box in working pixels -> the input's pixels (the photo may have been shrunk by ``scale``)."""
    width, height = (round(side / scale) for side in work_size)
    x0, y0, x1, y1 = box
    return (max(0, math.floor(x0 / scale)), max(0, math.floor(y0 / scale)),
            min(width, math.ceil(x1 / scale)), min(height, math.ceil(y1 / scale)))
