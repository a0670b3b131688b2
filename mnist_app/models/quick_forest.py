"""A random forest that answers one drawing without joblib's per-tree overhead.

scikit-learn's ``RandomForestClassifier.predict_proba`` dispatches every tree through
joblib (with a configuration context per call), which for a single drawing costs about
16 ms of CPU for 100 trees here; asking the trees' arrays directly gives the same
probabilities in about 1 ms. The drawing page asks every model on every stroke, so this matters when a
class draws at once (docs/benchmarks.md, "A class of 30").
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: Up to this many rows are answered tree by tree; larger batches use scikit-learn's path.
FEW_ROWS = 64


class QuickForest:
    """Wraps a fitted ``RandomForestClassifier``: same answers, and every other attribute
    (``estimators_``, ``classes_``...) is the forest's own."""

    def __init__(self, forest: Any) -> None:
        self.forest = forest

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Probabilities (n, n_classes), as the forest's own ``predict_proba`` gives them."""
        if len(X) > FEW_ROWS:
            return self.forest.predict_proba(X)
        rows = np.ascontiguousarray(X, dtype=np.float32)  # what the forest's own check_array gives the trees
        # Each tree's own predict_proba(check_input=False) is this plus a fitted check: 3 -> 1 ms.
        total = sum(tree.tree_.predict(rows)[:, : tree.n_classes_] for tree in self.forest.estimators_)
        return total / len(self.forest.estimators_)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """The most likely class of each row."""
        return self.forest.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def __getattr__(self, name: str) -> Any:
        if name == "forest":  # not set yet (e.g. while unpickling): no endless lookup
            raise AttributeError(name)
        return getattr(self.forest, name)


def load_quick_forest(load: Any) -> Any:
    """A ``ModelSpec.load`` hook: ``load(data)``, wrapped in :class:`QuickForest`."""

    def quick_load(data: bytes) -> QuickForest:
        return QuickForest(load(data))

    return quick_load
