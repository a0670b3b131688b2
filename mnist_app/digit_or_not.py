"""Is a piece of a written number one whole digit, or not? A small classifier says how likely.

Digit classifiers answer confidently on things that are not one digit: a 1 squeezed against
an 8 reads as an 8, a 0 cut in two reads as 6 and 7. When :mod:`mnist_app.numbers` chooses how
to join the pieces of a line (:mod:`mnist_app.oversegment`) it adds ``log P(one digit)`` from
this classifier to each candidate's score.

Trained on MNIST *training* digits only (the first ``POOL`` of them), as segmentation cuts
them: numbers of 2-5 digits composed like the photo generator does (``synth.photos``: gaps
measured between the ink, touching to wide), drawn, cut into atoms, and every run of atoms
the reader would consider becomes an example: one whole digit (positive), or two touching
digits, part of a digit, a digit with a slice of its neighbour (negative). Its features are
the 28x28 digit ``to_mnist`` makes of the piece plus its size against the line's height.

Trained once, lazily on first use (or by ``mnist-app train``), and stored as a signed file in
the model cache (:mod:`mnist_app.models.store`), keyed by its recipe and the training data.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from mnist_app import cut_paths, oversegment, segment
from mnist_app.data import load_mnist
from mnist_app.models import store, training
from mnist_app.photos import pieces_to_mnist
from mnist_app.preprocess.ink import INK_FLOOR
from mnist_app.preprocess.pipeline import PREPROCESS_VERSION

Progress = Callable[[float, str], None]
Run = tuple[tuple[int, int], segment.DigitPiece]

#: The scorer's name in the model cache.
NAME = "digit-or-not"
#: Bump when the recipe changes (examples, features, classifier): it is then trained again.
RECIPE = {"version": 1, "lines": 400, "digits": (2, 5), "hidden": 64, "seed": 18}
#: Only the first POOL training digits make examples (the rest stay unseen, to tune on).
POOL = 50_000
#: Training lines made per task (``training_pieces``); features per piece.
CHUNK, FEATURES = 25, 28 * 28 + 6
#: A piece is one whole digit when this share of its ink is one digit's and it holds this share of it.
WHOLE = 0.9
#: A piece whose size prior and cut costs alone are below this is not read (a dot, a dash).
HOPELESS = -4.0

_loaded: dict[str, Any] = {}
_lock = threading.Lock()


def readable_runs(parts: oversegment.Atoms, whole_blobs: bool = True) -> tuple[list[Run], np.ndarray]:
    """The runs of atoms worth reading as one digit, and the 28x28 digit each makes (m, 28, 28);
    ``whole_blobs``: see ``oversegment.candidates`` (the scorer learns without those rare pieces)."""
    # Far too short to be a digit, whatever the model says: not worth reading.
    worth = [(run, piece) for run, piece in oversegment.candidates(parts, whole_blobs).items()
             if oversegment.size_prior(parts, piece) + oversegment.cut_cost(parts, *run) >= HOPELESS]
    images, kept = pieces_to_mnist([piece.ink for _, piece in worth])
    return [worth[index] for index in kept], images


def features(parts: oversegment.Atoms, runs: list[Run], images: np.ndarray) -> np.ndarray:
    """The scorer's input (m, ``FEATURES``): each piece's 28x28 digit and its shape against the
    line: width and height over the line's height, log aspect, atoms joined, strokes cut to
    part it from its neighbours, share of its box inked."""
    shape = np.zeros((len(runs), 6), np.float32)
    for row, ((first, last), piece) in enumerate(runs):
        x0, y0, x1, y1 = piece.box
        width, height = (x1 - x0) / parts.height, (y1 - y0) / parts.height
        shape[row] = (width, height, np.log(max(width, 1e-3) / max(height, 1e-3)),
                      (last - first + 1) / oversegment.MAX_RUN,
                      -oversegment.cut_cost(parts, first, last) / 2,
                      float(np.count_nonzero(piece.ink)) / max(piece.ink.size, 1))
    return np.hstack([images.reshape(len(runs), -1), shape])


def probability_single(parts: oversegment.Atoms, runs: list[Run], images: np.ndarray) -> np.ndarray:
    """P(each piece is one whole digit), (m,): trained first if it is not cached (see ``get_scorer``)."""
    if not runs:
        return np.zeros(0)
    from mnist_app.models import one_native_thread

    with one_native_thread():  # a few rows: starting thread pools costs more than it saves
        return get_scorer().predict_proba(features(parts, runs, images))[:, 1]


def scorer_key(data_dir: Any = None) -> str:
    """The cache key: the recipe, the libraries, the preprocessing and the training data."""
    images, labels = load_mnist("train", data_dir)
    return store.cache_key({"recipe": RECIPE, "versions": store.library_versions(("sklearn", "numpy")),
                            "training_data": training.data_checksum(images, labels),
                            "preprocess": PREPROCESS_VERSION, "segment": _segment_settings()})


def get_scorer(*, data_dir: Any = None, progress: Progress | None = None) -> Any:
    """The fitted scorer (``predict_proba`` of ``features`` rows): from memory, the cache, or trained."""
    key = scorer_key(data_dir)
    with _lock:
        if key in _loaded:
            return _loaded[key]
        with store.locked(NAME):  # two processes starting together train once
            cached = store.load_model(NAME, key, store.signed_pickle_load)
            if cached is None:
                model, meta = train(data_dir, progress or _ignore)
                store.save_model(NAME, key, store.signed_pickle_dump(model), meta)
            else:
                model = cached[0]
        _loaded.clear()
        _loaded[key] = model
        return model


def is_trained(data_dir: Any = None) -> bool:
    """Whether the scorer is ready without training (in memory or in the cache)."""
    key = scorer_key(data_dir)
    return key in _loaded or store.is_cached(NAME, key)


def train(data_dir: Any = None, progress: Progress | None = None) -> tuple[Any, dict[str, Any]]:
    """Fit the scorer on pieces of numbers made from MNIST training digits; (model, sidecar)."""
    from sklearn.neural_network import MLPClassifier

    report = progress or _ignore
    started = time.perf_counter()
    images, labels = load_mnist("train", data_dir)
    rows, targets = training_pieces(images[:POOL], RECIPE["lines"],
                                    lambda done: report(0.85 * done, "Cutting numbers into pieces "
                                                        "to learn what one digit looks like"))
    pieces_seconds = time.perf_counter() - started
    report(0.86, "Training the one-digit-or-not scorer")
    model = MLPClassifier(hidden_layer_sizes=(RECIPE["hidden"],), alpha=1e-3, max_iter=60,
                          early_stopping=True, random_state=RECIPE["seed"])
    model.fit(rows, targets)
    report(1.0, "The one-digit-or-not scorer is ready")
    meta = {"fit_seconds": round(time.perf_counter() - started, 3),
            "pieces_seconds": round(pieces_seconds, 3), "n_train": int(len(targets)),
            "positives": int(targets.sum()), "training_data": training.data_checksum(images, labels),
            "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    return model, meta


def training_pieces(images: np.ndarray, lines: int,
                    progress: Callable[[float], None] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``features`` rows and targets (1 = one whole digit) from ``lines`` numbers of ``images``.

    Made in chunks of ``CHUNK`` lines on every core (each chunk its own random stream: the
    result does not depend on the number of cores).
    """
    import joblib

    chunks = [(start, min(CHUNK, lines - start)) for start in range(0, lines, CHUNK)]
    made = joblib.Parallel(n_jobs=-1, return_as="generator")(
        joblib.delayed(_chunk_pieces)(images, start, count) for start, count in chunks)
    rows, targets = [], []
    for done, (chunk_rows, chunk_targets) in enumerate(made, start=1):
        rows.append(chunk_rows)
        targets.append(chunk_targets)
        if progress:
            progress(done / len(chunks))
    return np.vstack(rows), np.concatenate(targets)


