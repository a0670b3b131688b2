"""Explanations in words (the command line's "Why?"): naming where the ink pushed."""

from __future__ import annotations

import numpy as np
import pytest

from mnist_app.explain import words


@pytest.mark.parametrize("row, column, name", [
    (0, 0, "top left"), (0, 1, "top centre"), (1, 1, "middle"), (1, 2, "middle right"), (2, 0, "bottom left"),
])
def test_regions_are_named_as_a_student_would(row, column, name) -> None:
    assert words.region_name(row, column) == name


def test_the_push_is_named_by_region_of_the_ink_strongest_first() -> None:
    ink = np.zeros((28, 28), bool)
    ink[4:22, 7:19] = True  # the ink's box: rows 4-21, columns 7-18, thirds of 6 rows and 4 columns
    push = np.zeros((28, 28))
    push[5, 8] = 3.0  # top left, towards
    push[20, 17] = 1.0  # bottom right, towards, weaker
    push[12, 12] = -2.0  # the middle, away
    push[0, 0] = 0.01  # a crumb: under a fifth of the push, not named
    towards, away = words.regions(push, ink)
    assert towards == ["top left", "bottom right"] and away == ["middle"]
    assert words.regions(np.zeros((28, 28)), ink) == ([], [])
    assert words.regions(push, np.zeros((28, 28), bool)) == ([], [])
