""""What the model sees" as ONE picture: the images of ``preprocess.steps`` side by side.

One PNG (``strip``), or one HTML figure of small PNGs with its heading and captions
(:func:`figure_html`, the drawing page's): one page element either way. The drawing page
redraws it on every stroke, for every student of a class at once, so the pictures go inside
the page's own message as data URLs (no media file kept per session, no request back for them).
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


#: The tiles side by side (``PER_ROW`` to a row, ``GAP`` apart, the page's background between),
#: small pictures scaled up with hard pixel edges by the browser; captions as Streamlit's own.
FIGURE_STYLE = (
    "<style>.steps-figure { margin: 0; } "
    f".steps-tiles {{ display: grid; grid-template-columns: repeat({PER_ROW}, {TILE}px); gap: {GAP}px; }} "
    f".steps-tiles img {{ width: {TILE}px; height: {TILE}px; image-rendering: pixelated; }} "
    ".steps-figure figcaption { font-size: 0.875rem; opacity: 0.6; margin-top: 0.25rem; }</style>"
)


def figure_html(pipeline: Sequence[preprocess.Step], heading: str, side: int = TILE) -> str:
    """The heading, the steps' tiles and their numbered captions as one HTML figure, for ``st.html``.

    Each tile is its own small PNG (:func:`figure_tile`): a 28x28 step is sent at 28x28 and
    scaled up by the browser, so a stroke encodes a few hundred pixels per step, not a strip.
    """
    tiles = "".join(f"<img src='{tile_data_url(figure_tile(step.image, side))}' "
                    f"alt='{html.escape(step.caption)}'>"
                    for step in pipeline)
    text = html.escape(caption(pipeline))
    return (f"{FIGURE_STYLE}<h3>{html.escape(heading)}</h3><figure class='steps-figure'>"
            f"<div class='steps-tiles'>{tiles}</div><figcaption>{text}</figcaption></figure>")


def figure_tile(picture: np.ndarray, side: int = TILE) -> Image.Image:
    """A step's picture as ``figure_html`` sends it: padded to a square, scaled down to ``side``
    pixels when larger (as ``square_tile``), else left at its own size for the browser to enlarge."""
    picture = np.asarray(picture)
    if max(picture.shape[:2]) > side:
        return square_tile(picture, side)
    return square_tile(picture, max(picture.shape[:2]))


def tile_data_url(tile: Image.Image) -> str:
    """A tile as a PNG ``data:`` URL (fast compression: it is small)."""
    buffer = io.BytesIO()
    tile.save(buffer, format="PNG", compress_level=1)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
