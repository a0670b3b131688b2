"""Reliability diagrams: is a model that says "90% sure" right 90% of the time? (no Streamlit)

``drawn_digit_probabilities`` asks a model about a seeded set of drawn digits
(``mnist_app.synth``, MNIST test digits redrawn as pen strokes); the MNIST test side comes
from the cached evaluation. ``reliability_figure`` draws the curves with plotly.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

import numpy as np
import plotly.graph_objects as go

from mnist_app import models, preprocess, synth
from mnist_app.models.calibration import Reliability

#: The drawn digits the Compare page measures calibration on (a different seed from the fit).
DRAWN_N = 300
DRAWN_SEED = 2

_drawn: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}
_drawn_lock = threading.Lock()


def drawn_digits(n: int | None = None, seed: int = DRAWN_SEED) -> tuple[np.ndarray, np.ndarray]:
    """``n`` (default ``DRAWN_N``) drawn digits preprocessed as the app does: float32 (n, 28, 28)
    and labels; made once per process."""
    n = DRAWN_N if n is None else n
    with _drawn_lock:
        if (n, seed) not in _drawn:
            canvases, labels = synth.make_drawn_benchmark(n, seed=seed)
            digits = np.stack([preprocess.to_mnist(canvas) for canvas in canvases])
            _drawn[(n, seed)] = (digits, labels)
        return _drawn[(n, seed)]


def drawn_digit_probabilities(name: str, n: int | None = None, seed: int = DRAWN_SEED,
                              *, calibrated: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Model ``name``'s probabilities (n, 10) for the drawn digits, and the true labels."""
    digits, labels = drawn_digits(n, seed)
    return models.predict_digits(digits, name, calibrated=calibrated), labels


def reliability_figure(curves: Mapping[str, Reliability], title: str) -> go.Figure:
    """One line per curve (label -> reliability): accuracy against confidence, and the ideal diagonal.

    Marker size follows how many answers fall in each bin; hovering shows the numbers.
    """
    figure = go.Figure(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="perfectly calibrated",
                                  line={"dash": "dot", "color": "#8c96a5"}, hoverinfo="skip"))
    for label, curve in curves.items():
        filled = curve.count > 0
        sizes = 6 + 14 * np.sqrt(curve.count[filled] / max(curve.count.max(), 1))
        figure.add_trace(go.Scatter(
            x=curve.confidence[filled], y=curve.accuracy[filled], mode="lines+markers",
            name=f"{label} (ECE {curve.error:.3f})", marker={"size": sizes},
            customdata=curve.count[filled],
            hovertemplate="said %{x:.0%} sure, right %{y:.0%} of %{customdata} answers<extra></extra>",
        ))
    figure.update_layout(
        title={"text": title, "font": {"size": 14}}, height=380, margin={"l": 10, "r": 10, "t": 40, "b": 10},
        xaxis={"title": "How sure the model said it was", "range": [0, 1.02], "tickformat": ".0%"},
        yaxis={"title": "How often it was right", "range": [0, 1.02], "tickformat": ".0%"},
        legend={"orientation": "h", "y": -0.25},
    )
    return figure
