"""The "Why?" page: why the chosen model answered what it did for the current drawing.

The drawing comes from the drawing page (``draw_page.DIGIT_KEY`` in session state). Each
section is computed only when the student picks it, so the drawing page's own answer
never waits for an explanation. The sections live in :mod:`mnist_app.ui.why_views`.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from mnist_app import evaluation, models
from mnist_app.explain import datamap, figures
from mnist_app.explain.neighbours import KNN_MODEL
from mnist_app.ui import common, draw_page, reports, why_views

SECTIONS = {
    "nearest": "Nearest training digits",
    "evidence": "Evidence map",
    "view": "The model's own view",
    "map": "Map of the data",
}
DEFAULT_SECTIONS = ["nearest", "evidence"]


def render() -> None:
    """The whole page (the entry point ``st.Page`` runs)."""
    st.title(":material/psychology: Why did it say that?")
    name = common.model_picker()
    digit = st.session_state.get(draw_page.DIGIT_KEY)
    if digit is None:
        st.info("Draw a digit on the **Draw a digit** page first: this page explains the answer to it.",
                icon=":material/draw:")
        return
    if not common.is_trained(name):
        draw_page.offer_training(name)
        return
    digit = np.asarray(digit, dtype=np.float32)
    answer = models.predict_digit(digit, name)
    st.markdown(f"**{common.display_name(name)}** says **{answer.label}**, {answer.confidence:.0%} sure. "
                "Why? Pick what to see:")
    shown = st.pills("Show", list(SECTIONS), format_func=SECTIONS.__getitem__, selection_mode="multi",
                     default=DEFAULT_SECTIONS, key="why_sections", label_visibility="collapsed")
    for section in SECTIONS:  # in the page's order, whatever order they were picked in
        if section not in shown:
            continue
        if section == "nearest":
            why_views.show_neighbours(digit)
        elif section == "evidence":
            why_views.show_evidence(digit, name, answer.label)
        elif section == "view":
            why_views.show_model_view(digit, name, answer.label)
        else:
            show_data_map(digit, name)


def show_data_map(digit: np.ndarray, name: str) -> None:
    """The 10,000 test digits in 2-D with the drawing placed among them; click a dot to see it."""
    st.subheader("Map of the data")
    if not (common.is_trained(KNN_MODEL) and datamap.is_ready()):
        st.info("The map places the 10,000 MNIST test digits so that similar ones sit together. "
                "It is made once (about a minute, longer on a busy computer) and then kept.")
        if st.button("Make the map", key="why_make_map", icon=":material/scatter_plot:"):
            if make_map_with_progress():
                st.rerun()
        return
    made = datamap.data_map()
    mistakes = None
    if evaluation.is_evaluated(name) and st.toggle(f"Circle {common.display_name(name)}'s mistakes",
                                                   key="why_map_mistakes"):
        mistakes = reports.cached_evaluation(name).predicted != made.labels
    figure = figures.data_map_figure(made.positions, made.labels, made.place(digit), mistakes)
    event = st.plotly_chart(figure, on_select="rerun", selection_mode="points", key="why_map",
                            config={"displayModeBar": False})
    st.caption("Each dot is a test digit, coloured by what it really is; the star is your drawing, "
               "placed among the test digits nearest to it. Hover over a dot to see which digit it is, "
               "click it to open it.")
    picked = [point.get("customdata") for point in (event["selection"]["points"] if event else [])]
    picked = [int(index) for index in picked if index is not None]
    if picked:
        index = picked[0]
        reports.show_digits(np.array([index]), [f"test digit #{index}: a {made.labels[index]}"])


def make_map_with_progress() -> bool:
    """Make (and cache) the data map in a status box with a progress bar; False after an error."""
    with st.status("Making the map of the data…", expanded=True) as status:
        bar = st.progress(0.0, text="Starting…")
        try:
            datamap.data_map(progress=lambda fraction, message: bar.progress(min(max(fraction, 0.0), 1.0),
                                                                             text=message))
        except (OSError, ValueError, ImportError) as error:
            status.update(label="Making the map failed", state="error")
            st.error(str(error))
            return False
        status.update(label="The map is ready", state="complete", expanded=False)
    return True
