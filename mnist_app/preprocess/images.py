"""Input images: whatever a caller hands ``to_mnist``, as a validated uint8 array, or a plain error."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, UnidentifiedImageError

MIN_SIDE = 28
MAX_SIDE = 4000


def as_array(image: object) -> np.ndarray:
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
