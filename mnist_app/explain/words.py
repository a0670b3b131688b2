"""The drawing page's verdict and the "Why?" page's explanations in words, for the command line.

``verdict_line`` is the page's headline ("Not sure: 4 or 9?") with its reason;
``explanation_lines`` says what a model answered, which training digits are nearest, and
where the ink pushed the model towards its answer or away from it; ``evidence_picture``
draws the evidence map as the page does (red towards, blue away) for saving as a file.
"""

from __future__ import annotations

import numpy as np

from mnist_app import models, preprocess
from mnist_app.explain.evidence import evidence, ink_mask
from mnist_app.explain.neighbours import as_digit, neighbours
from mnist_app.explain.verdict import PANEL, verdict_from_steps

ROWS = ("top", "middle", "bottom")
COLUMNS = ("left", "centre", "right")
#: A region is named when it holds at least this share of the push one way.
NAMED_SHARE = 0.2


def verdict_line(pipeline: list[preprocess.Step], answers: dict[str, np.ndarray]) -> str:
    """The verdict on a drawing from ``preprocess.steps``; ``answers``: probabilities already known.

    The panel is the panel models that are trained, else the models in ``answers`` (nothing trains).
    """
    panel = [name for name in PANEL if models.is_trained(name)] or list(answers)
    found = verdict_from_steps(pipeline, probabilities=answers, panel=panel)
    return f"{found.headline}. {found.reason}"


def region_name(row: int, column: int) -> str:
    """ "top left", "middle" (the centre), "bottom centre", ... for a cell of a 3x3 grid."""
    if (row, column) == (1, 1):
        return "middle"
    return f"{ROWS[row]} {COLUMNS[column]}" if row != 1 else f"middle {COLUMNS[column]}"


def regions(push: np.ndarray, ink: np.ndarray) -> tuple[list[str], list[str]]:
    """The regions of the ink's box (3x3) holding most of the push towards and away, strongest first."""
    rows, columns = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if not len(rows):
        return [], []
    row_edges = np.linspace(rows[0], rows[-1] + 1, 4).round().astype(int)
    column_edges = np.linspace(columns[0], columns[-1] + 1, 4).round().astype(int)
    towards, away = np.zeros((3, 3)), np.zeros((3, 3))
    for i in range(3):
        for j in range(3):
            cell = push[row_edges[i]:row_edges[i + 1], column_edges[j]:column_edges[j + 1]]
            towards[i, j], away[i, j] = cell[cell > 0].sum(), -cell[cell < 0].sum()
    return _strongest(towards), _strongest(away)


def _strongest(push: np.ndarray) -> list[str]:
    total = push.sum()
    if total <= 0:
        return []
    order = np.argsort(push, axis=None)[::-1]
    cells = [np.unravel_index(k, push.shape) for k in order if push.flat[k] >= NAMED_SHARE * total]
    return [region_name(int(i), int(j)) for i, j in cells]


def explanation_lines(digit: np.ndarray, name: str, *, k: int = 8) -> list[str]:
    """Why model ``name`` answered as it did for ``digit`` (what ``to_mnist`` returns), in words."""
    answer = models.predict_digit(digit, name)
    label, who = answer.label, models.get_spec(name).display_name
    runners_up = np.argsort(answer.probabilities)[::-1][1:3]
    lines = [f"{who} says {label}, {answer.confidence:.0%} sure (then "
             + ", ".join(f"{d}: {answer.probabilities[d]:.0%}" for d in runners_up) + ")."]
    near = neighbours(digit, k=k)
    alike = sum(n.label == label for n in near)
    lines.append(f"The {k} nearest of MNIST's training digits are "
                 + ", ".join(str(n.label) for n in near)
                 + f" ({alike} of {k} are {label}s; training digits #"
                 + ", #".join(str(n.index) for n in near[:3]) + ", ... are nearest).")
    towards, away = regions(evidence(digit, name, label), ink_mask(digit))
    if towards:
        lines.append(f"The ink at the {' and the '.join(towards)} pushed it most towards {label}.")
    if away:
        lines.append(f"The ink at the {' and the '.join(away)} pushed it away from {label}.")
    return lines


def evidence_picture(digit: np.ndarray, name: str, target: int | None = None, zoom: int = 10) -> np.ndarray:
    """The evidence map as an RGB uint8 picture, ``zoom`` times 28 pixels a side: the ink in grey,
    red where it pushed towards ``target`` (default the answer), blue where it pushed away."""
    values = evidence(digit, name, target)
    scale = float(np.abs(values).max()) or 1.0
    grey = 0.35 * as_digit(digit)
    red = np.clip(values / scale, 0, 1)
    blue = np.clip(-values / scale, 0, 1)
    picture = np.stack([np.maximum(grey, red), grey, np.maximum(grey, blue)], axis=-1)
    picture = (picture * 255).round().astype(np.uint8)
    return picture.repeat(zoom, axis=0).repeat(zoom, axis=1)
