""""What the model sees" as ONE picture: the images of ``preprocess.steps`` side by side.

One PNG instead of a picture per step, and with its heading and captions one page element
(:func:`figure_html`): the drawing page redraws it on every stroke, for every student of a
class at once, so it goes inside the page's own message as a data URL (no media file kept
per session, no request back for it).
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence

import numpy as np
from PIL import Image

from mnist_app import preprocess

#: Side of one step's tile, in pixels.
TILE = 104
#: Transparent pixels between tiles (the page's own background shows, light or dark).
GAP = 8
#: Tiles per row: three rows fit a phone (390 px) at full size, and the answer column.
PER_ROW = 3


def square_tile(picture: np.ndarray, side: int = TILE) -> Image.Image:
    """A step's image padded to a square with background and scaled to ``side`` pixels (greyscale).

    Small images are scaled up with hard pixel edges, so a student sees the 28x28 pixels
    the model sees (a browser would blur them); big ones are scaled down smoothly.
    """
    picture = np.asarray(picture)
    if picture.dtype != np.uint8:
        picture = (np.clip(picture, 0.0, 1.0) * 255).round().astype(np.uint8)
    if picture.ndim == 3:  # RGB(A) drawing: its brightness
        picture = np.asarray(Image.fromarray(picture[..., :3]).convert("L"))
    height, width = picture.shape[:2]
    longer = max(height, width)
    square = np.zeros((longer, longer), dtype=np.uint8)
    top, left = (longer - height) // 2, (longer - width) // 2
    square[top : top + height, left : left + width] = picture
    resample = Image.Resampling.NEAREST if longer < side else Image.Resampling.BILINEAR
    return Image.fromarray(square).resize((side, side), resample)


def strip(pictures: Sequence[np.ndarray], side: int = TILE) -> Image.Image:
    """The pictures as square tiles, left to right, ``PER_ROW`` to a row, on a transparent background."""
    columns = min(len(pictures), PER_ROW)
    rows = -(-len(pictures) // PER_ROW)
    canvas = np.zeros((rows * side + (rows - 1) * GAP, columns * side + (columns - 1) * GAP, 2), np.uint8)
    for index, picture in enumerate(pictures):
        row, column = divmod(index, PER_ROW)
        top, left = row * (side + GAP), column * (side + GAP)
        canvas[top : top + side, left : left + side, 0] = np.asarray(square_tile(picture, side))
        canvas[top : top + side, left : left + side, 1] = 255  # opaque tile
    return Image.fromarray(canvas, mode="LA")


def strip_png(pipeline: Sequence[preprocess.Step], side: int = TILE) -> bytes:
    """``strip`` of the steps' images, encoded once as PNG (fast compression: it is small)."""
    buffer = io.BytesIO()
    strip([step.image for step in pipeline], side).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def strip_data_url(pipeline: Sequence[preprocess.Step], side: int = TILE) -> str:
    """``strip_png`` as a ``data:`` URL, for ``st.image``."""
    return "data:image/png;base64," + base64.b64encode(strip_png(pipeline, side)).decode("ascii")


def caption(pipeline: Sequence[preprocess.Step]) -> str:
    """The steps' captions, numbered in the strip's order (left to right, then the next row)."""
    numbered = (f"{number}. {step.caption}" for number, step in enumerate(pipeline, start=1))
    return "Left to right, row by row: " + " · ".join(numbered)


#: The captions as Streamlit's own image captions look (small, faded), in the page's theme.
FIGURE_STYLE = ("<style>.steps-figure { margin: 0; } .steps-figure img { max-width: 100%; } "
                ".steps-figure figcaption { font-size: 0.875rem; opacity: 0.6; margin-top: 0.25rem; }"
                "</style>")


def figure_html(pipeline: Sequence[preprocess.Step], heading: str, side: int = TILE) -> str:
    """The heading, the strip and its numbered captions as one HTML figure, for ``st.html``."""
    text = html.escape(caption(pipeline))
    return (f"{FIGURE_STYLE}<h3>{html.escape(heading)}</h3><figure class='steps-figure'>"
            f"<img src='{strip_data_url(pipeline, side)}' alt='{text}'>"
            f"<figcaption>{text}</figcaption></figure>")
