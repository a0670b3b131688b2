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
from collections import Counter

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
                    failures: str | None = None) -> tuple[float, float, float, Counter[str]]:
    """Share of numbers read entirely right; the same for those with touching digits; right digit
    counts; the misses by kind. ``failures``: a PNG grid of the missed photos is saved there."""
    right = touching_right = touching = right_count = 0
    kinds: Counter[str] = Counter()
    missed = []
    for sample in synth.photos.iter_paper_photos(count, seed=18, digits=digits, spacing=spacing):
        try:
            reading = numbers.read_number(sample.jpeg, name)
            text, boxes = reading.text, reading.boxes
        except ValueError:
            text, boxes = "", []
        right += text == sample.text
        right_count += len(text) == len(sample.text)
        if sample.touching:
            touching += 1
            touching_right += text == sample.text
        if text != sample.text:
            kinds[miss_kind(sample.text, text, sample.touching)] += 1
            missed.append((sample, text, boxes))
    if failures:
        save_grid(missed, failures)
    return right / count, touching_right / max(touching, 1), right_count / count, kinds


def miss_kind(truth: str, text: str, touching: bool) -> str:
    """What went wrong: a digit lost (two read as one), an extra digit (one read as two), a misread."""
    kind = "misread"
    if len(text) != len(truth):
        kind = "lost a digit" if len(text) < len(truth) else "extra digit"
    return f"{kind}{' (touching)' if touching else ''}"


def save_grid(missed: list, path: str, columns: int = 4) -> None:
    """The missed photos, cropped round their ink, the boxes read, truth -> reading under each."""
    from PIL import Image, ImageDraw

    tiles = []
    for sample, text, boxes in missed[:48]:
        photo = Image.fromarray(sample.photo)
        draw = ImageDraw.Draw(photo)
        for box in boxes:
            draw.rectangle([box[0], box[1], box[2] - 1, box[3] - 1], outline=(255, 0, 0), width=3)
        if boxes:
            x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
            x1, y1 = max(b[2] for b in boxes), max(b[3] for b in boxes)
            photo = photo.crop((max(0, x0 - 40), max(0, y0 - 40), x1 + 40, y1 + 40))
        photo.thumbnail((300, 130))
        tile = Image.new("RGB", (300, 150), "white")
        tile.paste(photo, (0, 0))
        ImageDraw.Draw(tile).text((4, 134), f"{sample.text} -> {text or '-'}  {sample.paper}", fill=(0, 0, 0))
        tiles.append(tile)
    if not tiles:
        return
    rows = (len(tiles) + columns - 1) // columns
    sheet = Image.new("RGB", (300 * columns, 150 * rows), (200, 200, 200))
    for index, tile in enumerate(tiles):
        sheet.paste(tile, ((index % columns) * 300, (index // columns) * 150))
    sheet.save(path)


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
    parser.add_argument("--failures", default=None, help="save a PNG grid of the missed 4-digit photos here")
    parser.add_argument("--without-scorer", action="store_true",
                        help="choose digits as round 2 did, without the one-digit-or-not scorer's opinion")
    parser.add_argument("--without-second-look", action="store_true",
                        help="choose digits as round 3 did (no second model, no moved copies)")
    parser.add_argument("--crossing-pairs", choices=("on", "off"), default="on",
                        help="also read a thin straight stroke crossing its neighbour as a digit (round 7)")
    args = parser.parse_args()
    name = args.model or numbers.best_model()
    numbers.CROSSING_PAIRS = args.crossing_pairs == "on"
    if args.without_scorer:
        numbers.SINGLE_WEIGHT = numbers.SINGLE_BONUS = 0.0
    if args.without_scorer or args.without_second_look:
        numbers.SECOND_WEIGHT = numbers.STABLE_MEAN_WEIGHT = numbers.STABLE_LEAST_WEIGHT = 0.0
    models.get_model(name)
    print(f"model {name}; load average {os.getloadavg()[0]:.1f} at the start")
    if args.digits:
        photo, clean, by_kind = digit_accuracy(name, args.digits)
        print(f"one digit, {args.digits} photos: photo {photo:.2%}, same strokes clean {clean:.2%}, "
              f"ratio {photo / clean:.1%} (target >= 97%)")
        print("  by paper/ink: " + ", ".join(f"{kind} {good / total:.1%} ({total})"
                                             for kind, (good, total) in sorted(by_kind.items())))
    if args.numbers:
        whole, touching, counted, kinds = number_accuracy(name, args.numbers, 4, args.spacing, args.failures)
        print(f"4-digit numbers ({args.spacing} spacing), {args.numbers} photos: entirely right {whole:.1%} "
              f"(target >= 90%); with touching digits {touching:.1%}; right number of digits {counted:.1%}")
        print("  misses: " + ", ".join(f"{kind} {number}" for kind, number in kinds.most_common()))
        mixed, _, counted, _ = number_accuracy(name, args.numbers // 2, (2, 6), args.spacing)
        print(f"2-6 digit numbers ({args.spacing} spacing), {args.numbers // 2} photos: entirely right "
              f"{mixed:.1%}; right number of digits {counted:.1%}")
    for label, (median, p90) in (timings(name, args.timed) if args.timed else {}).items():
        print(f"read one photo ({label}): median {median:.0f} ms, 90th percentile {p90:.0f} ms")
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
