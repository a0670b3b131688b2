"""What-ifs on the digit a model sees: shift, rotate, scale, a thinner or thicker pen.

Applied to the finished 28x28 digit (after every preprocessing step), so a student sees the
models' answers change with the very picture they get: what centring and fitting protect
the models from.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from skimage.morphology import disk

from mnist_app.preprocess.normalise import CENTRE

#: The pen changes work on the digit enlarged this much, so one step is half a pixel.
PEN_UPSAMPLE = 2


@dataclass(frozen=True)
class Changes:
    """What to change: pixels down/right, degrees anticlockwise, size factor, pen steps (+ thicker)."""

    down: float = 0.0
    right: float = 0.0
    rotate: float = 0.0
    scale: float = 1.0
    pen: int = 0

    @property
    def none(self) -> bool:
        """Whether nothing is changed."""
        return self == Changes()


def apply_changes(digit: np.ndarray, changes: Changes) -> np.ndarray:
    """The 28x28 digit (float in [0, 1]) moved, turned, resized and re-inked: float32 (28, 28)."""
    digit = np.asarray(digit, dtype=np.float32).reshape(28, 28)
    if changes.none:
        return digit
    if changes.scale <= 0:
        raise ValueError(f"the scale must be positive, got {changes.scale}")
    angle = np.deg2rad(changes.rotate)
    # Output pixel p samples the input at M @ (p - centre - shift) + centre: turn and resize about the centre.
    rotation = np.array([[np.cos(angle), np.sin(angle)], [-np.sin(angle), np.cos(angle)]])
    matrix = rotation / changes.scale
    centre = np.array([CENTRE, CENTRE])
    offset = centre - matrix @ (centre + np.array([changes.down, changes.right]))
    moved = ndimage.affine_transform(digit, matrix, offset=offset, order=1, mode="constant", cval=0.0)
    return np.clip(change_pen(moved, changes.pen), 0.0, 1.0).astype(np.float32)


def change_pen(digit: np.ndarray, steps: int) -> np.ndarray:
    """Thicker (steps > 0) or thinner (steps < 0) strokes, half a pixel per step."""
    if steps == 0:
        return digit
    big = ndimage.zoom(digit, PEN_UPSAMPLE, order=1)
    footprint = disk(abs(steps))
    big = ndimage.grey_dilation(big, footprint=footprint) if steps > 0 else ndimage.grey_erosion(
        big, footprint=footprint)
    return big.reshape(28, PEN_UPSAMPLE, 28, PEN_UPSAMPLE).mean(axis=(1, 3))
