"""Non-digits drawn the way the app receives drawings: the other half of the verdict's calibration.

``iter_non_digits`` makes letters and symbols from fonts (turned into pen strokes through
their skeletons), scribbles, shapes, smileys, two or three MNIST *test* digits side by side
and crossed-out digits, each drawn like ``mnist_app.synth``'s drawn digits: a round pen of
random width, random size, place, slight rotation and polarity on a 280x280 canvas.

Letters that people also write as digits (O, I, l, S, Z, B, g, q, ...) are left out: a
verdict of "digit" for them would not be wrong. Everything is deterministic given the seed;
sample ``i`` depends only on ``(seed, i)``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from mnist_app.synth.drawn import (
    CANVAS,
    MAX_PEN_FRACTION,
    MAX_ROTATION_DEGREES,
    PEN_RANGE,
    POLARITIES,
    SCALE_RANGE,
    Polarity,
    Polyline,
    draw_strokes,
    paint,
    skeleton_strokes,
)

#: Letters nobody writes as a digit (O=0, I/l=1, Z=2, S=5, b/G=6, T=7, B=8, g/q=9 are left out).
LETTERS = "ACEFHKLMNPRUVWXYacdefhkmnprtuvwxy"
SYMBOLS = "+=?#@&%$*<>~"  # not "!": its dot is dropped as a speck, leaving a 1
KINDS = ("letter", "symbol", "scribble", "shape", "smiley", "several_digits", "crossed_out")
FONT_FOLDERS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/truetype")
SHAPES = ("square", "triangle", "star", "heart", "spiral", "arrow", "zigzag", "wave", "cross")


@dataclass(frozen=True)
class NonDigit:
    """One drawn non-digit and how it was made."""

    canvas: np.ndarray  # RGBA uint8 (280, 280, 4)
    kind: str  # one of KINDS
    detail: str  # e.g. "letter K (DejaVuSerif-Bold)", "shape star", "digits 3 8"
    pen_width: float
    scale: float
    polarity: Polarity


def make_non_digits(
    n: int, seed: int = 0, *, data_dir: str | os.PathLike[str] | None = None
) -> tuple[np.ndarray, list[str]]:
    """``n`` drawn non-digits: canvases RGBA uint8 (n, 280, 280, 4) and their kinds."""
    samples = list(iter_non_digits(n, seed, data_dir=data_dir))
    if not samples:
        return np.zeros((0, CANVAS, CANVAS, 4), np.uint8), []
    canvases = np.stack([sample.canvas for sample in samples])
    return canvases, [sample.kind for sample in samples]


def iter_non_digits(
    n: int, seed: int = 0, *, data_dir: str | os.PathLike[str] | None = None,
    kinds: tuple[str, ...] = KINDS,
) -> Iterator[NonDigit]:
    """Yield ``n`` drawn non-digits, the kinds taking turns (see the module docstring)."""
    from mnist_app.data import load_mnist  # the MNIST *test* split only

    images, labels = load_mnist("test", data_dir)
    makers: dict[str, Callable[[np.random.Generator], tuple[list[Polyline], str]]] = {
        "letter": lambda rng: glyph_strokes(str(rng.choice(list(LETTERS))), rng),
        "symbol": lambda rng: glyph_strokes(str(rng.choice(list(SYMBOLS))), rng),
        "scribble": lambda rng: (scribble_strokes(rng), "scribble"),
        "shape": lambda rng: shape_strokes(str(rng.choice(SHAPES)), rng),
        "smiley": lambda rng: (smiley_strokes(rng), "smiley"),
        "several_digits": lambda rng: several_digits_strokes(images, labels, rng),
        "crossed_out": lambda rng: crossed_out_strokes(images, labels, rng),
    }
    for index in range(n):
        rng = np.random.default_rng([seed, index])
        kind = kinds[index % len(kinds)]
        strokes, detail = makers[kind](rng)
        pen = float(np.exp(rng.uniform(*np.log(PEN_RANGE))))
        scale = float(rng.uniform(*SCALE_RANGE))
        polarity: Polarity = POLARITIES[int(rng.integers(len(POLARITIES)))]
        angle = np.deg2rad(rng.uniform(-MAX_ROTATION_DEGREES, MAX_ROTATION_DEGREES))
        rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        strokes = [stroke @ rotation.T for stroke in strokes]
        pen = min(pen, MAX_PEN_FRACTION * scale * CANVAS)
        ink = draw_strokes(place(strokes, scale, rng), pen)
        yield NonDigit(paint(ink, polarity), kind, detail, pen, scale, polarity)


# --- strokes in a unit box (row, col) ------------------------------------------------------------


def glyph_strokes(character: str, rng: np.random.Generator) -> tuple[list[Polyline], str]:
    """A character from a random font, as its skeleton's strokes; and which font."""
    fonts = font_files()
    font_path = fonts[int(rng.integers(len(fonts)))] if fonts else None
    font = ImageFont.truetype(font_path, 22) if font_path else ImageFont.load_default(size=22)
    picture = Image.new("L", (40, 40), 0)
    ImageDraw.Draw(picture).text((20, 20), character, fill=255, font=font, anchor="mm")
    glyph = np.asarray(picture, dtype=np.float32) / 255.0
    rows, cols = np.flatnonzero(glyph.any(axis=1)), np.flatnonzero(glyph.any(axis=0))
    glyph = glyph[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    frame = np.zeros((28, 28), np.float32)  # skeleton_strokes works in MNIST's 28x28 frame
    height, width = min(glyph.shape[0], 26), min(glyph.shape[1], 26)
    top, left = (28 - height) // 2, (28 - width) // 2
    frame[top : top + height, left : left + width] = glyph[:height, :width]
    name = Path(font_path).stem if font_path else "Pillow default"
    return skeleton_strokes(frame), f"{character} ({name})"


@lru_cache(maxsize=1)
def font_files() -> tuple[str, ...]:
    """TrueType fonts to draw letters with (DejaVu on Debian); empty: Pillow's built-in font."""
    for folder in FONT_FOLDERS:
        found = sorted(str(path) for path in Path(folder).glob("*.ttf") if "ExtraLight" not in path.name)
        if found:
            return tuple(found)
    return ()


def scribble_strokes(rng: np.random.Generator) -> list[Polyline]:
    """One or two wandering lines: a random walk that turns smoothly."""
    strokes = []
    for _ in range(int(rng.integers(1, 3))):
        steps = int(rng.integers(40, 160))
        turns = np.cumsum(rng.normal(0.0, 0.35, steps)) + rng.uniform(0, 2 * np.pi)
        points = np.cumsum(np.stack([np.sin(turns), np.cos(turns)], axis=1) * 0.05, axis=0)
        strokes.append(points)
    return strokes


def shape_strokes(shape: str, rng: np.random.Generator) -> tuple[list[Polyline], str]:
    """A simple shape drawn by hand: each point jittered a little."""
    t = np.linspace(0.0, 1.0, 60)
    if shape == "square":
        points = [np.array([(0, 0), (0, 1), (1, 1), (1, 0), (0, 0)], float)]
    elif shape == "triangle":
        points = [np.array([(1, 0), (0, 0.5), (1, 1), (1, 0)], float)]
    elif shape == "star":
        angles = np.pi / 2 + np.arange(6) * 4 * np.pi / 5
        points = [np.stack([-np.sin(angles), np.cos(angles)], axis=1)]
    elif shape == "heart":
        a = t * 2 * np.pi
        points = [np.stack([-(13 * np.cos(a) - 5 * np.cos(2 * a) - 2 * np.cos(3 * a) - np.cos(4 * a)),
                            16 * np.sin(a) ** 3], axis=1)]
    elif shape == "spiral":
        a = t * 5 * np.pi
        points = [np.stack([a * np.sin(a), a * np.cos(a)], axis=1)]
    elif shape == "arrow":
        points = [np.array([(0.5, 0), (0.5, 1)], float), np.array([(0.2, 0.7), (0.5, 1), (0.8, 0.7)], float)]
    elif shape == "zigzag":
        points = [np.stack([np.arange(7) % 2 * 0.4, np.linspace(0, 1, 7)], axis=1)]
    elif shape == "wave":
        points = [np.stack([0.25 * np.sin(t * 4 * np.pi), t], axis=1)]
    elif shape == "cross":
        points = [np.array([(0, 0.5), (1, 0.5)], float), np.array([(0.5, 0), (0.5, 1)], float)]
    else:
        raise ValueError(f"unknown shape {shape!r}: one of {SHAPES}")
    scale = np.ptp(np.concatenate(points), axis=0).max()
    return [p + rng.normal(0.0, 0.02 * scale, p.shape) for p in points], f"shape {shape}"


def smiley_strokes(rng: np.random.Generator) -> list[Polyline]:
    """A face: a circle, two eyes and a smile (or a frown)."""
    a = np.linspace(0.0, 2 * np.pi, 50)
    face = np.stack([np.sin(a), np.cos(a)], axis=1)
    eyes = [np.array([(-0.35, x), (-0.25, x)]) for x in (-0.35, 0.35)]
    m = np.linspace(-0.5, 0.5, 15)
    mood = 1.0 if rng.random() < 0.8 else -1.0
    mouth = np.stack([0.35 + mood * (0.2 - 0.8 * m**2), m], axis=1)
    return [s + rng.normal(0.0, 0.02, s.shape) for s in [face, *eyes, mouth]]


def several_digits_strokes(images: np.ndarray, labels: np.ndarray,
                           rng: np.random.Generator) -> tuple[list[Polyline], str]:
    """Two or three MNIST test digits written side by side."""
    strokes, written = [], []
    for position in range(int(rng.integers(2, 4))):
        pick = int(rng.integers(len(images)))
        digit = skeleton_strokes(images[pick])
        offset = np.array([rng.normal(0, 1.0), position * rng.uniform(18, 24)])
        strokes += [segment + offset for segment in digit]
        written.append(str(labels[pick]))
    return strokes, "digits " + " ".join(written)


def crossed_out_strokes(images: np.ndarray, labels: np.ndarray,
                        rng: np.random.Generator) -> tuple[list[Polyline], str]:
    """An MNIST test digit struck through: one or two lines across it, or a scribble over it."""
    pick = int(rng.integers(len(images)))
    strokes = skeleton_strokes(images[pick])
    low, high = np.concatenate(strokes).min(axis=0), np.concatenate(strokes).max(axis=0)
    style = int(rng.integers(3))
    if style == 2:
        scribble = scribble_strokes(rng)[0]
        span = np.ptp(scribble, axis=0).max()
        strokes.append(low + (scribble - scribble.min(axis=0)) / max(span, 1e-6) * (high - low))
    else:
        strokes.append(np.array([low, high]) + rng.normal(0, 1.0, (2, 2)))
        if style == 1:
            strokes.append(np.array([(low[0], high[1]), (high[0], low[1])]) + rng.normal(0, 1.0, (2, 2)))
    return strokes, f"crossed-out {labels[pick]}"


def place(strokes: list[Polyline], scale: float, rng: np.random.Generator) -> list[Polyline]:
    """Fit the strokes' box to ``scale`` of the canvas (longer side) at a random place on it."""
    points = np.concatenate(strokes)
    low, high = points.min(axis=0), points.max(axis=0)
    factor = scale * CANVAS / max(float((high - low).max()), 1e-6)
    fitted = [(stroke - (low + high) / 2) * factor for stroke in strokes]
    points = np.concatenate(fitted)
    margin = 0.05 * CANVAS
    start, stop = margin - points.min(axis=0), CANVAS - margin - points.max(axis=0)
    centre = rng.uniform(np.minimum(start, stop), np.maximum(start, stop))
    return [stroke + centre for stroke in fitted]
