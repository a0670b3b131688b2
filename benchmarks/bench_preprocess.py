"""Preprocessing benchmark: speed of ``to_mnist`` and accuracy of the recipe and its refinements.

    MNIST_DATA_DIR=... python benchmarks/bench_preprocess.py speed
    MNIST_DATA_DIR=... python benchmarks/bench_preprocess.py accuracy [--train 10000] [--drawn 1000]

``accuracy`` compares the textbook recipe with candidate refinements using one FIXED quick
model, PCA(50) + SVC(rbf, C=5), trained on a subset of MNIST train passed through each
candidate, and scored on MNIST test and on the drawn-digit benchmark (``mnist_app.synth``,
made from MNIST test digits only). Results go in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
from scipy import ndimage
from skimage.morphology import skeletonize
from sklearn.decomposition import PCA
from sklearn.pipeline import make_pipeline
from sklearn.svm import SVC

from mnist_app import preprocess, synth
from mnist_app.data import load_mnist

Normaliser = Callable[[np.ndarray], np.ndarray]  # float32 (n, 28, 28) -> same


def speed(repeats: int = 300) -> None:
    """Median time of ``to_mnist`` on 280x280 RGBA canvases (the three polarities)."""
    images, _ = load_mnist("test")
    for polarity in synth.POLARITIES:
        canvases = [synth.render_on_canvas(images[i], scale=0.6, polarity=polarity, pen_width=12)
                    for i in range(10)]
        preprocess.to_mnist(canvases[0])  # warm up
        times = []
        for index in range(repeats):
            start = time.perf_counter()
            preprocess.to_mnist(canvases[index % len(canvases)])
            times.append(time.perf_counter() - start)
        print(f"to_mnist 280x280 RGBA {polarity:14s} median {statistics.median(times) * 1000:.2f} ms "
              f"(p90 {np.percentile(times, 90) * 1000:.2f} ms, {repeats} runs)")


# --- candidate refinements (each applied to the training digits and to the drawings) -----


def identity(digits: np.ndarray) -> np.ndarray:
    return digits


def blur(digits: np.ndarray, sigma: float = 0.6) -> np.ndarray:
    blurred = ndimage.gaussian_filter(digits, sigma=(0, sigma, sigma))
    return blurred / np.maximum(blurred.max(axis=(1, 2), keepdims=True), 1e-6)


def deskew(digits: np.ndarray) -> np.ndarray:
    """Shear each digit so its main axis is vertical (the classic MNIST deslant)."""
    out = np.empty_like(digits)
    rows, cols = np.mgrid[:28, :28]
    for index, digit in enumerate(digits):
        total = digit.sum()
        row_mean, col_mean = (rows * digit).sum() / total, (cols * digit).sum() / total
        var_row = ((rows - row_mean) ** 2 * digit).sum() / total
        cov = ((rows - row_mean) * (cols - col_mean) * digit).sum() / total
        alpha = cov / var_row
        matrix = np.array([[1.0, 0.0], [alpha, 1.0]])
        offset = np.array([row_mean, col_mean]) - matrix @ np.array([14.0, 14.0])
        out[index] = ndimage.affine_transform(digit, matrix, offset=offset, order=1)
    return np.clip(out, 0, 1)


def stroke_width(digits: np.ndarray, width: float = 2.8, upsample: int = 2) -> np.ndarray:
    """Thin each digit to its skeleton and redraw it with a pen of ``width`` pixels."""
    out = np.empty_like(digits)
    for index, digit in enumerate(digits):
        big = ndimage.zoom(digit, upsample, order=1) if upsample > 1 else digit
        skeleton = skeletonize(big > 0.35)
        if not skeleton.any():
            out[index] = digit
            continue
        distance = ndimage.distance_transform_edt(~skeleton)
        ink = np.clip(width * upsample / 2 + 0.5 - distance, 0, 1)
        out[index] = ink.reshape(28, upsample, 28, upsample).mean(axis=(1, 3))
    return out


def stretch(digits: np.ndarray) -> np.ndarray:
    """Contrast stretch: the strongest ink becomes 1 (thin pens give faint 28x28 strokes)."""
    return digits / np.maximum(digits.max(axis=(1, 2), keepdims=True), 1e-6)


def stretch_stroke_width(digits: np.ndarray, width: float = 2.8) -> np.ndarray:
    return stroke_width_t(stretch(digits), width, threshold=0.25)


def stroke_width_t(digits: np.ndarray, width: float = 2.8, threshold: float = 0.35) -> np.ndarray:
    out = np.empty_like(digits)
    for index, digit in enumerate(digits):
        big = ndimage.zoom(digit, 2, order=1)
        skeleton = skeletonize(big > threshold)
        if not skeleton.any():
            out[index] = digit
            continue
        distance = ndimage.distance_transform_edt(~skeleton)
        ink = np.clip(width * 2 / 2 + 0.5 - distance, 0, 1)
        out[index] = ink.reshape(28, 2, 28, 2).mean(axis=(1, 3))
    return out


def both(*functions: Normaliser) -> Normaliser:
    def composed(digits: np.ndarray) -> np.ndarray:
        for function in functions:
            digits = function(digits)
        return digits
    return composed


def with_sigma(sigma: float) -> Normaliser:
    """``preprocess.normalise_digits`` with another blur."""
    def normalise(digits: np.ndarray) -> np.ndarray:
        kept, preprocess.BLUR_SIGMA = preprocess.BLUR_SIGMA, sigma
        try:
            return preprocess.normalise_digits(digits)
        finally:
            preprocess.BLUR_SIGMA = kept
    return normalise


CANDIDATES: dict[str, Normaliser] = {
    "chosen: normalise_digits": preprocess.normalise_digits,
    "deslant + soften 0.5": with_sigma(0.5),
    "deslant + soften 1.0": with_sigma(1.0),
    "textbook": identity,
    "contrast stretch": stretch,
    "blur 0.6": blur,
    "deskew": deskew,
    "stroke width 2.8 (skeleton + redraw)": stroke_width,
    "stroke width 2.2": lambda d: stroke_width(d, 2.2),
    "stroke width 3.4": lambda d: stroke_width(d, 3.4),
    "deskew + stroke width": both(deskew, stroke_width),
    "stroke width + blur": both(stroke_width, blur),
    "stretch + stroke width (t=0.25)": stretch_stroke_width,
    "deskew + blur": both(deskew, blur),
    "blur 0.8": lambda d: blur(d, 0.8),
    "blur 0.4": lambda d: blur(d, 0.4),
    "stretch + stroke width + blur 0.5": both(stretch_stroke_width, lambda d: blur(d, 0.5)),
    "deskew + blur 0.8": both(deskew, lambda d: blur(d, 0.8)),
    "deskew + stretch + stroke width": both(deskew, stretch_stroke_width),
    "stretch + stroke width + deskew": both(stretch_stroke_width, deskew),
    "deskew + stretch + stroke width + blur 0.5": both(deskew, stretch_stroke_width, lambda d: blur(d, 0.5)),
}


def centred_drawings(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, list[synth.DrawnDigit]]:
    """The drawn benchmark through the textbook recipe (before ``normalise_digits``)."""
    digits, labels, samples = [], [], []
    for sample in synth.iter_drawn_digits(n, seed):
        digits.append(preprocess.centred_digit(sample.canvas))
        labels.append(sample.label)
        samples.append(sample)
    return np.stack(digits), np.array(labels), samples


def accuracy(train_size: int, drawn_size: int, seed: int, names: list[str] | None) -> None:
    train_images, train_labels = load_mnist("train")
    test_images, test_labels = load_mnist("test")
    pick = np.random.default_rng(seed).choice(len(train_images), train_size, replace=False)
    train = train_images[pick].astype(np.float32) / 255
    test = test_images.astype(np.float32) / 255
    start = time.perf_counter()
    drawn, drawn_labels, samples = centred_drawings(drawn_size, seed)
    print(f"drawn benchmark: {drawn_size} digits in {time.perf_counter() - start:.0f} s")
    european = np.array([s.source.startswith("european") for s in samples])
    pens = np.array([s.pen_width / (s.scale * synth.CANVAS) for s in samples])  # pen / digit size
    thin, thick = pens < np.percentile(pens, 25), pens > np.percentile(pens, 75)
    print("| refinement | MNIST test | drawn | drawn, thin pens | drawn, thick pens | European 1/7 |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, normalise in CANDIDATES.items():
        if names and name not in names:
            continue
        model = make_pipeline(PCA(50, random_state=0), SVC(C=5))
        model.fit(normalise(train).reshape(len(train), -1), train_labels[pick])
        test_acc = (model.predict(normalise(test).reshape(len(test), -1)) == test_labels).mean()
        hits = model.predict(normalise(drawn).reshape(len(drawn), -1)) == drawn_labels
        print(f"| {name} | {test_acc:.4f} | {hits.mean():.3f} | {hits[thin].mean():.3f} | "
              f"{hits[thick].mean():.3f} | {hits[european].mean():.3f} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["speed", "accuracy"])
    parser.add_argument("--train", type=int, default=10000, help="MNIST training digits for the model")
    parser.add_argument("--drawn", type=int, default=1000, help="drawn benchmark size")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", nargs="*", help="candidate names to run")
    args = parser.parse_args()
    if args.what == "speed":
        speed()
    else:
        accuracy(args.train, args.drawn, args.seed, args.only)


if __name__ == "__main__":
    main()
