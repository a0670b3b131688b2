"""One digit in a photo of paper (or in a drawing): what the model sees, step by step.

``photo_steps`` shows how the ink is found in the photo (``preprocess.photo.photo_ink``),
which group of strokes is the digit (the one with the most ink: stray marks, remnants of
ruled lines and paper edges are left out, :func:`mnist_app.segment.main_digit`), then
``preprocess.steps`` of that digit, so its last image is what ``to_mnist`` gives the model.
"""

from __future__ import annotations

import numpy as np

from mnist_app import segment
from mnist_app.preprocess.ink import EmptyDrawingError
from mnist_app.preprocess.normalise import normalise_digits
from mnist_app.preprocess.photo import photo_ink
from mnist_app.preprocess.photo_files import load_photo
from mnist_app.preprocess.pipeline import Step, centred_digit, steps, to_mnist

#: The digit's ink is padded by this share of its longer side (a margin, as on a canvas).
PAD = 0.15


def photo_to_mnist(image: object) -> np.ndarray:
    """The digit in a photo (or drawing) as ``to_mnist`` makes it: float32 (28, 28) in [0, 1].

    Raises ``EmptyDrawingError`` when there is no digit, ``ValueError`` for an unusable file.
    """
    pixels, _ = load_photo(image)
    return to_mnist(padded(segment.main_digit(photo_ink(pixels)).ink))


def photo_steps(image: object) -> list[Step]:
    """The photo's steps, then ``preprocess.steps`` of its digit; the last image is the digit."""
    pixels, _ = load_photo(image)
    recorded: list[Step] = []
    ink = photo_ink(pixels, record=lambda caption, picture: recorded.append(Step(caption, picture)))
    digit = padded(segment.main_digit(ink).ink)
    recorded.append(Step("The digit: the group of strokes with the most ink", digit))
    return recorded + steps(digit)


def pieces_to_mnist(inks: list[np.ndarray]) -> tuple[np.ndarray, list[int]]:
    """``to_mnist(padded(ink))`` of many pieces of ink at once: float32 (m, 28, 28), and the
    indices of the pieces they come from (a piece that is only specks once cropped is left out).

    The same digits as one ``to_mnist`` call each, with its last step (``normalise_digits``)
    done once for the whole batch (a number's reader makes ~30 such digits per photo).
    """
    centred, kept = [], []
    for index, ink in enumerate(inks):
        try:
            centred.append(centred_digit(padded(ink)))
        except EmptyDrawingError:
            continue
        kept.append(index)
    if not centred:
        return np.zeros((0, 28, 28), np.float32), kept
    return normalise_digits(np.stack(centred)), kept


def padded(ink: np.ndarray) -> np.ndarray:
    """A digit's ink with a margin, at least 28 pixels a side (``to_mnist``'s smallest image)."""
    height, width = ink.shape
    margin = max(2, round(PAD * max(height, width)))
    rows = max(height + 2 * margin, 28) - height
    cols = max(width + 2 * margin, 28) - width
    framed = np.zeros((height + rows, width + cols), ink.dtype)  # np.pad, without its overhead
    framed[rows // 2 : rows // 2 + height, cols // 2 : cols // 2 + width] = ink
    return framed
