"""The plotly figures of the report pages and reading a confusion-cell selection back."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

from mnist_app.report import charts


def sample_confusion() -> np.ndarray:
    rng = np.random.default_rng(1)
    confusion = rng.integers(0, 8, (10, 10))
    np.fill_diagonal(confusion, rng.integers(900, 1100, 10))
    confusion[3] = 0  # a digit that never occurs: its rates must not be NaN
    return confusion


def cells_trace(figure: go.Figure) -> go.Scatter:
    (trace,) = [t for t in figure.data if isinstance(t, go.Scatter)]
    return trace


def test_row_rates_sum_to_one_per_present_digit() -> None:
    rates = charts.row_rates(sample_confusion())
    sums = rates.sum(axis=1)
    assert sums[3] == 0 and not np.isnan(rates).any()
    assert np.allclose(np.delete(sums, 3), 1.0)


@pytest.mark.parametrize("normalise", [False, True])
def test_confusion_figure_writes_every_cell_and_hovers_both_numbers(normalise: bool) -> None:
    confusion = sample_confusion()
    figure = charts.confusion_figure(confusion, normalise=normalise)
    heatmap = figure.data[0]
    assert isinstance(heatmap, go.Heatmap)
    text = np.array(heatmap.text)
    if normalise:
        assert text[0, 0] == f"{charts.row_rates(confusion)[0, 0]:.1%}"
        assert np.allclose(np.array(heatmap.customdata), charts.row_rates(confusion))
    else:
        assert text.tolist() == [[str(c) for c in row] for row in confusion]
        assert np.array_equal(np.array(heatmap.customdata), confusion)
    # The colour grows with the number shown (log scale) so small mistakes still show up.
    colour = np.array(heatmap.z)
    shown = np.array(heatmap.customdata, dtype=float)
    order = np.argsort(shown.ravel(), kind="stable")
    assert np.all(np.diff(colour.ravel()[order]) >= -1e-12)
    assert colour[1, 2] > 0 if confusion[1, 2] else colour[1, 2] == 0
    # One selectable marker per cell, carrying true, predicted, count and rate for the hover.
    cells = cells_trace(figure)
    assert len(cells.x) == 100
    data = np.array(cells.customdata)
    for true, predicted, count, percent in data:
        assert confusion[int(true), int(predicted)] == count
        assert percent == pytest.approx(100 * charts.row_rates(confusion)[int(true), int(predicted)])
    assert "customdata[2]" in cells.hovertemplate and "customdata[3]" in cells.hovertemplate


def test_confusion_figure_axes_and_selection_outline() -> None:
    figure = charts.confusion_figure(sample_confusion(), normalise=False, selected=(4, 9))
    assert "true" in figure.layout.yaxis.title.text and "predicted" in figure.layout.xaxis.title.text
    assert tuple(figure.layout.yaxis.range) == (9.5, -0.5)  # 0 at the top, like the printed matrix
    assert tuple(figure.layout.xaxis.range) == (-0.5, 9.5)  # the plot area is exactly the cells
    (outline,) = figure.layout.shapes
    assert (outline.x0, outline.x1, outline.y0, outline.y1) == (8.5, 9.5, 3.5, 4.5)
    assert not charts.confusion_figure(sample_confusion(), normalise=False).layout.shapes


def test_confusion_figure_rejects_wrong_shape() -> None:
    with pytest.raises(ValueError, match="10x10"):
        charts.confusion_figure(np.zeros((9, 9)), normalise=False)


def selection_event(*points: dict) -> dict:
    return {"selection": {"points": list(points), "point_indices": [], "box": [], "lasso": []}}


def test_cell_from_selection_reads_the_clicked_marker() -> None:
    figure = charts.confusion_figure(sample_confusion(), normalise=True)
    cells = cells_trace(figure)
    # What Streamlit reports when the marker of row 4, column 9 is clicked.
    index = 4 * 10 + 9
    point = {"curve_number": 1, "point_index": index, "point_number": index,
             "x": int(cells.x[index]), "y": int(cells.y[index]),
             "customdata": list(cells.customdata[index])}
    assert charts.cell_from_selection(selection_event(point)) == (4, 9)
    assert charts.cell_from_selection(selection_event({"x": 2.0, "y": 2.0})) == (2, 2)


@pytest.mark.parametrize(
    "event",
    [None, {}, selection_event(), {"selection": {}}, selection_event({"x": 11, "y": 2}),
     selection_event({"curve_number": 0})],
)
def test_cell_from_selection_without_a_cell(event) -> None:
    assert charts.cell_from_selection(event) is None


def test_comparison_figure_has_one_bar_per_model_per_measure() -> None:
    rows = [
        charts.ModelRow("knn", "k nearest neighbours", 0.97, 0.3, 31.0, 17_000_000),
        charts.ModelRow("logreg", "Logistic regression", 0.92, 21.0, 0.1, 40_000),
        charts.ModelRow("mlp", "Neural network", 0.98, 25.0, 0.1, 2_300_000),
    ]
    figure = charts.comparison_figure(rows)
    bars = [trace for trace in figure.data if isinstance(trace, go.Bar)]
    assert [bar.name for bar in bars] == ["accuracy", "fit_seconds", "latency_ms", "size_mb"]
    by_name = {bar.name: dict(zip(bar.y, bar.x, strict=True)) for bar in bars}
    assert by_name["accuracy"]["Neural network"] == 0.98
    assert by_name["latency_ms"]["k nearest neighbours"] == 31.0
    assert by_name["size_mb"]["Logistic regression"] == pytest.approx(0.04)
    assert list(bars[0].y) == ["Logistic regression", "k nearest neighbours", "Neural network"]
    assert "98.00%" in bars[0].text
    assert figure.layout.xaxis2.type == "log"  # times span orders of magnitude


def test_comparison_panels_are_stacked_so_long_names_never_overlap_bars() -> None:
    rows = [charts.ModelRow(f"m{i}", f"A model with a rather long name {i}", 0.9 + i / 100, 1.0 + i, 1.0,
                            10**6) for i in range(8)]
    figure = charts.comparison_figure(rows)
    # Every panel spans the whole width, one under the other: names on the left never sit
    # over another panel's bars.
    domains = [figure.layout[f"xaxis{suffix}"].domain for suffix in ("", "2", "3", "4")]
    assert all(tuple(domain) == (0.0, 1.0) for domain in domains)
    heights = [tuple(figure.layout[f"yaxis{suffix}"].domain) for suffix in ("", "2", "3", "4")]
    assert all(low_a >= high_b for (low_a, _), (_, high_b) in zip(heights, heights[1:], strict=False))
    assert figure.layout.yaxis.automargin
