"""The original drawing kept with a saved digit: a PNG, scaled down to a bounded size."""

from __future__ import annotations

import io

from PIL import Image

from mnist_app.preprocess.images import as_array

#: The longest side kept; a projector canvas is 480 px, so drawings keep their full size.
MAX_SIDE = 512
#: A 512x512 RGBA PNG of strokes is far below this; the check guards against noise images.
MAX_PNG_BYTES = 1_500_000


def drawing_png(image: object) -> bytes:
    """``image`` (anything ``to_mnist`` accepts) as PNG bytes, at most MAX_SIDE pixels a side.

    Raises ValueError (from ``as_array``) for something that is not an image.
    """
    picture = Image.fromarray(as_array(image))
    picture.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", optimize=True)
    data = buffer.getvalue()
    if len(data) > MAX_PNG_BYTES:
        raise ValueError(f"The drawing's picture is too large to keep ({len(data):,} bytes as PNG).")
    return data
