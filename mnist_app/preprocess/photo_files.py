"""Photos as they arrive: upright (EXIF), still, RGB, and no bigger than the ink search needs.

A phone stores most photos sideways with an EXIF orientation tag, takes 12-50 megapixel
pictures, may save CMYK JPEGs, and a user may pick an animated GIF or a broken file.
``load_photo`` turns any of these into a validated uint8 array with its longer side at
most ``WORK_SIDE`` pixels (plus the factor it was scaled by), or raises a ``ValueError``
that says what is wrong.
"""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from mnist_app.preprocess.images import MIN_SIDE, as_array

#: Photos are searched for ink at this size (longer side): a digit a sixth of the frame
#: high still gets ~100 pixels, and one photo is read in well under 200 ms.
WORK_SIDE = 800
#: The largest photo decoded at all (pixels): a 10,000 x 10,000 picture, about 300 MB decoded.
MAX_PIXELS = 100_000_000
#: The upload limit the app enforces (and .streamlit/config.toml's server.maxUploadSize).
MAX_UPLOAD_BYTES = 10 * 1024 * 1024

PhotoSource = object  # bytes, a path, a file object, a PIL image or an array


def load_photo(source: PhotoSource) -> tuple[np.ndarray, float]:
    """A photo as a uint8 array (H, W[, C]) scaled to at most ``WORK_SIDE``, and that scale.

    ``source``: the bytes of an image file, a path, a binary file object (e.g. a Streamlit
    upload), a PIL image or an array (anything ``preprocess.to_mnist`` accepts). Files are
    turned upright by their EXIF orientation, converted from CMYK, palette or 16-bit modes.
    ``scale`` is working pixels per input pixel (1.0 when nothing was shrunk), so a box
    found at work size divided by ``scale`` lies in the upright input's pixels.
    """
    if isinstance(source, (str, os.PathLike)):
        source = _read_file(Path(source))
    if hasattr(source, "read") and not isinstance(source, np.ndarray):
        source = source.read()  # a file object, e.g. Streamlit's UploadedFile
    if isinstance(source, (bytes, bytearray, memoryview)):
        source = open_photo(bytes(source))
    if isinstance(source, Image.Image):
        return _shrink_picture(source)
    pixels = as_array(source)  # arrays: validated (and their size limits) like any drawing
    return _shrink_array(pixels)


def open_photo(data: bytes) -> Image.Image:
    """The bytes of an image file -> an upright, still PIL image (not yet fully decoded)."""
    if not data:
        raise ValueError("The file is empty (0 bytes): choose a photo (PNG, JPEG or WebP).")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # our own limit is below
        try:
            picture = Image.open(io.BytesIO(data))
        except (UnidentifiedImageError, OSError, SyntaxError) as error:
            raise ValueError(
                "This file is not an image that can be read (it may be damaged): "
                "use a PNG, JPEG or WebP photo."
            ) from error
        except Image.DecompressionBombError as error:
            raise _too_big() from error
    if getattr(picture, "n_frames", 1) > 1:
        raise ValueError(
            "This is an animated image (several frames): use a single photo (PNG, JPEG or WebP)."
        )
    if picture.width * picture.height > MAX_PIXELS:
        raise _too_big(picture.width, picture.height)
    if min(picture.width, picture.height) < MIN_SIDE:
        raise ValueError(
            f"The image is too small ({picture.width}x{picture.height} pixels): it needs at "
            f"least {MIN_SIDE} pixels a side."
        )
    return picture


def _read_file(path: Path) -> bytes:
    if not path.exists():
        raise FileNotFoundError(f"no such file: {path}")
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder, not an image file")
    return path.read_bytes()


def _shrink_picture(picture: Image.Image) -> tuple[np.ndarray, float]:
    """Decode (JPEGs straight at a reduced size), turn upright, convert, shrink to WORK_SIDE."""
    longer = max(picture.size)
    try:
        if picture.format == "JPEG" and longer > 2 * WORK_SIDE:
            # The JPEG decoder scales by 1/2, 1/4 or 1/8 for free: a 48 MP photo decodes in a blink.
            target = tuple(max(1, side * WORK_SIDE // longer) for side in picture.size)
            picture.draft("RGB", target)
        upright = ImageOps.exif_transpose(picture)
        upright.load()
    except (OSError, SyntaxError, ValueError) as error:
        raise ValueError(
            "This image file is damaged or cut short and cannot be read: take or choose the photo again."
        ) from error
    converted = _convert(upright)
    scale = min(1.0, WORK_SIDE / max(converted.size))
    if scale < 1.0:
        size = (max(1, round(converted.width * scale)), max(1, round(converted.height * scale)))
        converted = converted.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    # Against the original size (the JPEG draft may have shrunk it already; turning keeps the longer side).
    return np.asarray(converted), max(converted.size) / longer


def _convert(picture: Image.Image) -> Image.Image:
    has_alpha = picture.mode in ("RGBA", "LA", "PA") or "transparency" in picture.info
    if picture.mode in ("L", "RGB", "RGBA"):
        return picture
    if picture.mode in ("I;16", "I;16B", "I;16L", "I"):
        grey = np.asarray(picture, dtype=np.float64)
        return Image.fromarray(np.round(grey / max(grey.max(), 1.0) * 255).astype(np.uint8))
    return picture.convert("RGBA" if has_alpha else "RGB")  # CMYK, YCbCr, P, LA, 1, F ...


def _shrink_array(pixels: np.ndarray) -> tuple[np.ndarray, float]:
    height, width = pixels.shape[:2]
    scale = min(1.0, WORK_SIDE / max(height, width))
    if scale == 1.0:
        return pixels, 1.0
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    squeezed = pixels[..., 0] if pixels.ndim == 3 and pixels.shape[2] == 1 else pixels
    shrunk = Image.fromarray(np.ascontiguousarray(squeezed)).resize(size, Image.Resampling.BILINEAR)
    return np.asarray(shrunk), scale


def _too_big(width: int | None = None, height: int | None = None) -> ValueError:
    size = f" ({width}x{height} pixels)" if width else ""
    return ValueError(
        f"The photo is too big{size}: at most {MAX_PIXELS // 1_000_000} megapixels can be read. "
        "Scale it down first."
    )
