"""A low-resolution, blurred copy of a digit: a small digit in a phone photo, a thick felt pen, a blurry scan.

The digit's ink box is shrunk to a random low resolution by area averaging (each small
pixel the mean of the ink it covers, as a scanner or camera sensor does), sometimes after
thickening the strokes, then enlarged back by bilinear interpolation: the strokes come out
thick, soft and rounded, with the digit's fine detail gone. The result is fitted into
MNIST's 20x20 box in the 28x28 frame, as ``to_mnist`` fits a drawing. A pen effect of
``synth.styles`` (``low_resolution``).
"""

from __future__ import annotations

import numpy as np
from PIL import Image
from scipy import ndimage

SIDE = 28
BOX = 20  # MNIST fits each digit's bounding box into 20x20, as to_mnist does
#: The longer side of the digit at its lowest resolution, in pixels (MNIST's is 20).
LOW_SIDES = (8, 14)
#: How often the strokes are thickened first (a felt pen), and by how many pixels.
THICKEN_SHARE = 0.5
THICKEN_SIZES = (2, 3)
_INK_FLOOR = 0.05  # fainter pixels are not part of the digit's box


def _resized(image: np.ndarray, height: int, width: int, resample: Image.Resampling) -> np.ndarray:
    picture = Image.fromarray(np.ascontiguousarray(image, dtype=np.float32))
    return np.asarray(picture.resize((max(1, width), max(1, height)), resample), dtype=np.float32)


def low_resolution(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``digit`` (float (28, 28) in [0, 1]) seen at a random low resolution and enlarged back:
    float32 (28, 28) in [0, 1], its ink box fitted into 20x20 and centred."""
    rows = np.flatnonzero((digit > _INK_FLOOR).any(axis=1))
    cols = np.flatnonzero((digit > _INK_FLOOR).any(axis=0))
    if len(rows) == 0:
        return np.asarray(digit, dtype=np.float32).copy()
    crop = np.asarray(digit[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1], dtype=np.float32)
    if rng.random() < THICKEN_SHARE:
        size = int(rng.choice(THICKEN_SIZES))
        crop = ndimage.grey_dilation(np.pad(crop, size), size=(size, size))
    height, width = crop.shape
    low = int(rng.integers(LOW_SIDES[0], LOW_SIDES[1] + 1))
    scale = low / max(height, width)
    # PIL's BOX filter averages the covered area when shrinking; BILINEAR enlarges smoothly.
    small = _resized(crop, round(height * scale), round(width * scale), Image.Resampling.BOX)
    scale = BOX / max(small.shape)
    enlarged = _resized(small, round(small.shape[0] * scale), round(small.shape[1] * scale),
                        Image.Resampling.BILINEAR)
    enlarged = np.clip(enlarged / max(float(enlarged.max()), 1e-6), 0.0, 1.0)
    frame = np.zeros((SIDE, SIDE), dtype=np.float32)
    top, left = (SIDE - enlarged.shape[0]) // 2, (SIDE - enlarged.shape[1]) // 2
    frame[top : top + enlarged.shape[0], left : left + enlarged.shape[1]] = enlarged
    return frame
