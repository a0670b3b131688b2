"""``to_mnist`` and ``steps``: a drawing, step by step, into MNIST's 28x28 form."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image
from scipy import ndimage

from mnist_app.preprocess.images import as_array
from mnist_app.preprocess.ink import crop_to_ink, ink_map, match_pen_width, resize_to_box
from mnist_app.preprocess.normalise import BLUR_SIGMA, CENTRE, SIDE, deslant, soften

#: Bump whenever the output of ``to_mnist`` or ``prepare_training`` changes: the model
#: cache key includes it, so the models retrain on the new preprocessing.
PREPROCESS_VERSION = "4"
BOX = 20  # MNIST fits each digit's bounding box into 20x20


@dataclass(frozen=True)
class Step:
    """One intermediate image of the pipeline, for showing students what the model sees."""

    caption: str
    image: np.ndarray


@dataclass(frozen=True)
class Switches:
    """Which preprocessing steps run: all by default (exactly ``to_mnist``'s output).

    For the what-ifs: a class switches a step off to see what it is for. ``crop`` off fits
    the whole canvas; ``fit`` off stretches the crop to 20x20 (aspect ratio lost); ``centre``
    off leaves the digit where it was drawn (its place on the canvas, mapped into the frame);
    ``deslant``, ``blur`` and ``match_pen`` off skip those steps.
    """

    crop: bool = True
    fit: bool = True
    centre: bool = True
    deslant: bool = True
    blur: bool = True
    match_pen: bool = True


ALL_ON = Switches()


def to_mnist(image: object, switches: Switches = ALL_ON) -> np.ndarray:
    """Turn a drawing into an MNIST-style digit: float32 (28, 28) in [0, 1], 0 = background.

    ``image`` may be an RGBA uint8 array as the drawing canvas returns it (opaque or
    transparent background), RGB, greyscale 2-D, a PIL image or the bytes of an image
    file; 28 to 4000 pixels a side. The polarity is detected. The last step is
    ``normalise_digits``, which ``prepare_training`` applies to the training digits too.
    ``switches`` turns steps off (what-ifs); the default runs them all.

    Raises ``EmptyDrawingError`` when there is no ink (or only specks) and ``ValueError``
    with a plain explanation for anything that is not a usable image.
    """
    return _pipeline(image, record=None, switches=switches)


def steps(image: object, switches: Switches = ALL_ON) -> list[Step]:
    """The intermediate images of ``to_mnist(image, switches)`` in order, each with a short caption.

    The last step's image equals ``to_mnist(image, switches)``. Raises like ``to_mnist``.
    """
    recorded: list[Step] = []
    _pipeline(image, record=lambda caption, picture: recorded.append(Step(caption, picture)),
              switches=switches)
    return recorded


def centred_digit(image: object, *, match_pen: bool = True) -> np.ndarray:
    """``to_mnist`` without ``normalise_digits``: float32 (28, 28), centred as MNIST's.

    With ``match_pen=False`` also without ``match_pen_width``: the textbook recipe alone.
    For measuring what each step is worth (benchmarks/bench_preprocess.py).
    """
    switches = Switches(deslant=False, blur=False, match_pen=match_pen)
    return _pipeline(image, record=None, switches=switches, normalise=False)


Recorder = Callable[[str, np.ndarray], None] | None


def _pipeline(image: object, record: Recorder, switches: Switches, normalise: bool = True) -> np.ndarray:
    pixels = as_array(image)
    ink = ink_map(pixels)
    if record:
        record("Ink: how far each pixel is from the background", ink)
    if switches.crop:
        crop = crop_to_ink(ink)
        place = (0.5, 0.5) if switches.centre else _place_on_canvas(ink)
        if record:
            record("Cropped to the ink's bounding box", crop)
    else:
        crop, place = ink, (0.5, 0.5)
    if switches.match_pen:
        matched = match_pen_width(crop)
        if record and matched is not crop:
            record("Pen width brought into MNIST's range", matched)
        crop = matched
    fitted = _fit_box(crop) if switches.fit else _stretch_to_box(crop)
    if record:
        record("Fitted into 20x20, keeping the aspect ratio" if switches.fit
               else "Stretched to 20x20 (aspect ratio lost)", fitted)
    if switches.centre:
        centred = _centre_by_mass(fitted)
        if record:
            record("Pasted into 28x28, centre of mass in the middle", centred)
    else:
        centred = _paste_where_drawn(fitted, place)
        if record:
            record("Pasted into 28x28 where it was drawn (not centred)", centred)
    if not normalise:
        return centred
    # Exactly normalise_digits, one part at a time so each can be shown.
    straight = np.clip(centred, 0.0, 1.0)[np.newaxis]
    if switches.deslant:
        straight = _deslant_in_place(straight) if not switches.centre else deslant(straight)
        if record:
            record("Slant straightened (training digits too)", straight[0])
    digit = soften(straight, sigma=BLUR_SIGMA if switches.blur else 0.0)[0]
    if record:
        record("Softened: slight blur, strongest ink = 1 (training digits too)" if switches.blur
               else "Strongest ink = 1 (no blur)", digit)
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



def _stretch_to_box(crop: np.ndarray) -> np.ndarray:
    """Scale the crop to exactly 20x20, anti-aliased: the aspect ratio is lost (a what-if)."""
    stretched = Image.fromarray(np.ascontiguousarray(crop)).resize((BOX, BOX), Image.Resampling.BILINEAR)
    return np.clip(np.asarray(stretched, dtype=np.float32), 0.0, 1.0)


def _place_on_canvas(ink: np.ndarray) -> tuple[float, float]:
    """Where the ink's box sits on the canvas: 0 = touching the top/left edge, 1 = bottom/right."""
    rows = np.flatnonzero(ink.any(axis=1))
    cols = np.flatnonzero(ink.any(axis=0))
    free_rows = ink.shape[0] - (rows[-1] - rows[0] + 1)
    free_cols = ink.shape[1] - (cols[-1] - cols[0] + 1)
    return (rows[0] / free_rows if free_rows else 0.5, cols[0] / free_cols if free_cols else 0.5)


def _paste_where_drawn(fitted: np.ndarray, place: tuple[float, float]) -> np.ndarray:
    """Paste into 28x28 at the same relative place as on the canvas (no centring: a what-if)."""
    frame = np.zeros((SIDE, SIDE), dtype=np.float32)
    height, width = fitted.shape
    top, left = round(place[0] * (SIDE - height)), round(place[1] * (SIDE - width))
    frame[top : top + height, left : left + width] = fitted
    return frame


def _deslant_in_place(digits: np.ndarray) -> np.ndarray:
    """``deslant`` without its centring: the straightened digit is moved back where it was."""
    rows, cols = ndimage.center_of_mass(digits[0])
    straight = deslant(digits)
    return ndimage.shift(straight, (0, rows - CENTRE, cols - CENTRE), order=1, mode="constant", cval=0.0)
