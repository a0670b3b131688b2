"""The drawing page's chart of the chosen model's ten probabilities, built cheaply per stroke.

The chart is redrawn on every stroke of every student. Its layout and Streamlit's theme
template never change: plotly builds and checks the whole figure once per process, and a
stroke only puts its ten bars into a copy of that finished dict. Building, checking and
copying a plotly ``Figure`` per stroke cost about a tenth of a stroke's rerun
(docs/benchmarks.md, issue 12 round 4).
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import plotly.graph_objects as go

from mnist_app.ui.model_cards import HIGHLIGHT

OTHER = "#8c96a5"
DIGITS = [str(digit) for digit in range(10)]
LAYOUT = {
    "height": 240,
    "margin": {"l": 10, "r": 10, "t": 30, "b": 10},
    "title": {"text": "How sure, for each digit (%)", "font": {"size": 14}},
    "yaxis": {"range": [0, 100], "fixedrange": True},
    "xaxis": {"type": "category", "fixedrange": True},
    "showlegend": False,
}

_template: dict[str, Any] | None = None
_template_lock = threading.Lock()


class BuiltFigure(go.Figure):
    """A plotly figure handed over as its finished dict.

    ``st.plotly_chart`` asks a ``Figure`` for ``to_dict()`` and serialises that; this one
    returns ``spec`` (a dict plotly already produced and checked, see ``chart``) instead of
    rebuilding it from plotly's objects.
    """

    def __init__(self, spec: dict[str, Any]) -> None:
        super().__init__(layout={"template": {}}, _validate=False)  # no theme copied: spec has it
        self._built = spec

    def to_dict(self) -> dict[str, Any]:
        return self._built


def bars(probabilities: np.ndarray) -> dict[str, Any]:
    """The bar trace: a bar per digit 0-9 (percent), the most likely one highlighted."""
    best = int(np.argmax(probabilities))
    return {
        "type": "bar",
        "x": DIGITS,
        "y": (np.asarray(probabilities, dtype=float) * 100).tolist(),
        "marker": {"color": [HIGHLIGHT if digit == best else OTHER for digit in range(10)]},
        "hovertemplate": "digit %{x}: %{y:.1f}%<extra></extra>",
    }


def template() -> dict[str, Any]:
    """The whole figure as plotly builds and validates it (theme template included), once per process."""
    global _template
    with _template_lock:
        if _template is None:
            _template = go.Figure({"data": [bars(np.full(10, 0.1))], "layout": LAYOUT}).to_dict()
        return _template


def chart(probabilities: np.ndarray, title: str | None = None) -> go.Figure:
    """The chart for ``probabilities`` (10 floats summing to 1): the template with these bars
    (and ``title`` instead of the usual one, if given)."""
    spec = template()
    trace = {**spec["data"][0], **bars(probabilities)}
    layout = spec["layout"] if title is None else {**spec["layout"], "title": {**spec["layout"]["title"],
                                                                               "text": title}}
    return BuiltFigure({"data": [trace], "layout": layout})
