"""Ink in a photo of paper: pen or pencil strokes despite uneven light, shadows and ruled lines.

A drawing from the canvas has a flat background and ``ink_map`` finds its strokes. A photo
of paper does not: light falls off across the sheet, a hand or a phone casts a shadow,
the paper has grain, ruled or squared lines, and JPEG adds noise. ``photo_ink`` finds
the strokes in four steps, each shown by ``photo_steps``:

1. darkness: the darkest colour channel (so blue ink is as dark as black ink);
2. background estimate: the paper's brightness everywhere, from a grey-level opening of
   the darkness (which removes strokes thinner than its window) of a shrunken copy,
   smoothed; measured against it, light gradients and soft shadows vanish ("flat-field").
   Light strokes on a dark surface (chalk) are detected here and inverted;
3. adaptive threshold: Sauvola's local threshold (``skimage.filters.threshold_sauvola``)
   on the flattened photo, plus a minimum contrast so that paper grain never counts;
4. ruled lines removed: long thin horizontal or vertical runs of "ink" that span much of
   the photo (tilted a few degrees at most), with strokes that cross them re-joined.

The result is an ink map (float32 in [0, 1], 0 = paper) that ``to_mnist`` accepts like
any drawing; :mod:`mnist_app.photos` chains the two.
"""

from __future__ import annotations

import numpy as np
from PIL import Image
from scipy import ndimage
from skimage.filters import threshold_sauvola

from mnist_app.preprocess.ink import EmptyDrawingError, ink_map
from mnist_app.preprocess.pipeline import Recorder

#: Share of pixels exactly equal to the commonest border colour above which an image is a
#: drawing (flat background) rather than a photo (grain and noise: hardly two pixels alike).
FLAT_BACKGROUND_SHARE = 0.3
#: The background is estimated on a copy whose longer side is this many pixels ...
BACKGROUND_SIDE = 160
#: ... with a closing window of this fraction of that side (wider than any pen stroke).
BACKGROUND_WINDOW = 0.08
#: Light strokes must stand out this much more than dark ones for a photo to be read inverted.
LIGHT_STROKES_RATIO = 1.5
#: ... and the photo's median darkness must be above this (a board, not paper in a shadow).
DARK_SURFACE = 0.6
#: Below this contrast with the paper (flattened darkness) nothing is ink: grain, faint shadow edges.
MIN_CONTRAST = 0.12
#: Contrast that is ink whatever its neighbourhood (the inside of a wide stroke).
STRONG_CONTRAST = 0.45
#: Sauvola: window as a fraction of the photo's longer side (odd pixels; wider than a thick
#: marker stroke, or a stroke's inside looks like flat paper), and its k.
SAUVOLA_WINDOW = 0.12
SAUVOLA_K = 0.2
#: Ruled lines: the run length that makes a line candidate (fraction of the photo's side),
#: the vertical tolerance for tilt (pixels), the span a line must reach and its thickest.
LINE_RUN = 0.06
LINE_TILT_BAND = 5
LINE_SPAN = 0.45
LINE_MAX_THICKNESS = 0.012


def is_drawing(pixels: np.ndarray) -> bool:
    """Whether an image has a flat background (a drawing or a clean scan), not paper in a photo."""
    if pixels.ndim == 3 and pixels.shape[2] in (2, 4):
        alpha = pixels[..., -1]
        if alpha.min() != alpha.max():
            return True  # strokes on a transparent layer
        pixels = pixels[..., :-1]
    flat = pixels.reshape(pixels.shape[0], pixels.shape[1], -1)
    border = np.concatenate([flat[0], flat[-1], flat[:, 0], flat[:, -1]])
    values, counts = np.unique(border, axis=0, return_counts=True)
    commonest = values[int(np.argmax(counts))]
    sample = flat[::3, ::3]  # a ninth of the pixels tells a flat background from paper
    same = np.logical_and.reduce([sample[..., c] == commonest[c] for c in range(flat.shape[2])])
    return float(same.mean()) >= FLAT_BACKGROUND_SHARE


def photo_ink(pixels: np.ndarray, record: Recorder = None) -> np.ndarray:
    """The ink map (float32 (H, W) in [0, 1], 0 = paper) of a photo already loaded by ``load_photo``.

    A drawing (flat background) goes to ``ink_map`` unchanged. ``record(caption, image)``
    receives each intermediate image.
    """
    if is_drawing(pixels):
        return ink_map(pixels)
    dark, background = estimate_background(darkness(pixels))
    if record:
        record("The photo, upright, in grey", 1.0 - dark)
    if record:
        record("Paper and light, estimated (strokes filled in)", 1.0 - background)
    contrast = np.clip(dark - background, 0.0, 1.0) / np.maximum(1.0 - background, 0.05)
    if record:
        record("Darker than the paper around it (light and shadows evened out)", contrast)
    mask = threshold(contrast)
    if not mask.any():
        raise EmptyDrawingError("No ink found in the photo: write the digit darker or bigger.")
    if record:
        record("Adaptive threshold (Sauvola): ink or paper", mask.astype(np.float32))
    cleaned = remove_ruled_lines(mask)
    if record and cleaned is not mask:
        record("Ruled lines removed", cleaned.astype(np.float32))
    return ink_strength(contrast, cleaned)


def darkness(pixels: np.ndarray) -> np.ndarray:
    """Float32 (H, W): 1 = darkest. The darkest channel counts, so blue ink is as dark as black."""
    colour = pixels[..., :3] if pixels.ndim == 3 else pixels
    # Channel by channel: numpy's min over a short last axis is many times slower.
    lightness = np.minimum.reduce([colour[..., c] for c in range(3)]) if colour.ndim == 3 else colour
    return 1.0 - lightness.astype(np.float32) / np.float32(255)


