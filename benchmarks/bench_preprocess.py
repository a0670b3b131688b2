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
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
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
        cpu_start = time.process_time()
        for index in range(repeats):
            start = time.perf_counter()
            preprocess.to_mnist(canvases[index % len(canvases)])
            times.append(time.perf_counter() - start)
        cpu_ms = (time.process_time() - cpu_start) / repeats * 1000  # less sensitive to other load
        print(f"to_mnist 280x280 RGBA {polarity:14s} median {statistics.median(times) * 1000:.2f} ms "
              f"(p90 {np.percentile(times, 90) * 1000:.2f} ms, CPU {cpu_ms:.2f} ms/call, {repeats} runs)")
    images_train, _ = load_mnist("train")
    start, cpu_start = time.perf_counter(), time.process_time()
    preprocess.prepare_training(images_train)
    print(f"prepare_training on 60,000 digits: {time.perf_counter() - start:.1f} s "
          f"(CPU {time.process_time() - cpu_start:.1f} s)")


# --- candidate refinements (each applied to the training digits and to the drawings) -----


def identity(digits: np.ndarray) -> np.ndarray:
    return digits


def stretch(digits: np.ndarray) -> np.ndarray:
    """Contrast stretch: the strongest ink becomes 1 (thin pens give faint 28x28 strokes)."""
    return digits / np.maximum(digits.max(axis=(1, 2), keepdims=True), 1e-6)


def stroke_width(digits: np.ndarray, width: float = 2.8) -> np.ndarray:
    """Stretch, thin each digit to its skeleton (at 56x56) and redraw it with a ``width``-pixel pen.

    2.8 pixels is MNIST's median stroke width (ink mass / skeleton length).
    """
    out = np.empty_like(digits)
    for index, digit in enumerate(stretch(digits)):
        skeleton = skeletonize(ndimage.zoom(digit, 2, order=1) > 0.25)
        if not skeleton.any():
            out[index] = digit
            continue
        ink = np.clip(width + 0.5 - ndimage.distance_transform_edt(~skeleton), 0, 1)
        out[index] = ink.reshape(28, 2, 28, 2).mean(axis=(1, 3))
    return out


def soften(sigma: float) -> Normaliser:
    return lambda digits: preprocess.soften(digits, sigma)


def both(*functions: Normaliser) -> Normaliser:
    def composed(digits: np.ndarray) -> np.ndarray:
        for function in functions:
            digits = function(digits)
        return digits
    return composed


deslant = preprocess.deslant

#: Each is applied to the training digits and to the drawings alike (after the textbook recipe).
CANDIDATES: dict[str, Normaliser] = {
    "textbook recipe alone": identity,
    "contrast stretch": stretch,
    "blur 0.7 (soften)": soften(0.7),
    "deslant": deslant,
    "deslant + stretch": both(deslant, stretch),
    "stroke width 2.8 (skeleton + redraw)": stroke_width,
    "deslant + stroke width": both(deslant, stroke_width),
    "deslant + stroke width + blur 0.5": both(deslant, stroke_width, soften(0.5)),
    "deslant + blur 0.5": both(deslant, soften(0.5)),
    "deslant + blur 1.0": both(deslant, soften(1.0)),
    "chosen: normalise_digits = deslant + blur 0.7": preprocess.normalise_digits,
    # (the script adds the rows with match_pen_width, the drawing-only step)
}


def centred_drawings(
    n: int, seed: int, match_pen: bool
) -> tuple[np.ndarray, np.ndarray, list[synth.DrawnDigit]]:
    """The drawn benchmark through ``to_mnist`` before ``normalise_digits``."""
    digits, labels, samples = [], [], []
    for sample in synth.iter_drawn_digits(n, seed):
        digits.append(preprocess.centred_digit(sample.canvas, match_pen=match_pen))
        labels.append(sample.label)
        samples.append(sample)
    return np.stack(digits), np.array(labels), samples


def fixed_model(name: str) -> Pipeline:
    if name == "svc":
        return make_pipeline(PCA(50, random_state=0), SVC(C=5))
    return make_pipeline(LogisticRegression(max_iter=300))


def accuracy(
    train_size: int, drawn_size: int, seed: int, names: list[str] | None, model_name: str
) -> None:
    train_images, train_labels = load_mnist("train")
    test_images, test_labels = load_mnist("test")
    pick = np.random.default_rng(seed).choice(len(train_images), train_size, replace=False)
    train = train_images[pick].astype(np.float32) / 255
    test = test_images.astype(np.float32) / 255
    start = time.perf_counter()
    plain, drawn_labels, samples = centred_drawings(drawn_size, seed, match_pen=False)
    matched, _, _ = centred_drawings(drawn_size, seed, match_pen=True)
    print(f"drawn benchmark: {drawn_size} digits, twice, in {time.perf_counter() - start:.0f} s")
    european = np.array([s.source.startswith("european") for s in samples])
    pens = np.array([s.pen_width / (s.scale * synth.CANVAS) for s in samples])  # pen / digit size
    thin, thick = pens < 0.05, pens > 0.15  # MNIST's pen is about 0.14 of the digit's size
    print(f"model: {fixed_model(model_name)}, trained on {train_size} MNIST train digits; drawn: "
          f"{thin.sum()} thin (pen < 5% of digit), {thick.sum()} thick (> 15%), {european.sum()} European")
    print("| refinement | MNIST test | drawn | drawn, thin pens | drawn, thick pens | European 1/7 |")
    print("| --- | --- | --- | --- | --- | --- |")
    rows = [(name, normalise, False) for name, normalise in CANDIDATES.items()]
    rows += [
        ("textbook + match_pen_width (drawings only)", identity, True),
        ("chosen + match_pen_width = to_mnist", preprocess.normalise_digits, True),
    ]
    for name, normalise, match_pen in rows:
        if names and name not in names:
            continue
        drawn = matched if match_pen else plain
        model = fixed_model(model_name)
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
    parser.add_argument("--model", choices=["svc", "logreg"], default="svc",
                        help="the fixed model: PCA(50)+SVC(C=5) or LogisticRegression")
    args = parser.parse_args()
    if args.what == "speed":
        speed()
    else:
        accuracy(args.train, args.drawn, args.seed, args.only, args.model)


if __name__ == "__main__":
    main()
