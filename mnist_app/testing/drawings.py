"""Drawings for classroom tests and benchmarks: canvas-like RGBA pictures of simple digits."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

SIDE = 280


def canvas_digit(digit: int, *, side: int = SIDE, shift: int = 0) -> np.ndarray:
    """An RGBA uint8 picture like the drawing canvas sends: white strokes of a 0, 1 or 7 on black.

    Other digits fall back to a 1; ``shift`` moves the strokes (a different drawing, same digit).
    """
    picture = Image.new("RGBA", (side, side), (0, 0, 0, 255))
    pen = ImageDraw.Draw(picture)
    scale = side / SIDE
    width = max(2, int(22 * scale))
    s = shift

    def at(x: float, y: float) -> tuple[float, float]:
        return ((x + s) * scale, y * scale)

    if digit == 0:
        pen.ellipse([*at(80, 40), *at(200, 240)], outline=(255, 255, 255, 255), width=width)
    elif digit == 7:
        pen.line([at(70, 50), at(210, 50), at(120, 240)], fill=(255, 255, 255, 255), width=width)
    else:
        pen.line([at(140, 40), at(140, 240)], fill=(255, 255, 255, 255), width=width)
    return np.asarray(picture)


def blank_canvas(side: int = SIDE) -> np.ndarray:
    """An RGBA canvas with no strokes (opaque black)."""
    picture = np.zeros((side, side, 4), dtype=np.uint8)
    picture[..., 3] = 255
    return picture