def estimate_background(dark: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The strokes' darkness and the paper's darkness under them (strokes filled in).

    On a shrunken copy, a grey opening (lightest over a window, then back) removes dark
    strokes narrower than the window, a closing removes light ones. Which of the two
    removed more says the polarity: light strokes on a dark surface (chalk) are inverted,
    so that the result is always dark ink on light paper.
    """
    height, width = dark.shape
    factor = BACKGROUND_SIDE / max(height, width)
    small_size = (max(8, round(width * factor)), max(8, round(height * factor)))
    small = np.asarray(Image.fromarray(dark).resize(small_size, Image.Resampling.BILINEAR))
    window = max(3, round(BACKGROUND_WINDOW * BACKGROUND_SIDE))
    opened = ndimage.grey_opening(small, size=window)
    closed = ndimage.grey_closing(small, size=window)
    dark_strokes = float(np.percentile(small - opened, 99.5))
    light_strokes = float(np.percentile(closed - small, 99.5))
    # Only a dark surface can hold light strokes: on lined paper the light gaps between the
    # lines look like light strokes too.
    if light_strokes > LIGHT_STROKES_RATIO * dark_strokes and float(np.median(small)) > DARK_SURFACE:
        dark, opened = 1.0 - dark, 1.0 - closed
    smooth = ndimage.gaussian_filter(opened, sigma=window / 2)
    back = Image.fromarray(smooth.astype(np.float32)).resize((width, height), Image.Resampling.BILINEAR)
    return dark, np.minimum(np.asarray(back, dtype=np.float32), dark.max())


def threshold(contrast: np.ndarray) -> np.ndarray:
    """Ink pixels: above Sauvola's local threshold and above ``MIN_CONTRAST``."""
    height, width = contrast.shape
    # The threshold varies over a wide window: computed at half size it is as good, four times cheaper.
    half = np.asarray(Image.fromarray(contrast).resize((max(1, width // 2), max(1, height // 2)),
                                                      Image.Resampling.BILINEAR))
    window = max(15, int(SAUVOLA_WINDOW * max(half.shape)) | 1)
    # Sauvola is written for dark text on light paper: give it the paper light.
    local_half = threshold_sauvola(1.0 - half, window_size=window, k=SAUVOLA_K).astype(np.float32)
    local = np.asarray(Image.fromarray(local_half).resize((width, height), Image.Resampling.BILINEAR))
    return (((1.0 - contrast) < local) & (contrast > MIN_CONTRAST)) | (contrast > STRONG_CONTRAST)


def remove_ruled_lines(mask: np.ndarray) -> np.ndarray:
    """``mask`` without long thin horizontal/vertical lines (the same object if there are none)."""
    cleaned = _remove_lines(mask)
    cleaned = _remove_lines(cleaned.T).T
    return mask if np.array_equal(cleaned, mask) else cleaned


def _remove_lines(mask: np.ndarray) -> np.ndarray:
    """Horizontal lines removed; a stroke that crossed one is closed again across it, there only."""
    lines = _lines(mask)
    if not lines.any():
        return mask
    cleaned = mask & ~lines
    across = ndimage.binary_closing(cleaned, structure=np.ones((2 * LINE_TILT_BAND + 1, 1), bool))
    return cleaned | (across & lines)


def _lines(mask: np.ndarray) -> np.ndarray:
    """Pixels of ``mask`` on lines running along its rows, tilted a few degrees at most."""
    height, width = mask.shape
    runs = long_runs(mask, max(9, int(LINE_RUN * width)))
    if not runs.any():
        return runs
    labels, count = ndimage.label(runs, structure=np.ones((3, 3), bool))
    lines = np.zeros_like(mask)
    for index, box in enumerate(ndimage.find_objects(labels), start=1):
        span = box[1].stop - box[1].start
        pixels = labels[box] == index
        thickness = pixels.sum() / max(span, 1)
        if span >= LINE_SPAN * width and thickness <= max(3.0, LINE_MAX_THICKNESS * height):
            lines[box] |= pixels
    return lines


def long_runs(mask: np.ndarray, run: int) -> np.ndarray:
    """Pixels of ``mask`` in a horizontal run at least ``run`` long within a band a few rows high
    (``LINE_TILT_BAND``: a slightly tilted line keeps long runs)."""
    band = ndimage.maximum_filter1d(mask.view(np.uint8), LINE_TILT_BAND, axis=0)
    # Only a row with half a run of ink can hold a run (the filters reflect at most half a
    # window at the edges): the row-wise filters run on those rows alone, the same result.
    rows = np.flatnonzero(np.count_nonzero(band, axis=1) >= (run + 1) // 2)
    runs = np.zeros_like(mask)
    if len(rows):
        found = ndimage.minimum_filter1d(band[rows], run, axis=1)
        runs[rows] = ndimage.maximum_filter1d(found, run, axis=1).astype(bool) & mask[rows]
    return runs


def ink_strength(contrast: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Grey ink where the mask says ink (strokes keep their soft edges), strongest = 1."""
    ink = np.where(mask, contrast, 0.0).astype(np.float32)
    inked = ink[mask]
    if inked.size == 0:
        return ink
    peak = float(np.percentile(inked, 95))
    return np.clip(ink / max(peak, 1e-3), 0.0, 1.0)