def _chunk_pieces(images: np.ndarray, start: int, count: int) -> tuple[np.ndarray, np.ndarray]:
    """The examples of lines ``start .. start + count - 1`` (see ``training_pieces``)."""
    from mnist_app.synth import drawn, photos

    rows, targets = [np.zeros((0, FEATURES), np.float32)], [np.zeros(0, np.int64)]
    for line in range(start, start + count):
        rng = np.random.default_rng([RECIPE["seed"], line])
        digits = int(rng.integers(RECIPE["digits"][0], RECIPE["digits"][1] + 1))
        handwriting = [drawn.skeleton_strokes(images[int(rng.integers(len(images)))]) for _ in range(digits)]
        pen_ratio = float(rng.uniform(0.05, 0.11))
        placed, _, height = photos.layout_digits(handwriting, rng, pen_ratio, "ink")
        ink, owners = _draw_line(placed, height, pen_ratio, float(rng.uniform(36, 48)))
        try:
            parts = oversegment.atoms(ink)
        except ValueError:
            continue
        runs, pieces = readable_runs(parts, whole_blobs=False)
        if runs:
            rows.append(features(parts, runs, pieces))
            targets.append(_whole_digit(parts, runs, owners))
    return np.vstack(rows).astype(np.float32), np.concatenate(targets)


