"""Plotly figures for the report pages (no Streamlit), and reading a confusion-cell selection back."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

DIGITS = list(range(10))
# Colour by log10(1 + value * scale): on a good model the diagonal holds ~1,000 digits
# per cell and the mistakes a handful, so a linear scale would hide every mistake.
# Rates are scaled to per mille so both modes share one colour range (0 to 1,000).
_RATE_SCALE = 1000.0
_COLOUR_MAX = float(np.log10(1 + 1000))


def row_rates(confusion: np.ndarray) -> np.ndarray:
    """Each row divided by its total: the share of each true digit given each answer (0 for empty rows)."""
    counts = np.asarray(confusion, dtype=float)
    totals = counts.sum(axis=1, keepdims=True)
    return np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)


def confusion_figure(
    confusion: np.ndarray, normalise: bool, selected: tuple[int, int] | None = None
) -> go.Figure:
    """A heatmap of the 10x10 confusion matrix (rows true digit, columns prediction).

    ``normalise`` shows row-normalised rates instead of counts. Every cell is written
    in the cell, and hovering shows count and rate. A transparent square marker sits on
    every cell: heatmaps cannot be selected in plotly.js, markers can, so clicking a
    cell selects its marker and Streamlit reports it (see :func:`cell_from_selection`).
    ``selected`` (true, predicted) draws an outline around that cell.
    """
    counts = np.asarray(confusion, dtype=int)
    if counts.shape != (10, 10):
        raise ValueError(f"confusion must be 10x10, not {counts.shape}")
    rates = row_rates(counts)
    if normalise:
        shown = rates
        text = [[f"{rate:.1%}" if rate else "0" for rate in row] for row in rates]
        colour = np.log10(1 + rates * _RATE_SCALE)
    else:
        shown = counts
        text = [[str(count) for count in row] for row in counts]
        colour = np.log10(1 + counts)
    # No colour bar: every cell has its number written in it, and the room is worth more
    # to the matrix on a projector.
    figure = go.Figure(
        # Plain lists, not arrays: plotly would base64-encode arrays, and the numbers in the
        # spec are easier to check (tests) and debug as JSON lists.
        go.Heatmap(
            z=colour.tolist(),
            x=DIGITS,
            y=DIGITS,
            text=text,
            texttemplate="%{text}",
            textfont={"size": 12 if normalise else 14},
            customdata=shown.tolist(),
            colorscale="Blues",
            zmin=0,
            zmax=_COLOUR_MAX,
            showscale=False,
            hoverinfo="skip",
            xgap=1,
            ygap=1,
        )
    )
    true_digit, predicted_digit = np.meshgrid(DIGITS, DIGITS, indexing="ij")
    figure.add_trace(
        go.Scatter(
            x=predicted_digit.ravel().tolist(),
            y=true_digit.ravel().tolist(),
            mode="markers",
            marker={"symbol": "square", "size": 34, "color": "rgba(0,0,0,0)"},
            customdata=np.stack([true_digit.ravel(), predicted_digit.ravel(), counts.ravel(),
                                 rates.ravel() * 100], axis=1).tolist(),
            hovertemplate=(
                "true %{customdata[0]}, predicted %{customdata[1]}<br>"
                "%{customdata[2]} test digits (%{customdata[3]:.1f}% of the %{customdata[0]}s)"
                "<extra></extra>"
            ),
            showlegend=False,
            name="cells",
        )
    )
    if selected is not None:
        true, predicted = selected
        figure.add_shape(
            type="rect", x0=predicted - 0.5, x1=predicted + 0.5, y0=true - 0.5, y1=true + 0.5,
            line={"color": "#d62728", "width": 4},
        )
    axis_fonts = {"tickfont": {"size": 16}, "title_font": {"size": 16}}
    # Fixed ranges: the plot area is exactly the 10x10 cells (no autorange padding around
    # the markers), with 0 at the top like a printed confusion matrix.
    figure.update_xaxes(title_text="predicted digit", tickvals=DIGITS, side="top", showgrid=False,
                        range=[-0.5, 9.5], zeroline=False, **axis_fonts)
    figure.update_yaxes(title_text="true digit", tickvals=DIGITS, range=[9.5, -0.5], showgrid=False,
                        zeroline=False, **axis_fonts)
    figure.update_layout(height=540, margin={"l": 50, "r": 0, "t": 60, "b": 0}, font={"size": 15})
    return figure


def cell_from_selection(event: Mapping[str, Any] | None) -> tuple[int, int] | None:
    """The (true, predicted) cell a Streamlit plotly selection event points at, or None.

    Reads the first selected point of the cell markers of :func:`confusion_figure`
    (x is the prediction, y the true digit). Anything else gives None.
    """
    if not event:
        return None
    points = (event.get("selection") or {}).get("points") or []
    for point in points:
        try:
            true, predicted = int(round(float(point["y"]))), int(round(float(point["x"])))
        except (KeyError, TypeError, ValueError):
            continue
        if 0 <= true <= 9 and 0 <= predicted <= 9:
            return true, predicted
    return None


@dataclass(frozen=True)
class ModelRow:
    """One model's line in the comparison: what the models page shows for it."""

    name: str
    display_name: str
    accuracy: float
    fit_seconds: float
    latency_ms: float
    size_bytes: int


