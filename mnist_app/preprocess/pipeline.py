"""``to_mnist`` and ``steps``: a drawing, step by step, into MNIST's 28x28 form."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from mnist_app.preprocess.images import as_array
from mnist_app.preprocess.ink import crop_to_ink, ink_map, match_pen_width, resize_to_box
from mnist_app.preprocess.normalise import CENTRE, SIDE, deslant, soften

#: Bump whenever the output of ``to_mnist`` or ``prepare_training`` changes: the model
#: cache key includes it, so the models retrain on the new preprocessing.
PREPROCESS_VERSION = "4"
BOX = 20  # MNIST fits each digit's bounding box into 20x20


@dataclass(frozen=True)
class Step:
    """One intermediate image of the pipeline, for showing students what the model sees."""

    caption: str
    image: np.ndarray


def to_mnist(image: object) -> np.ndarray:
    """Turn a drawing into an MNIST-style digit: float32 (28, 28) in [0, 1], 0 = background.

    ``image`` may be an RGBA uint8 array as the drawing canvas returns it (opaque or
    transparent background), RGB, greyscale 2-D, a PIL image or the bytes of an image
    file; 28 to 4000 pixels a side. The polarity is detected. The last step is
    ``normalise_digits``, which ``prepare_training`` applies to the training digits too.

    Raises ``EmptyDrawingError`` when there is no ink (or only specks) and ``ValueError``
    with a plain explanation for anything that is not a usable image.
    """
    return _pipeline(image, record=None)


def steps(image: object) -> list[Step]:
    """The intermediate images of ``to_mnist(image)`` in order, each with a short caption.

    The last step's image equals ``to_mnist(image)``. Raises like ``to_mnist``.
    """
    recorded: list[Step] = []
    _pipeline(image, record=lambda caption, picture: recorded.append(Step(caption, picture)))
    return recorded


def centred_digit(image: object, *, match_pen: bool = True) -> np.ndarray:
    """``to_mnist`` without ``normalise_digits``: float32 (28, 28), centred as MNIST's.

    With ``match_pen=False`` also without ``match_pen_width``: the textbook recipe alone.
    For measuring what each step is worth (benchmarks/bench_preprocess.py).
    """
    return _pipeline(image, record=None, normalise=False, match_pen=match_pen)


Recorder = Callable[[str, np.ndarray], None] | None


def _pipeline(image: object, record: Recorder, normalise: bool = True, match_pen: bool = True) -> np.ndarray:
    pixels = as_array(image)
    ink = ink_map(pixels)
    if record:
        record("Ink: how far each pixel is from the background", ink)
    crop = crop_to_ink(ink)
    if record:
        record("Cropped to the ink's bounding box", crop)
    if match_pen:
        matched = match_pen_width(crop)
        if record and matched is not crop:
            record("Pen width brought into MNIST's range", matched)
        crop = matched
    fitted = _fit_box(crop)
    if record:
        record("Fitted into 20x20, keeping the aspect ratio", fitted)
    centred = _centre_by_mass(fitted)
    if record:
        record("Pasted into 28x28, centre of mass in the middle", centred)
    if not normalise:
        return centred
    # Exactly normalise_digits, one part at a time so each can be shown.
    straight = deslant(np.clip(centred, 0.0, 1.0)[np.newaxis])
    if record:
        record("Slant straightened (training digits too)", straight[0])
    digit = soften(straight)[0]
    if record:
        record("Softened: slight blur, strongest ink = 1 (training digits too)", digit)
    return digit


def _fit_box(crop: np.ndarray) -> np.ndarray:
    """Scale the crop so its longer side is 20 pixels, anti-aliased (area-weighted)."""
    return resize_to_box(crop, BOX)


def _centre_by_mass(fitted: np.ndarray) -> np.ndarray:
    """Paste into 28x28 and move the centre of mass to (14, 14) by whole pixels, as MNIST did."""
    frame = np.zeros((SIDE, SIDE), dtype=np.float32)
    height, width = fitted.shape
    top, left = (SIDE - height) // 2, (SIDE - width) // 2
    frame[top : top + height, left : left + width] = fitted
    row, col = ndimage.center_of_mass(frame)
    shift = (round(CENTRE - row), round(CENTRE - col))
    return ndimage.shift(frame, shift, order=0, mode="constant", cval=0.0)

