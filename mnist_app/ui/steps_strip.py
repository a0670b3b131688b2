""""What the model sees" as ONE page element: the images of ``preprocess.steps`` side by side.

One HTML figure of small PNGs with its heading and numbered captions (:func:`figure_html`), used
by the drawing and photo pages. The drawing page redraws it on every stroke, for every student of
a class at once, so the pictures go inside the page's own message as data URLs (no media file
kept per session, no request back for them).
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


def caption(pipeline: Sequence[preprocess.Step]) -> str:
    """The steps' captions, numbered in the figure's order (left to right, then the next row)."""
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
    scaled up by the browser, so a stroke encodes a few hundred pixels per step, not an enlarged picture.
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
