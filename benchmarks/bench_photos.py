"""Photos of paper and whole numbers (issue 18): accuracy against the same digits drawn clean, and speed.

    MNIST_DATA_DIR=... python benchmarks/bench_photos.py [--model NAME] [--digits N] [--numbers N]
                                                         [--spacing ink|boxes] [--timed N]

1. one digit per photo (``synth.photos``: paper, lines, ink, light, shadow, perspective, JPEG):
   the model's accuracy on the photos, and on the very same strokes drawn clean on the canvas;
2. 4-digit numbers on photos (some touching): share read entirely right; also 2-6 digits.
   ``--spacing``: neighbours spaced between their ink (default, touching to wide) or, as in
   round 1, between their bounding boxes (``boxes``: strokes may cross);
3. the time to read one photo (JPEG bytes in, answer out), digit and number, median and 90th
   percentile, with the load average (the machine is shared).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

from mnist_app import models, numbers, photos, synth
from mnist_app.preprocess import to_mnist


def digit_accuracy(name: str, count: int) -> tuple[float, float, dict[str, tuple[int, int]]]:
    """Accuracy on photos, on the same strokes drawn clean, and photo errors by paper and ink."""
    right_photo = right_clean = 0
    by_kind: dict[str, tuple[int, int]] = {}
    for sample in synth.photos.iter_paper_photos(count, seed=2026, digits=1):
        label = sample.digits[0]
        try:
            answer = models.predict_digit(photos.photo_to_mnist(sample.jpeg), name).label
        except ValueError:
            answer = -1
        clean = models.predict_digit(to_mnist(sample.clean[0]), name).label
        right_photo += answer == label
        right_clean += clean == label
        for kind in (sample.paper, sample.ink):
            good, total = by_kind.get(kind, (0, 0))
            by_kind[kind] = (good + (answer == label), total + 1)
    return right_photo / count, right_clean / count, by_kind


def number_accuracy(name: str, count: int, digits: int | tuple[int, int], spacing: str = "ink",
                    ) -> tuple[float, float, float]:
    """Share of numbers read entirely right; the same for those with touching digits; right digit counts."""
    right = touching_right = touching = right_count = 0
    for sample in synth.photos.iter_paper_photos(count, seed=18, digits=digits, spacing=spacing):
        try:
            text = numbers.read_number(sample.jpeg, name).text
        except ValueError:
            text = ""
        right += text == sample.text
        right_count += len(text) == len(sample.text)
        if sample.touching:
            touching += 1
            touching_right += text == sample.text
    return right / count, touching_right / max(touching, 1), right_count / count


def timings(name: str, count: int) -> dict[str, tuple[float, float]]:
    """Median and 90th percentile (ms) to read one photo: a digit, a 4-digit number."""
    results = {}
    for label, digits in (("one digit", 1), ("4-digit number", 4)):
        samples = list(synth.photos.iter_paper_photos(count, seed=99, digits=digits))
        spent = []
        for sample in samples:
            start = time.perf_counter()
            if digits == 1:
                models.predict_digit(photos.photo_to_mnist(sample.jpeg), name)
            else:
                numbers.read_number(sample.jpeg, name)
            spent.append((time.perf_counter() - start) * 1000)
        results[label] = (statistics.median(spent), float(np.percentile(spent, 90)))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="default: the best trained model")
    parser.add_argument("--digits", type=int, default=300, help="photos of one digit")
    parser.add_argument("--numbers", type=int, default=200, help="photos of 4-digit numbers")
    parser.add_argument("--timed", type=int, default=40, help="photos timed, of each kind")
    parser.add_argument("--spacing", choices=("ink", "boxes"), default="ink",
                        help="how neighbouring digits are spaced (boxes: round 1's composition)")
    args = parser.parse_args()
    name = args.model or numbers.best_model()
    models.get_model(name)
    print(f"model {name}; load average {os.getloadavg()[0]:.1f} at the start")
    if args.digits:
        photo, clean, by_kind = digit_accuracy(name, args.digits)
        print(f"one digit, {args.digits} photos: photo {photo:.2%}, same strokes clean {clean:.2%}, "
              f"ratio {photo / clean:.1%} (target >= 97%)")
        print("  by paper/ink: " + ", ".join(f"{kind} {good / total:.1%} ({total})"
                                             for kind, (good, total) in sorted(by_kind.items())))
    if args.numbers:
        whole, touching, counted = number_accuracy(name, args.numbers, 4, args.spacing)
        print(f"4-digit numbers ({args.spacing} spacing), {args.numbers} photos: entirely right {whole:.1%} "
              f"(target >= 90%); with touching digits {touching:.1%}; right number of digits {counted:.1%}")
        mixed, _, counted = number_accuracy(name, args.numbers // 2, (2, 6), args.spacing)
        print(f"2-6 digit numbers ({args.spacing} spacing), {args.numbers // 2} photos: entirely right "
              f"{mixed:.1%}; right number of digits {counted:.1%}")
    for label, (median, p90) in (timings(name, args.timed) if args.timed else {}).items():
        print(f"read one photo ({label}): median {median:.0f} ms, 90th percentile {p90:.0f} ms")
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
