"""The refinement shared by training digits and drawings, and varied copies of training digits.

``normalise_digits`` runs on every drawing (last step of ``to_mnist``) and on every MNIST
digit (``prepare_training``), so that what the models learn from and what they are shown
are made the same way. ``augment_digits`` makes thinner and thicker copies of training
digits, since people draw with pens of every width.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

SIDE = 28  # MNIST frame
#: MNIST's centre of mass lies at (14, 14) in row/column pixel coordinates (measured:
#: mean 13.99, 14.00 over the training set, spread 0.29 = the rounding of whole-pixel shifts).
CENTRE = 14.0
TRAINING_CHUNK = 2000
#: ``deslant``: the largest shear applied (1 = 45 degrees).
MAX_SHEAR = 1.0
#: ``soften``: Gaussian blur in 28x28 pixels.
BLUR_SIGMA = 0.7


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


#: Bump when ``augment_digits`` changes: models trained with it are retrained.
AUGMENT_VERSION = "1"


def augment_digits(images: np.ndarray, seed: int = 0, only: np.ndarray | None = None) -> np.ndarray:
    """A varied copy of MNIST digits uint8 (n, 28, 28): each one thinner or thicker.

    People draw with pens from hair-thin to very wide, MNIST's pen is one width. Each copy is
    eroded (thinner, only where enough ink survives), or dilated by 2x2 or 3x3 pixels.
    ``only``: indices of ``images`` whose copies are wanted (each as it is in the whole set's copy).
    """
    images = np.asarray(images, dtype=np.uint8)
    choice = np.random.default_rng(seed).integers(3, size=len(images))
    if only is not None:
        images, choice = images[np.asarray(only, dtype=np.int64)], choice[np.asarray(only, dtype=np.int64)]
    thinner = ndimage.grey_erosion(images, size=(1, 2, 2))
    thicker = ndimage.grey_dilation(images, size=(1, 2, 2))
    thickest = ndimage.grey_dilation(images, size=(1, 3, 3))
    # Erosion can wipe out a thin digit: keep it only when half the strong ink survives.
    survives = (thinner > 128).sum(axis=(1, 2)) >= 0.5 * (images > 128).sum(axis=(1, 2))
    choice[(choice == 0) & ~survives] = 1
    return np.where((choice == 0)[:, None, None], thinner,
                    np.where((choice == 1)[:, None, None], thicker, thickest))