def _draw_line(placed: list[list[np.ndarray]], height: float, pen_ratio: float, target: float
               ) -> tuple[np.ndarray, np.ndarray]:
    """The digits drawn ``target`` pixels high: the line's ink and each pixel's digit (-1: none)."""
    from mnist_app.synth import drawn

    points = np.concatenate([np.concatenate(strokes) for strokes in placed])
    low, factor = points.min(axis=0) - 4 * pen_ratio * height, target / height
    scaled = [[(stroke - low) * factor for stroke in strokes] for strokes in placed]
    size = int(np.ceil(max(np.ptp(points, axis=0)) * factor + 10 * pen_ratio * target))
    rows = int(np.ceil(np.ptp(points[:, 0]) * factor + 10 * pen_ratio * target))
    inks = np.stack([drawn.draw_strokes(strokes, max(1.0, pen_ratio * target), size)[:rows]
                     for strokes in scaled])
    ink = inks.max(axis=0)
    ink[ink < INK_FLOOR] = 0.0
    return ink, np.where(ink > 0, inks.argmax(axis=0), -1)


def _whole_digit(parts: oversegment.Atoms, runs: list[Run], owners: np.ndarray) -> np.ndarray:
    """1 where a run's ink is nearly all one digit's and holds nearly all of that digit's ink
    (``WHOLE`` of each): a cut a little off the contact between touching digits still makes
    whole digits, as the reader needs them."""
    inked = (parts.labels > 0) & (owners >= 0)
    digits = int(owners.max()) + 1
    by_atom = np.zeros((parts.count + 1, max(digits, 1)))  # ink of each digit in each atom
    np.add.at(by_atom, (parts.labels[inked], owners[inked]), parts.ink[inked])
    totals = by_atom.sum(axis=0)
    whole = np.zeros(len(runs), np.int64)
    for row, ((first, last), _) in enumerate(runs):
        inside = by_atom[first : last + 1].sum(axis=0)
        digit = int(inside.argmax())
        whole[row] = int(inside[digit] >= WHOLE * inside.sum() and inside[digit] >= WHOLE * totals[digit])
    return whole


def _segment_settings() -> dict[str, float]:
    """The segmentation settings that shape the pieces the scorer learns from."""
    settings = {**vars(cut_paths), **vars(oversegment)}  # the path search's own settings are in cut_paths
    return {name: settings[name] for name in (
        "LINE_HEIGHT", "CUT_ASPECT", "CUT_MARGIN", "CUT_STEP", "CUT_REACH", "CUT_SPACING", "INK_COST",
        "INK_PIXEL_COST", "SIDE_STEP_COST", "NEAR_GAP", "MAX_DIGIT_ASPECT", "MAX_RUN")}


def forget_loaded() -> None:
    """Drop the scorer held in memory (it stays cached on disk): a fresh start, e.g. in tests."""
    with _lock:
        _loaded.clear()


def _ignore(fraction: float, message: str) -> None:
    return None
