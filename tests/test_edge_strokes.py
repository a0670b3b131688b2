"""Cuts beside a thin upright stroke at the edge of a wide blob (edge_strokes): a 1 against its neighbour."""

from __future__ import annotations

import numpy as np

from mnist_app import edge_strokes, oversegment
from mnist_app.synth.drawn import draw_strokes

HEIGHT, PEN = 48, 3.0


def ring(centre_col: float, half_width: float = 11.0) -> np.ndarray:
    """An upright ellipse's outline (a 0) as a polyline, HEIGHT high: (row, col) points."""
    angles = np.linspace(0, 2 * np.pi, 60)
    rows = 6 + (HEIGHT / 2 - 2) * (1 + np.cos(angles))
    return np.stack([rows, centre_col + half_width * np.sin(angles)], axis=1)


def bar(col: float, lean: float = 0.0) -> np.ndarray:
    """A straight upright stroke (a 1), leaning ``lean`` columns per row."""
    rows = np.array([6.0, 6 + HEIGHT - 4])
    return np.stack([rows, col + lean * (rows - rows[0])], axis=1)


def blob(strokes: list[np.ndarray], width: int = 80) -> np.ndarray:
    """The strokes drawn with a thin pen: float ink (HEIGHT + 12, width)."""
    ink = draw_strokes(strokes, PEN, size=width)[: HEIGHT + 12]
    ink[ink < 0.2] = 0.0
    cols = np.flatnonzero(ink.any(axis=0))
    return ink[:, cols[0] : cols[-1] + 1]  # cropped to its columns, as oversegment hands a blob


def test_a_one_touching_a_zero_on_its_right_is_cut_beside_its_stroke() -> None:
    ink = blob([bar(10.0), ring(10.0 + PEN + 14.0, half_width=14.0)])  # the ring's leftmost point touches it
    assert ndimage_count(ink) == 1
    cuts = edge_strokes.edge_cuts(ink > 0, HEIGHT)
    assert len(cuts) == 1
    assert 4 <= np.median(cuts[0]) <= 8  # just right of the bar (its ink: columns 0-4 of the blob)


def test_a_one_touching_a_zero_on_its_left_is_cut_beside_its_stroke() -> None:
    ink = blob([ring(23.0, half_width=14.0), bar(23.0 + 14.0 + PEN)])
    assert ndimage_count(ink) == 1
    cuts = edge_strokes.edge_cuts(ink > 0, HEIGHT)
    assert len(cuts) == 1
    width = ink.shape[1]
    assert width - 8 <= np.median(cuts[0]) <= width - 4  # just left of the bar (the last 4-5 columns)


def test_edge_cuts_are_added_where_no_path_runs_near_and_none_cross() -> None:
    rows = 10
    paths = [np.full(rows, 6), np.full(rows, 20), np.full(rows, 30)]
    near_first = np.array([5, 5, 5, 5, 5, 9, 9, 9, 9, 9])  # about as far along as the first path
    far = np.array([40, 40, 40, 40, 40, 28, 28, 28, 28, 28])  # right of the last one, winding
    merged = edge_strokes.with_edge_cuts(paths, [near_first, far], near=2.4)
    assert len(merged) == 4 and not any(path is near_first for path in merged)
    assert all(np.all(merged[i] >= merged[i - 1]) for i in range(1, len(merged)))
    assert np.array_equal(merged[3], np.maximum(far, 30))  # kept right of the path before it


def test_atoms_take_edge_cuts_when_asked(monkeypatch) -> None:
    ink = blob([bar(10.0), ring(10.0 + PEN + 14.0, half_width=14.0)])
    asked = []

    def edge_cuts(own: np.ndarray, height: float) -> list[np.ndarray]:
        asked.append(own.shape)
        return [np.full(own.shape[0], own.shape[1] - 3)]  # a cut no least-ink path runs near

    monkeypatch.setattr(oversegment, "edge_cuts", edge_cuts)
    plain = oversegment.atoms(ink)  # off by default (EDGE_STROKES)
    assert asked == [] and not oversegment.EDGE_STROKES
    parts = oversegment.atoms(ink, edge_strokes=True)
    assert len(asked) == 1 and parts.count == plain.count + 1
    assert parts.boxes[-1][0] == ink.shape[1] - 3
    monkeypatch.setattr(oversegment, "EDGE_STROKES", True)
    assert oversegment.atoms(ink).count == parts.count
    assert oversegment.atoms(ink, edge_strokes=False).count == plain.count


def ndimage_count(ink: np.ndarray) -> int:
    """How many connected blobs of ink (8-connected)."""
    from scipy import ndimage

    return int(ndimage.label(ink > 0, structure=np.ones((3, 3), bool))[1])


def test_no_cut_in_digits_without_a_thin_upright_edge() -> None:
    wide_zero = blob([ring(30.0, half_width=22.0)])
    assert edge_strokes.edge_cuts(wide_zero > 0, HEIGHT) == []
    two_zeros = blob([ring(16.0), ring(16.0 + 22.0 + PEN)])
    assert edge_strokes.edge_cuts(two_zeros > 0, HEIGHT) == []
    narrow = blob([bar(10.0), ring(10.0 + PEN / 2 + 6.0, half_width=6.0)])  # narrower than a 1 and a digit
    assert edge_strokes.edge_cuts(narrow > 0, HEIGHT) == []


def test_stroke_width_is_the_pen_width() -> None:
    assert abs(edge_strokes.stroke_width(blob([bar(10.0), bar(30.0)]) > 0) - PEN) <= 1.0
