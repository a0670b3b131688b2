"""Decision trees grown on pixel values rounded down to a few steps, answering raw values.

A tree's split search sorts every feature's values at every node. The prepared digits are
softened (``preprocess.normalise``): nearly every pixel near a stroke has its own grey, so
trees grew 7-10x slower on them than on raw MNIST. Rounding each pixel down to eighths
before the fit gives the same accuracy in a tenth of the time (docs/benchmarks.md,
"Writing styles MNIST lacks", round 2).

After the fit every threshold, a midpoint between two steps, is moved to the upper step's
edge (just below it, in float32), so the fitted tree sends a raw value exactly where it
would send the value rounded down: the model needs no rounding when it answers, and
answers with the plain scikit-learn estimator (the forest's quick path included).
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: Steps per unit of ink: pixel values in [0, 1] are rounded down to multiples of 1/STEPS.
STEPS = 8
_LEAF = -1  # scikit-learn's children_left of a leaf


def stepped(features: np.ndarray) -> np.ndarray:
    """``features`` rounded down to multiples of 1 / STEPS (float32, same shape)."""
    values = np.asarray(features, dtype=np.float32)
    return (np.floor(values * np.float32(STEPS)) / np.float32(STEPS)).astype(np.float32)


def snap_thresholds(tree: Any) -> None:
    """Move a fitted ``DecisionTreeClassifier``'s thresholds to the step edges, in place.

    A threshold t between steps k/STEPS and (k+1)/STEPS becomes the largest float32 below
    (k+1)/STEPS: then ``x <= t`` holds for a raw float32 x exactly when
    ``floor(x * STEPS) <= k``, i.e. when the rounded-down x went left during the fit.
    """
    nodes = tree.tree_
    split = nodes.children_left != _LEAF
    upper = (np.floor(nodes.threshold[split] * STEPS) + 1) / STEPS
    edge = np.nextafter(upper.astype(np.float32), np.float32(-np.inf)).astype(np.float64)
    # Tree.threshold is a view of the tree's node array: writing to it changes the tree.
    thresholds = nodes.threshold
    thresholds[split] = edge
    if not np.array_equal(nodes.threshold[split], edge):
        raise RuntimeError("this scikit-learn version does not let thresholds be moved")


def snap_model(model: Any) -> Any:
    """:func:`snap_thresholds` on a tree, or on every tree of a forest; returns ``model``."""
    for tree in getattr(model, "estimators_", [model]):
        snap_thresholds(tree)
    return model
