"""Plotly figures of the explanations (no Streamlit): evidence maps, image grids, bars, the data map."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

#: Red for "towards", blue for "away", white for nothing: plotly's RdBu reversed.
EVIDENCE_COLOURS = "RdBu_r"
DIGIT_COLOURS = [[0.0, "#000000"], [1.0, "#ffffff"]]  # white ink on black, like the canvas
#: One colour per digit on the data map (plotly's ten-colour qualitative palette).
DIGIT_PALETTE = ["#636EFA", "#EF553B", "#00CC96", "#AB63FA", "#FFA15A",
                 "#19D3F3", "#FF6692", "#B6E880", "#FF97FF", "#FECB52"]


def _square_axes(figure: go.Figure, height: int) -> go.Figure:
    figure.update_xaxes(visible=False, fixedrange=True, constrain="domain")
    figure.update_yaxes(visible=False, fixedrange=True, autorange="reversed", scaleanchor="x")
    figure.update_layout(height=height, margin={"l": 0, "r": 0, "t": 30, "b": 0})
    return figure


def signed_heatmap(values: np.ndarray, *, title: str = "", height: int = 300,
                   hover: str = "push %{z:.3f}") -> go.Figure:
    """A red/blue map of signed values (red > 0, blue < 0, white 0) with a symmetric colour range."""
    values = np.asarray(values, dtype=float)
    limit = float(np.abs(values).max()) or 1.0
    figure = go.Figure(go.Heatmap(
        z=values.tolist(), colorscale=EVIDENCE_COLOURS, zmin=-limit, zmax=limit, zmid=0.0,
        hovertemplate=f"row %{{y}}, column %{{x}}: {hover}<extra></extra>", showscale=False,
    ))
    figure.update_layout(title={"text": title, "font": {"size": 14}})
    return _square_axes(figure, height)


def evidence_figure(digit: np.ndarray, evidence: np.ndarray, target: int, height: int = 320) -> go.Figure:
    """The drawing and its evidence map for ``target`` side by side."""
    values = np.asarray(evidence, dtype=float)
    limit = float(np.abs(values).max()) or 1.0
    figure = make_subplots(1, 2, subplot_titles=("The digit the model got", f"Evidence for {target}"),
                           horizontal_spacing=0.04)
    figure.add_trace(go.Heatmap(z=np.asarray(digit, dtype=float).tolist(), colorscale=DIGIT_COLOURS,
                                zmin=0, zmax=1, showscale=False,
                                hovertemplate="row %{y}, column %{x}: ink %{z:.2f}<extra></extra>"), 1, 1)
    figure.add_trace(go.Heatmap(z=values.tolist(), colorscale=EVIDENCE_COLOURS, zmin=-limit, zmax=limit,
                                zmid=0.0, showscale=False,
                                hovertemplate="row %{y}, column %{x}: push %{z:.3f}<extra></extra>"), 1, 2)
    figure.update_xaxes(visible=False, fixedrange=True, constrain="domain")
    figure.update_yaxes(visible=False, fixedrange=True, autorange="reversed")
    figure.update_yaxes(scaleanchor="x", row=1, col=1)
    figure.update_yaxes(scaleanchor="x2", row=1, col=2)
    figure.update_layout(height=height, margin={"l": 0, "r": 0, "t": 30, "b": 0})
    return figure


Pixels = Sequence[tuple[int, int]]


def image_grid(images: np.ndarray, titles: Sequence[str], *, columns: int = 5, signed: bool = False,
               height_per_row: int = 130, marks: Sequence[Pixels] | None = None) -> go.Figure:
    """Small 2-D images in a grid with a title each; ``signed`` uses red/blue around 0 per image.

    ``marks``: per image, pixels (row, col) to circle (e.g. a tree's questions).
    """
    images = np.asarray(images, dtype=float)
    rows = max(1, -(-len(images) // columns))
    # About 22 px between rows, room for the next row's titles.
    figure = make_subplots(rows, columns, subplot_titles=list(titles), horizontal_spacing=0.02,
                           vertical_spacing=22 / (height_per_row * rows))
    for position, image in enumerate(images):
        row, col = position // columns + 1, position % columns + 1
        limit = float(np.abs(image).max()) or 1.0
        colours = dict(colorscale=EVIDENCE_COLOURS, zmin=-limit, zmax=limit, zmid=0.0) if signed \
            else dict(colorscale=DIGIT_COLOURS, zmin=0.0, zmax=max(float(image.max()), 1e-9))
        figure.add_trace(go.Heatmap(z=image.tolist(), showscale=False,
                                    hovertemplate="%{z:.2f}<extra></extra>", **colours), row, col)
        if marks is not None and position < len(marks) and len(marks[position]):
            ys, xs = zip(*marks[position], strict=True)
            figure.add_trace(go.Scatter(x=list(xs), y=list(ys), mode="markers", hoverinfo="skip",
                                        marker={"symbol": "circle-open", "size": 10, "color": "#ffd400",
                                                "line": {"width": 2}}), row, col)
    figure.update_xaxes(visible=False, fixedrange=True, constrain="domain")
    figure.update_yaxes(visible=False, fixedrange=True, autorange="reversed")
    for position in range(len(images)):
        axis = "x" if position == 0 else f"x{position + 1}"
        figure.update_yaxes(scaleanchor=axis, row=position // columns + 1, col=position % columns + 1)
    figure.update_layout(height=height_per_row * rows + 30, margin={"l": 0, "r": 0, "t": 30, "b": 0},
                         showlegend=False)
    figure.update_annotations(font_size=12)
    return figure


def digit_bars(values: np.ndarray, *, title: str, highlight: int | None = None,
               value_format: str = "%{y:.2f}") -> go.Figure:
    """One bar per digit 0-9 (e.g. tree votes, SVM margins), ``highlight`` in red."""
    values = np.asarray(values, dtype=float)
    figure = go.Figure(go.Bar(
        x=[str(digit) for digit in range(len(values))], y=values.tolist(),
        marker_color=["#ff4b4b" if digit == highlight else "#8c96a5" for digit in range(len(values))],
        hovertemplate=f"digit %{{x}}: {value_format}<extra></extra>",
    ))
    figure.update_layout(height=240, margin={"l": 10, "r": 10, "t": 30, "b": 10}, showlegend=False,
                         title={"text": title, "font": {"size": 14}},
                         xaxis={"type": "category", "fixedrange": True}, yaxis={"fixedrange": True})
    return figure


def data_map_figure(positions: np.ndarray, labels: np.ndarray, drawing: np.ndarray | None = None,
                    mistakes: np.ndarray | None = None, height: int = 600) -> go.Figure:
    """The test digits as dots coloured by digit; hovering names one, clicking selects it.

    ``drawing``: (x, y) of the current drawing (a big star). ``mistakes``: bool per test digit,
    circled in black. Each dot's ``customdata`` is its test-set index.
    """
    positions = np.asarray(positions, dtype=float)
    labels = np.asarray(labels)
    figure = go.Figure()
    for digit in range(10):
        chosen = np.flatnonzero(labels == digit)
        figure.add_trace(go.Scattergl(
            x=positions[chosen, 0].tolist(), y=positions[chosen, 1].tolist(), mode="markers",
            name=str(digit), customdata=chosen.tolist(),
            marker={"size": 4, "color": DIGIT_PALETTE[digit], "opacity": 0.7},
            hovertemplate=f"a {digit}: test digit #%{{customdata}}<extra></extra>",
        ))
    if mistakes is not None and np.any(mistakes):
        wrong = np.flatnonzero(mistakes)
        figure.add_trace(go.Scattergl(
            x=positions[wrong, 0].tolist(), y=positions[wrong, 1].tolist(), mode="markers",
            name="mistakes", customdata=wrong.tolist(),
            marker={"size": 8, "symbol": "circle-open", "color": "#000000", "line": {"width": 1.5}},
            hovertemplate="a mistake: test digit #%{customdata}<extra></extra>",
        ))
    if drawing is not None:
        figure.add_trace(go.Scatter(
            x=[float(drawing[0])], y=[float(drawing[1])], mode="markers", name="your drawing",
            marker={"size": 22, "symbol": "star", "color": "#ff4b4b", "line": {"width": 2, "color": "#000"}},
            hovertemplate="your drawing<extra></extra>",
        ))
    figure.update_layout(height=height, margin={"l": 0, "r": 0, "t": 10, "b": 0},
                         legend={"title": {"text": "digit"}, "itemsizing": "constant"},
                         xaxis={"visible": False}, yaxis={"visible": False})
    return figure
