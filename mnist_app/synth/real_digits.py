"""Real handwriting of writers not in MNIST, drawn on the app's canvas: scikit-learn's ``load_digits``.

``load_digits`` is the UCI optdigits test set bundled with scikit-learn (1,797 digits written
by writers who are not MNIST's, scanned as 32x32 bitmaps and kept as 8x8 counts of ink, 0-16).
Each digit is enlarged to 28x28 (smooth), placed on a 280x280 canvas at a random size and
sent through ``to_mnist`` like a drawing. It is a proxy for the app's input (8x8 resolution,
scanned ink, not a pen on a canvas), but it is real handwriting of unseen writers, shipped in
a package: nothing is downloaded. The file comes in blocks of writers (it has no writer ids).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from sklearn.datasets import load_digits

from mnist_app import preprocess
from mnist_app.synth import drawn

ZOOM = 3.5  # 8x8 -> 28x28
SCALE_RANGE = (0.4, 0.8)  # the digit's longer side as a share of the canvas
SEED = 1


def enlarged_digits(count: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The first ``count`` (default: all) ``load_digits`` digits as float (n, 28, 28) in [0, 1]; labels."""
    bundle = load_digits()
    images = bundle.images[:count] / 16.0
    enlarged = np.clip(ndimage.zoom(images, (1, ZOOM, ZOOM), order=1), 0.0, 1.0)
    return enlarged, bundle.target[:count].astype(np.int64)


def real_digit_canvases(seed: int = SEED, count: int | None = None) -> tuple[list[np.ndarray], np.ndarray]:
    """The first ``count`` ``load_digits`` digits on RGBA canvases (uint8 (280, 280, 4)), and labels."""
    enlarged, labels = enlarged_digits(count)
    rng = np.random.default_rng(seed)
    canvases = [drawn.render_on_canvas(digit, scale=float(rng.uniform(*SCALE_RANGE))) for digit in enlarged]
    return canvases, labels


def load_real_digits(seed: int = SEED, count: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The first ``count`` (default: all 1,797) real digits drawn on a canvas and prepared by
    ``to_mnist``: float32 (n, 28, 28), labels."""
    canvases, labels = real_digit_canvases(seed, count)
    return np.stack([preprocess.to_mnist(canvas) for canvas in canvases]), labels
