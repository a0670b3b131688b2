"""The class's digits as teaching data: checks with clear messages, and varied copies of each digit.

A few dozen class digits must count against 60,000 MNIST ones, so each is taught as many
varied copies: a small rotation, scale and shift, a thinner or thicker pen. Every copy is
then refined with ``preprocess.normalise_digits``, as every drawing is before a model sees
it (that re-centring undoes most of a shift, so rotations, scale and pen carry the variety).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from mnist_app import preprocess

SIDE = 28
#: The largest rotation (degrees), scale change and shift (pixels) of a varied copy.
MAX_ROTATION = 12.0
MAX_SCALE = 0.1
MAX_SHIFT = 1.5


class TeachingError(ValueError):
    """The class's digits cannot teach a model (none, too few, one label): the message says why."""


def check_teaching_data(digits: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``digits`` as float32 (n, 28, 28) in [0, 1] and ``labels`` as int64 (n,); or TeachingError."""
    digits = np.asarray(digits, dtype=np.float32)
    labels = np.asarray(labels)
    if digits.size == 0:
        raise TeachingError("The class has no digits yet: students save their drawings first, "
                            "then the models can learn from them.")
    if digits.ndim == 2 and digits.shape == (SIDE, SIDE):
        digits = digits[None]
    if digits.ndim == 2 and digits.shape[1] == SIDE * SIDE:
        digits = digits.reshape(-1, SIDE, SIDE)
    if digits.ndim != 3 or digits.shape[1:] != (SIDE, SIDE):
        raise TeachingError(f"digits must be 28x28 images as to_mnist makes them, got shape {digits.shape}")
    labels = labels.reshape(-1)
    if len(labels) != len(digits):
        raise TeachingError(f"{len(digits)} digits but {len(labels)} labels: give one label per digit")
    if not np.issubdtype(labels.dtype, np.integer) or labels.min() < 0 or labels.max() > 9:
        raise TeachingError("labels must be whole numbers from 0 to 9")
    if not np.all(np.isfinite(digits)):
        raise TeachingError("digits contain missing values (NaN or infinity)")
    if len(digits) < 2:
        raise TeachingError("The class has only one digit: save a few more (of at least two "
                            "different digits) before teaching the models.")
    if len(np.unique(labels)) < 2:
        raise TeachingError(f"Every digit the class saved is a {int(labels[0])}: save some other "
                            "digits too, or the models would learn that this class only writes "
                            f"{int(labels[0])}s.")
    return np.clip(digits, 0.0, 1.0), labels.astype(np.int64)


def varied_copies(digits: np.ndarray, copies: int, seed: int = 0) -> np.ndarray:
    """``copies`` varied copies of each digit (n, 28, 28) -> float32 (n * copies, 28, 28), normalised.

    Copy ``i`` of digit ``j`` is row ``j * copies + i``; the first copy of each is the digit
    itself (normalised), the others are rotated, scaled, shifted and re-penned at random.
    """
    rng = np.random.default_rng(seed)
    digits = np.asarray(digits, dtype=np.float32)
    out = np.empty((len(digits) * copies, SIDE, SIDE), dtype=np.float32)
    centre = np.array([(SIDE - 1) / 2, (SIDE - 1) / 2])
    for j, digit in enumerate(digits):
        out[j * copies] = digit
        for i in range(1, copies):
            angle = np.deg2rad(rng.uniform(-MAX_ROTATION, MAX_ROTATION))
            scale = 1.0 + rng.uniform(-MAX_SCALE, MAX_SCALE)
            cos, sin = np.cos(angle) / scale, np.sin(angle) / scale
            matrix = np.array([[cos, -sin], [sin, cos]])
            offset = centre - matrix @ centre + rng.uniform(-MAX_SHIFT, MAX_SHIFT, size=2)
            moved = ndimage.affine_transform(digit, matrix, offset=offset, order=1, mode="constant")
            out[j * copies + i] = repen(moved, int(rng.integers(4)))
    return preprocess.normalise_digits(out)


def repen(digit: np.ndarray, choice: int) -> np.ndarray:
    """The digit drawn with another pen: 0 thinner (when enough ink survives), 1 thicker, else as is."""
    if choice == 0:
        thinner = ndimage.grey_erosion(digit, size=(2, 2))
        if (thinner > 0.5).sum() >= 0.5 * (digit > 0.5).sum():
            return thinner
        return digit
    if choice == 1:
        return ndimage.grey_dilation(digit, size=(2, 2))
    return digit