_COMPARED = (
    ("accuracy", "Test accuracy (higher is better)", "{:.2%}"),
    ("fit_seconds", "Training time, s (log scale)", "{:.3g} s"),
    ("latency_ms", "Time to answer one drawing, ms (log scale)", "{:.3g} ms"),
    ("size_mb", "Model size, MB (log scale)", "{:.3g} MB"),
)


def comparison_figure(rows: Sequence[ModelRow]) -> go.Figure:
    """Four bar charts, one per measure, with one bar per model, sorted by accuracy.

    Times and sizes span several orders of magnitude between models, so those axes are
    logarithmic; every bar is labelled with its value so nothing has to be read off an axis.
    """
    rows = sorted(rows, key=lambda row: row.accuracy)
    names = [row.display_name for row in rows]
    values = {
        "accuracy": [row.accuracy for row in rows],
        "fit_seconds": [max(row.fit_seconds, 1e-3) for row in rows],
        "latency_ms": [max(row.latency_ms, 1e-3) for row in rows],
        "size_mb": [max(row.size_bytes / 1e6, 1e-4) for row in rows],
    }
    # One panel under the other, each with its own model names at full width: side by side,
    # the right-hand panels' long names ran over the left-hand panels' bars.
    panel = 60 + 34 * len(rows)  # pixels per panel: room for every bar's label
    height = len(_COMPARED) * (panel + 70) + 40
    figure = make_subplots(
        rows=len(_COMPARED), cols=1, subplot_titles=[title for _, title, _ in _COMPARED],
        vertical_spacing=70 / height,
    )
    for position, (key, _, label) in enumerate(_COMPARED):
        figure.add_trace(
            go.Bar(
                x=values[key], y=names, orientation="h", text=[label.format(v) for v in values[key]],
                textposition="auto", showlegend=False, name=key,
                hovertemplate="%{y}: %{text}<extra></extra>",
            ),
            row=position + 1, col=1,
        )
        if key != "accuracy":
            figure.update_xaxes(type="log", dtick=1, row=position + 1, col=1)  # ticks at powers of 10
    low = min(values["accuracy"], default=0.9)
    figure.update_xaxes(range=[max(0.0, low - 0.05), 1.0], tickformat=".0%", row=1, col=1)
    figure.update_yaxes(tickfont={"size": 14}, automargin=True)
    figure.update_layout(height=height, margin={"l": 20, "r": 20, "t": 50, "b": 20}, font={"size": 14})
    return figure
