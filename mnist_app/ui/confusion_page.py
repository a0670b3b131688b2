"""The confusion-matrix page: which digits a model mixes up, and the test digits behind every cell.

Clicking a cell of the heatmap (a Streamlit plotly selection event) opens the gallery of
the test digits with that true digit and that answer, most confident first. Two select
boxes do the same from the keyboard; a click on the chart writes into them, so they
are the one place the chosen cell lives. The per-digit precision/recall/F1 table is below.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from mnist_app.evaluation import Evaluation
from mnist_app.report import charts, gallery
from mnist_app.ui import common, reports

CHART_KEY = "confusion_chart"
TRUE_KEY = "confusion_true"
PREDICTED_KEY = "confusion_predicted"
NORMALISE_KEY = "confusion_normalise"
LAST_CLICK_KEY = "confusion_last_click"
#: How many digits of a cell the gallery shows as images (the table below lists them all).
SHOWN = 40


def _follow_chart_click() -> None:
    """Copy a new click on the chart into the two select boxes (they render after this).

    The chart's selection stays in its widget state after a click, so only a click that
    differs from the last one handled may overwrite a choice made in the select boxes.
    Reading the selection before the chart renders lets this run already outline the cell.
    """
    cell = charts.cell_from_selection(st.session_state.get(CHART_KEY))
    if cell is not None and cell != st.session_state.get(LAST_CLICK_KEY):
        st.session_state[TRUE_KEY], st.session_state[PREDICTED_KEY] = cell
    st.session_state[LAST_CLICK_KEY] = cell


def render() -> None:
    """Draw the page."""
    st.title(":material/grid_on: Confusion matrix")
    name = common.model_picker()
    evaluation = reports.evaluation_or_offer(name)
    if evaluation is None:
        return
    mistakes = int(np.sum(evaluation.predicted != evaluation.labels))
    st.markdown(
        f"**{common.display_name(name)}** gets **{evaluation.accuracy:.2%}** of the "
        f"{len(evaluation.labels):,} test digits right and **{mistakes:,}** wrong. "
        "Each row is a true digit, each column the model's answer: the diagonal holds the "
        "right answers. **Click a cell** to see its digits."
    )
    chart_column, gallery_column = st.columns([3, 2], gap="medium")
    with chart_column:
        normalise = st.toggle("Show rates: each row as a share of its digit", key=NORMALISE_KEY)
        _follow_chart_click()
        event = st.plotly_chart(
            charts.confusion_figure(evaluation.confusion, normalise, selected=_chosen_cell()),
            key=CHART_KEY, on_select="rerun", selection_mode="points", config={"displayModeBar": False},
        )
        if charts.cell_from_selection(event) is None:
            # Outlining a new cell redraws the chart, which clears its selection: the next
            # click, even on the same cell as before, is a new one.
            st.session_state[LAST_CLICK_KEY] = None
    with gallery_column:
        choose_true, choose_predicted = st.columns(2)
        digits = list(range(10))
        true = choose_true.selectbox("True digit", digits, index=None, key=TRUE_KEY,
                                     placeholder="click a cell")
        predicted = choose_predicted.selectbox("Model's answer", digits, index=None, key=PREDICTED_KEY,
                                               placeholder="or choose here")
        if true is None or predicted is None:
            st.info("Click a cell of the matrix (or choose a true digit and an answer) to see its digits.")
        else:
            _cell_gallery(evaluation, true, predicted)
    st.subheader("How well each digit is recognised")
    st.caption(
        "Precision: of the drawings the model called this digit, the share that were. "
        "Recall: of the real examples of this digit, the share it found. F1 combines both."
    )
    st.dataframe(per_class_table(evaluation), hide_index=True, column_config=_PER_CLASS_COLUMNS)


def _chosen_cell() -> tuple[int, int] | None:
    true, predicted = st.session_state.get(TRUE_KEY), st.session_state.get(PREDICTED_KEY)
    return None if true is None or predicted is None else (true, predicted)


def _cell_gallery(evaluation: Evaluation, true: int, predicted: int) -> None:
    """The test digits of one cell, most confident first, and a table of all of them."""
    indices = gallery.cell_indices(evaluation, true, predicted)
    if true == predicted:
        heading = f"{true} recognised as {true}: {len(indices):,} right answer{_plural(len(indices))}"
    else:
        heading = f"{true} mistaken for {predicted}: {len(indices):,} test digit{_plural(len(indices))}"
    st.subheader(heading)
    if len(indices) == 0:
        st.success(f"The model never answered {predicted} for a {true}.")
        return
    shown = indices[:SHOWN]
    more = f" (the {len(shown)} it was surest of)" if len(indices) > len(shown) else ""
    st.caption(f"Most confident first{more}; the percentage is the model's confidence.")
    reports.show_digits(shown, reports.answer_captions(evaluation, shown))
    confidence = gallery.confidence(evaluation)
    with st.expander(f"All {len(indices):,} as a table"):
        st.dataframe(
            pd.DataFrame({"test index": indices, "confidence": confidence[indices]}),
            hide_index=True,
            column_config={"confidence": st.column_config.ProgressColumn(format="percent", min_value=0,
                                                                         max_value=1)},
        )


def _plural(count: int) -> str:
    return "" if count == 1 else "s"


def per_class_table(evaluation: Evaluation) -> pd.DataFrame:
    """One row per digit: precision, recall, F1 and how many test digits it has."""
    return pd.DataFrame(
        [{"digit": digit, "precision %": 100 * row.precision, "recall %": 100 * row.recall,
          "F1 %": 100 * row.f1, "test digits": row.support}
         for digit, row in sorted(evaluation.report.items())]
    )


_PER_CLASS_COLUMNS = {
    f"{column} %": st.column_config.NumberColumn(column, format="%.2f %%")
    for column in ("precision", "recall", "F1")
}
