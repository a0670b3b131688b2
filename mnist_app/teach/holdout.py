"""Which of the class's digits are held out (never taught) to measure the teaching honestly.

With at least ``MIN_STUDENTS_FOR_WHOLE`` students, whole students are held out, so the
figure says how the models do on a new student of this class; otherwise a random share of
the digits. The split is seeded, so the same digits always split the same way.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

HELD_OUT_SHARE = 0.3
MIN_STUDENTS_FOR_WHOLE = 4


def held_out_mask(labels: np.ndarray, students: Sequence[str], seed: int = 0) -> np.ndarray:
    """Boolean (n,): True for the digits held out. At least one digit each side when n >= 2.

    The teaching side keeps at least two different labels when the class has them.
    """
    labels = np.asarray(labels)
    n = len(labels)
    rng = np.random.default_rng(seed)
    names = sorted(set(students))
    for _attempt in range(20):
        if len(names) >= MIN_STUDENTS_FOR_WHOLE:
            count = max(1, round(HELD_OUT_SHARE * len(names)))
            chosen = set(rng.choice(names, size=count, replace=False).tolist())
            mask = np.array([student in chosen for student in students], dtype=bool)
        else:
            mask = np.zeros(n, dtype=bool)
            mask[rng.choice(n, size=min(n - 1, max(1, round(HELD_OUT_SHARE * n))), replace=False)] = True
        if _usable(labels, mask):
            return mask
    return mask


def _usable(labels: np.ndarray, mask: np.ndarray) -> bool:
    taught = labels[~mask]
    wanted = min(2, len(np.unique(labels)))
    return bool(mask.any()) and len(taught) > 0 and len(np.unique(taught)) >= wanted
