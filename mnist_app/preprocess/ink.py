"""Ink: where the strokes are, whatever the colours, without specks; pen width matched to MNIST's."""

from __future__ import annotations

import numpy as np
from PIL import Image
from scipy import ndimage
from skimage.morphology import disk, skeletonize

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


class EmptyDrawingError(ValueError):
    """There is nothing to recognise: a blank canvas, or only specks below the noise threshold."""


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


def crop_to_ink(ink: np.ndarray) -> np.ndarray:
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
    work = resize_to_box(crop, PEN_BOX)
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
    return crop_to_ink(matched)


def resize_to_box(crop: np.ndarray, box: int) -> np.ndarray:
    """Scale so the longer side is ``box`` pixels, anti-aliased, keeping the aspect ratio."""
    height, width = crop.shape
    scale = box / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))  # PIL wants (w, h)
    # PIL's resampling filters widen with the scale factor when shrinking, so BILINEAR
    # averages over the source area: the grey edges of MNIST's anti-aliasing.
    resized = Image.fromarray(np.ascontiguousarray(crop)).resize(size, Image.Resampling.BILINEAR)
    return np.clip(np.asarray(resized, dtype=np.float32), 0.0, 1.0)

