"""From a drawing to an MNIST digit: the preprocessing every model input goes through.

MNIST digits were made a particular way: the digit's bounding box was fitted into 20x20
pixels keeping its aspect ratio, anti-aliased to grey levels, then pasted into a 28x28
frame so that its centre of mass sits at the centre; light ink on a dark background.
A model recognises a drawn digit only if the drawing is put into that same form, so
``to_mnist`` does exactly that to any image:

1. ink map: find the background (the most common colour along the border), measure how
   far each pixel is from it (so light-on-dark, dark-on-light, any stroke colour and
   strokes on a transparent background all give the same map), drop specks;
2. crop to the ink's bounding box; if the pen is far thicker or thinner than MNIST's
   (relative to the digit's size), thin or thicken the strokes into MNIST's range
   (``match_pen_width``; drawings only, MNIST digits define that range);
3. fit into 20x20 keeping the aspect ratio, anti-aliased;
4. paste into 28x28 with the centre of mass at the centre (as MNIST did: whole pixels);
5. ``normalise_digits``: the refinement applied to the training digits too: straighten
   the slant (deskew) and blur slightly, strongest ink = 1 (measured to help).

``prepare_training`` runs step 5 on MNIST itself, so that the models are trained on
digits that look like what ``to_mnist`` makes of a drawing. Both go through the one
function ``normalise_digits``; change it and bump ``PREPROCESS_VERSION``.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image, UnidentifiedImageError
from scipy import ndimage
from skimage.morphology import disk, skeletonize

#: Bump whenever the output of ``to_mnist`` or ``prepare_training`` changes: the model
#: cache key includes it, so the models retrain on the new preprocessing.
PREPROCESS_VERSION = "4"

SIDE = 28  # MNIST frame
BOX = 20  # MNIST fits each digit's bounding box into 20x20
MIN_SIDE = 28
MAX_SIDE = 4000
#: MNIST's centre of mass lies at (14, 14) in row/column pixel coordinates (measured:
#: mean 13.99, 14.00 over the training set, spread 0.29 = the rounding of whole-pixel shifts).
CENTRE = 14.0

#: Contrast (0-1) below which there is no ink at all, only a flat or faint image.
MIN_CONTRAST = 0.12
#: Ink below this fraction of the strongest ink is background noise (paper grain, JPEG).
INK_FLOOR = 0.2
#: A blob whose extent is below this fraction of the image's longer side is a speck.
SPECK_FRACTION = 0.025
#: A blob far smaller than the main stroke (area and extent) is a stray dot, not a part.
STRAY_AREA_FRACTION = 0.08
STRAY_EXTENT_FRACTION = 0.3
#: ``match_pen_width``: stroke width / digit size of 98% of MNIST digits (1st-99th
#: percentile, measured on 3,000 training digits), and their median.
MNIST_PEN_RANGE = (0.075, 0.29)
MNIST_PEN = 0.14
PEN_BOX = 40  # the width is measured on the digit fitted into 40x40
TRAINING_CHUNK = 2000
#: ``deslant``: the largest shear applied (1 = 45 degrees).
MAX_SHEAR = 1.0
#: ``soften``: Gaussian blur in 28x28 pixels.
BLUR_SIGMA = 0.7


class EmptyDrawingError(ValueError):
    """There is nothing to recognise: a blank canvas, or only specks below the noise threshold."""


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


def prepare_training(images: np.ndarray) -> np.ndarray:
    """MNIST images uint8 (n, 28, 28) -> float32 (n, 784) in [0, 1], what models train on.

    Scales to [0, 1] and applies ``normalise_digits``, the same refinement ``to_mnist``
    applies to a drawing, so that training digits and drawn digits look alike.
    """
    images = np.asarray(images)
    if images.ndim != 3 or images.shape[1:] != (SIDE, SIDE):
        raise ValueError(f"prepare_training expects images of shape (n, 28, 28), got {images.shape}")
    if images.dtype != np.uint8:
        raise ValueError(f"prepare_training expects uint8 images (0-255), got dtype {images.dtype}")
    prepared = np.empty((len(images), SIDE * SIDE), dtype=np.float32)
    # In chunks: the deslant's sampling grid for all 60,000 digits at once would take gigabytes.
    for start in range(0, len(images), TRAINING_CHUNK):
        chunk = images[start : start + TRAINING_CHUNK].astype(np.float32) / np.float32(255)
        prepared[start : start + len(chunk)] = normalise_digits(chunk).reshape(len(chunk), -1)
    return prepared


def normalise_digits(digits: np.ndarray) -> np.ndarray:
    """The refinement shared by training digits and drawings: float32 (n, 28, 28) in [0, 1].

    Used by both ``to_mnist`` and ``prepare_training``, so that what the models learn from
    and what they are shown are made the same way: ``deslant`` (straighten the slant), then
    ``soften`` (a slight blur, strongest ink = 1). Each was kept because it measurably
    helped both on MNIST test and on drawn digits (docs/benchmarks.md).
    """
    return soften(deslant(np.clip(digits, 0.0, 1.0).astype(np.float32, copy=False)))


def deslant(digits: np.ndarray) -> np.ndarray:
    """Shear each digit (n, 28, 28) so its main axis is vertical, centre of mass at (14, 14).

    The classic MNIST deskew: the shear is the ratio of the ink's row/column covariance to
    its row variance (clipped to 45 degrees, so a flat stroke is not smeared sideways).
    """
    count = len(digits)
    rows, cols = np.mgrid[:SIDE, :SIDE].astype(np.float32)
    mass = np.maximum(digits.sum(axis=(1, 2)), 1e-6)
    row_mean = (digits * rows).sum(axis=(1, 2)) / mass
    col_mean = (digits * cols).sum(axis=(1, 2)) / mass
    row_var = (digits * (rows - row_mean[:, None, None]) ** 2).sum(axis=(1, 2)) / mass
    covariance = (digits * (rows - row_mean[:, None, None]) * (cols - col_mean[:, None, None])).sum(
        axis=(1, 2)) / mass
    shear = np.clip(covariance / np.maximum(row_var, 1e-6), -MAX_SHEAR, MAX_SHEAR)
    # Output pixel (r, c) samples the input at (r - 14 + row_mean, c - 14 + col_mean + shear * (r - 14)).
    source_rows = rows[None] - CENTRE + row_mean[:, None, None]
    source_cols = cols[None] - CENTRE + col_mean[:, None, None] + shear[:, None, None] * (rows[None] - CENTRE)
    index = np.broadcast_to(np.arange(count, dtype=np.float32)[:, None, None], source_rows.shape)
    straight = ndimage.map_coordinates(digits, [index, source_rows, source_cols], order=1, mode="constant")
    return np.clip(straight, 0.0, 1.0).astype(np.float32, copy=False)


def soften(digits: np.ndarray, sigma: float = BLUR_SIGMA) -> np.ndarray:
    """Blur each digit (n, 28, 28) slightly and scale it so its strongest ink is 1.

    Evens out the difference between thin and thick, faint and strong strokes.
    """
    blurred = ndimage.gaussian_filter(digits, sigma=(0, sigma, sigma))
    peak = np.maximum(blurred.max(axis=(1, 2), keepdims=True), 1e-6)
    return np.clip(blurred / peak, 0.0, 1.0).astype(np.float32, copy=False)


# --- the pipeline ---------------------------------------------------------------------

Recorder = Callable[[str, np.ndarray], None] | None


def _pipeline(image: object, record: Recorder, normalise: bool = True, match_pen: bool = True) -> np.ndarray:
    pixels = _as_array(image)
    ink = ink_map(pixels)
    if record:
        record("Ink: how far each pixel is from the background", ink)
    crop = _crop_to_ink(ink)
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


def ink_map(pixels: np.ndarray) -> np.ndarray:
    """Validated pixels (H, W) or (H, W, C) uint8 -> float32 (H, W) ink in [0, 1], specks removed.

    Ink is the distance of each pixel's colour from the background colour, scaled so the
    strongest ink is 1; with a transparent background the ink is the alpha channel.
    """
    colour = pixels
    if pixels.ndim == 3 and pixels.shape[2] in (2, 4):  # grey+alpha or RGBA
        alpha = pixels[..., -1]
        if alpha.min() != alpha.max():  # some transparency: the strokes are what is opaque
            colour = alpha
        else:
            colour = pixels[..., :-1]
    if colour.ndim == 2:
        colour = colour[..., np.newaxis]
    background = _background_colour(colour)
    # Channel by channel: numpy's max over a short last axis is ten times slower.
    distance = np.maximum.reduce(
        [np.abs(colour[..., c].astype(np.int16) - background[c]) for c in range(colour.shape[2])]
    ).astype(np.float32)
    contrast = float(distance.max()) / 255.0
    if contrast < MIN_CONTRAST:
        raise EmptyDrawingError("The drawing is empty: draw a digit first.")
    ink = distance / np.float32(distance.max())
    ink[ink < INK_FLOOR] = 0.0
    return _remove_specks(ink)


def _background_colour(colour: np.ndarray) -> np.ndarray:
    # The border is mostly background even when the digit fills the canvas.
    border = np.concatenate([colour[0], colour[-1], colour[1:-1, 0], colour[1:-1, -1]])
    return np.median(border, axis=0).astype(np.int16)


def _remove_specks(ink: np.ndarray) -> np.ndarray:
    inked = ink > 0
    rows, cols = np.flatnonzero(inked.any(axis=1)), np.flatnonzero(inked.any(axis=0))
    if len(rows) == 0:
        raise EmptyDrawingError("The drawing is empty: draw a digit first.")
    # Label only the box around the ink: most of a canvas is empty, and labelling is the slow part.
    box = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))
    labels, count = ndimage.label(inked[box], structure=np.ones((3, 3)))
    boxes = ndimage.find_objects(labels)
    extents = np.array([max(r.stop - r.start, c.stop - c.start) for r, c in boxes])
    areas = np.bincount(labels.ravel(), minlength=count + 1)[1:]
    speck = max(3.0, SPECK_FRACTION * max(ink.shape))
    largest = int(np.argmax(areas))
    stray = (areas < STRAY_AREA_FRACTION * areas[largest]) & (
        extents < STRAY_EXTENT_FRACTION * extents[largest]
    )
    keep = (extents >= speck) & ~stray
    if not keep.any():
        raise EmptyDrawingError(
            "Only a few specks were found: draw a bigger digit (the specks are treated as noise)."
        )
    if keep.all():
        return ink
    cleaned = ink.copy()
    cleaned[box][~np.concatenate([[False], keep])[labels]] = 0.0
    return cleaned


def _crop_to_ink(ink: np.ndarray) -> np.ndarray:
    rows = np.flatnonzero(ink.any(axis=1))
    cols = np.flatnonzero(ink.any(axis=0))
    return ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def match_pen_width(crop: np.ndarray) -> np.ndarray:
    """Thin a drawing's strokes that are much thicker than MNIST's, thicken much thinner ones.

    ``crop``: ink (H, W) cropped to its bounding box. The stroke width relative to the
    digit's size is estimated as ink mass / skeleton length on a copy fitted into 40x40.
    98% of MNIST digits lie in ``MNIST_PEN_RANGE`` (measured with this estimator); a
    drawing inside it is returned unchanged (the same object), one outside it is eroded or
    dilated towards MNIST's median ``MNIST_PEN``. This step is for drawings only: MNIST
    digits define the range, so the training digits need no such change.
    """
    work = _resize_to_box(crop, PEN_BOX)
    work = np.pad(work, PEN_BOX // 8)  # room to thicken
    skeleton_length = int(skeletonize(work > 0.5).sum())
    if skeleton_length == 0:  # too faint to measure: leave it to the later steps
        return crop
    width = float(work.sum()) / skeleton_length
    relative = width / PEN_BOX
    if MNIST_PEN_RANGE[0] <= relative <= MNIST_PEN_RANGE[1]:
        return crop
    # Capped: a filled blob has a one-point skeleton and a huge "width" (and a huge disk is slow).
    radius = min(round(abs(width - MNIST_PEN * PEN_BOX) / 2), PEN_BOX // 6)
    if radius < 1:
        return crop
    if relative > MNIST_PEN_RANGE[1]:
        matched = ndimage.grey_erosion(work, footprint=disk(radius))
        if (matched > 0.5).sum() < 0.3 * (work > 0.5).sum():  # a blob: thinning would erase it
            return crop
    else:
        matched = ndimage.grey_dilation(work, footprint=disk(radius))
    matched[matched < INK_FLOOR] = 0.0
    if not matched.any():
        return crop
    return _crop_to_ink(matched)


def _resize_to_box(crop: np.ndarray, box: int) -> np.ndarray:
    """Scale so the longer side is ``box`` pixels, anti-aliased, keeping the aspect ratio."""
    height, width = crop.shape
    scale = box / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))  # PIL wants (w, h)
    # PIL's resampling filters widen with the scale factor when shrinking, so BILINEAR
    # averages over the source area: the grey edges of MNIST's anti-aliasing.
    resized = Image.fromarray(np.ascontiguousarray(crop)).resize(size, Image.Resampling.BILINEAR)
    return np.clip(np.asarray(resized, dtype=np.float32), 0.0, 1.0)


def _fit_box(crop: np.ndarray) -> np.ndarray:
    """Scale the crop so its longer side is 20 pixels, anti-aliased (area-weighted)."""
    return _resize_to_box(crop, BOX)


def _centre_by_mass(fitted: np.ndarray) -> np.ndarray:
    """Paste into 28x28 and move the centre of mass to (14, 14) by whole pixels, as MNIST did."""
    frame = np.zeros((SIDE, SIDE), dtype=np.float32)
    height, width = fitted.shape
    top, left = (SIDE - height) // 2, (SIDE - width) // 2
    frame[top : top + height, left : left + width] = fitted
    row, col = ndimage.center_of_mass(frame)
    shift = (round(CENTRE - row), round(CENTRE - col))
    return ndimage.shift(frame, shift, order=0, mode="constant", cval=0.0)


# --- input validation -----------------------------------------------------------------


def _as_array(image: object) -> np.ndarray:
    """Any accepted input -> a uint8 array (H, W) or (H, W, C), or a ValueError that says why."""
    if image is None:
        raise ValueError("No image was given (got None): draw a digit first.")
    if isinstance(image, (bytes, bytearray, memoryview)):
        image = _decode_image_bytes(bytes(image))
    if isinstance(image, Image.Image):
        image = _pil_to_array(image)
    if not isinstance(image, np.ndarray):
        raise ValueError(
            "Expected an image: a numpy array, a PIL image or the bytes of an image file, "
            f"not a {type(image).__name__}."
        )
    return _validated(image)


def _decode_image_bytes(data: bytes) -> Image.Image:
    if not data:
        raise ValueError("The image file is empty (0 bytes).")
    try:
        picture = Image.open(io.BytesIO(data))
        _check_size(picture.height, picture.width)  # before decoding any pixels
        picture.load()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as error:
        raise ValueError(
            "These bytes are not an image file that can be read (PNG, JPEG, ... expected)."
        ) from error
    return picture


def _pil_to_array(picture: Image.Image) -> np.ndarray:
    _check_size(picture.height, picture.width)
    has_alpha = picture.mode in ("RGBA", "LA", "PA") or "transparency" in picture.info
    if picture.mode not in ("L", "RGB", "RGBA"):
        picture = picture.convert("RGBA" if has_alpha else "RGB")
    return np.asarray(picture)


def _validated(array: np.ndarray) -> np.ndarray:
    if array.ndim not in (2, 3):
        raise ValueError(
            f"Expected a 2-D greyscale image or a 3-D colour image (height, width, channels), "
            f"got an array with {array.ndim} dimension(s) and shape {array.shape}."
        )
    if array.size == 0:
        raise ValueError(f"The image is empty (shape {array.shape}).")
    if array.ndim == 3 and array.shape[2] not in (1, 2, 3, 4):
        raise ValueError(
            f"A colour image needs 1, 2, 3 or 4 channels (grey, grey+alpha, RGB, RGBA) in its "
            f"last dimension, got shape {array.shape}."
        )
    _check_size(array.shape[0], array.shape[1])
    return _as_uint8(array)


def _check_size(height: int, width: int) -> None:
    if min(height, width) < MIN_SIDE:
        raise ValueError(
            f"The image is too small ({height}x{width} pixels): it needs at least "
            f"{MIN_SIDE}x{MIN_SIDE}."
        )
    if max(height, width) > MAX_SIDE:
        raise ValueError(
            f"The image is too big ({height}x{width} pixels): at most {MAX_SIDE}x{MAX_SIDE} "
            "is accepted. Scale it down first."
        )


def _as_uint8(array: np.ndarray) -> np.ndarray:
    """uint8 as is; bool; integers 0-255; floats in [0, 1] (or 0-255); else a ValueError."""
    if array.dtype == np.uint8:
        return array
    if array.dtype == np.bool_:
        return array.astype(np.uint8) * np.uint8(255)
    if np.issubdtype(array.dtype, np.integer):
        low, high = int(array.min()), int(array.max())
        if low < 0 or high > 255:
            raise ValueError(
                f"Integer pixel values must lie in 0-255, got values from {low} to {high}."
            )
        return array.astype(np.uint8)
    if np.issubdtype(array.dtype, np.floating):
        if not np.isfinite(array).all():
            raise ValueError("The image contains NaN or infinite values.")
        low, high = float(array.min()), float(array.max())
        if low < 0 or high > 255:
            raise ValueError(
                f"Float pixel values must lie in [0, 1] (or 0-255), got values from {low:g} to {high:g}."
            )
        scale = 255.0 if high <= 1.0 else 1.0
        return np.round(array * scale).astype(np.uint8)
    raise ValueError(
        f"Pixels must be numbers (uint8 0-255 or floats in [0, 1]), not dtype {array.dtype}."
    )
