"""The models page: every model's accuracy, training time, answer time and size, side by side."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from mnist_app.evaluation import Evaluation
from mnist_app.report import charts
from mnist_app.ui import calibration_section, common, reports

TABLE_COLUMNS = {
    "model": st.column_config.TextColumn("Model"),
    "accuracy %": st.column_config.NumberColumn("Test accuracy", format="%.2f %%"),
    "macro F1 %": st.column_config.NumberColumn("Mean F1", format="%.2f %%",
                                                help="F1 averaged over the ten digits"),
    "fit s": st.column_config.NumberColumn("Training time (s)", format="%.1f"),
    "latency ms": st.column_config.NumberColumn("Time per drawing (ms)", format="%.2f",
                                                help="Median time to answer one digit"),
    "size MB": st.column_config.NumberColumn("Size (MB)", format="%.2f"),
    "mistakes": st.column_config.NumberColumn("Test digits wrong", format="%d"),
}


def model_rows(evaluations: dict[str, Evaluation]) -> list[charts.ModelRow]:
    """One comparison row per evaluated model, in the registry's order."""
    return [
        charts.ModelRow(name, common.display_name(name), ev.accuracy, ev.fit_seconds, ev.latency_ms,
                        ev.size_bytes)
        for name, ev in evaluations.items()
    ]


def comparison_table(evaluations: dict[str, Evaluation]) -> pd.DataFrame:
    """The table the page shows: one row per evaluated model, best accuracy first."""
    table = pd.DataFrame(
        [{"model": common.display_name(name), "accuracy %": 100 * ev.accuracy,
          "macro F1 %": 100 * ev.macro_f1,
          "fit s": ev.fit_seconds, "latency ms": ev.latency_ms, "size MB": ev.size_bytes / 1e6,
          "mistakes": len(ev.errors)} for name, ev in evaluations.items()],
        columns=list(TABLE_COLUMNS),
    )
    return table.sort_values("accuracy %", ascending=False, ignore_index=True)


def render() -> None:
    """Draw the page."""
    st.title(":material/leaderboard: Compare the models")
    st.markdown(
        "Every model was trained on the same 60,000 MNIST digits and tested on 10,000 digits "
        "it never saw. Faster, smaller and more accurate is better: no model wins everything."
    )
    names = common.model_names()
    ready = reports.evaluated_models()
    missing = [name for name in names if name not in ready]
    if missing:
        listed = ", ".join(common.display_name(name) for name in missing)
        reports.offer_evaluation(missing, key="evaluate-missing",
                                 why=f"Not tested yet: {listed}.")
    if not ready:
        return
    evaluations = {name: reports.cached_evaluation(name) for name in ready}
    st.dataframe(comparison_table(evaluations), hide_index=True, column_config=TABLE_COLUMNS)
    st.plotly_chart(charts.comparison_figure(model_rows(evaluations)), config={"displayModeBar": False})
    st.caption(
        "Training time is measured once when the model is trained; time per drawing is the median "
        "of repeated single-digit answers on this computer, so both depend on how busy it is."
    )
    calibration_section.render(evaluations)
