"""The Compare page's calibration section: reliability diagrams and expected calibration error.

MNIST test comes from each model's cached evaluation (instant); drawn digits are measured on
request (a few hundred drawings, once per server process), since drawing them takes a while.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from mnist_app.evaluation import Evaluation
from mnist_app.models import calibration
from mnist_app.report import reliability
from mnist_app.ui import common

KEY = "calibration"


@st.cache_resource(show_spinner=False)
def drawn_reliability(name: str) -> tuple[calibration.Reliability, calibration.Reliability]:
    """Model ``name`` on the drawn digits: reliability before and after its temperature."""
    raw, labels = reliability.drawn_digit_probabilities(name, calibrated=False)
    after = calibration.calibrate(raw, name)
    return calibration.reliability(raw, labels), calibration.reliability(after, labels)


def mnist_reliability(evaluation: Evaluation) -> tuple[calibration.Reliability, calibration.Reliability]:
    """A model on MNIST test (its cached evaluation holds its own probabilities): before and after."""
    raw, labels = evaluation.probabilities, evaluation.labels
    after = calibration.calibrate(raw, evaluation.model)
    return calibration.reliability(raw, labels), calibration.reliability(after, labels)


def render(evaluations: dict[str, Evaluation]) -> None:
    """The section: a table of calibration errors and one model's reliability diagram."""
    st.subheader(":material/balance: Do the probabilities mean what they say?")
    st.markdown(
        "A model that says **90% sure** should be right about 90 times in 100. The expected "
        "calibration error (ECE) is the average gap between how sure a model says it is and how "
        "often it is right: 0 is perfect. Where it measurably helped, a model's probabilities are "
        "softened or sharpened (temperature scaling): its answers never change, only how sure it says it is."
    )
    measured = st.session_state.get(f"{KEY}_drawn", False)
    if not measured and st.button("Measure on drawn digits too", key=f"{KEY}_measure",
                                  icon=":material/draw:", help=f"{reliability.DRAWN_N} MNIST test digits "
                                  "redrawn as pen strokes; takes up to a minute the first time"):
        st.session_state[f"{KEY}_drawn"] = measured = True
    rows, curves = [], {}
    progress = st.progress(0.0, text="Measuring on drawn digits…") if measured else None
    for position, (name, evaluation) in enumerate(evaluations.items()):
        before, after = mnist_reliability(evaluation)
        row = {"model": common.display_name(name), "T": calibration.TEMPERATURES.get(name, 1.0),
               "ECE MNIST": before.error, "ECE MNIST calibrated": after.error}
        curves[name] = with_calibrated({}, "MNIST test", before, after, name)
        if progress is not None:
            progress.progress(position / len(evaluations), text=f"Measuring {common.display_name(name)}…")
            drawn_before, drawn_after = drawn_reliability(name)
            row |= {"ECE drawn": drawn_before.error, "ECE drawn calibrated": drawn_after.error}
            with_calibrated(curves[name], "drawn digits", drawn_before, drawn_after, name)
        rows.append(row)
    if progress is not None:
        progress.empty()
    ece = st.column_config.NumberColumn(format="%.3f")
    st.dataframe(pd.DataFrame(rows), hide_index=True, key=f"{KEY}_table", column_config={
        "model": st.column_config.TextColumn("Model"),
        "T": st.column_config.NumberColumn("Temperature", format="%.2f", help="1 = left as it is"),
        "ECE MNIST": ece, "ECE MNIST calibrated": ece, "ECE drawn": ece, "ECE drawn calibrated": ece})
    name = st.selectbox("Reliability diagram of", list(evaluations), format_func=common.display_name,
                        key=f"{KEY}_model")
    figure = reliability.reliability_figure(curves[name], f"{common.display_name(name)}: said vs right")
    st.plotly_chart(figure, config={"displayModeBar": False}, key=f"{KEY}_chart")


def with_calibrated(curves: dict[str, calibration.Reliability], label: str, before: calibration.Reliability,
                    after: calibration.Reliability, name: str) -> dict[str, calibration.Reliability]:
    """Add the curve ``label``, and its calibrated version when ``name`` has a temperature."""
    curves[label] = before
    if name in calibration.TEMPERATURES:
        curves[f"{label}, calibrated"] = after
    return curves
