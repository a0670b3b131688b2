"""The Our class page: the class's own digits, live: counts, every model's score, confusion, hardest digits.

The live part is an ``st.fragment`` that reruns every few seconds, so new drawings appear
while students draw, without reloading the page. Teacher controls (teacher key) are in
:mod:`mnist_app.ui.class_teacher`.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from mnist_app import classroom, evaluation
from mnist_app.classroom import codes, scoring
from mnist_app.report import charts
from mnist_app.ui import class_state, class_teacher, common

LIVE_SECONDS = 3
CODE_KEY = "our_class_code"
CHART_KEY = "our_class_confusion"
CELL_KEY = "our_class_cell"
SHOWN = 24  # digits per gallery
THUMB = 84


def render() -> None:
    """Draw the page."""
    st.title(":material/groups: Our class")
    code = chosen_class()
    if code is None:
        return
    name = common.model_picker(label="Model for the confusion matrix")
    live_view(code, name)
    class_teacher.render(code)


def chosen_class() -> str | None:
    """The class shown: the one joined or created in this session, else a code typed here."""
    joined = class_state.membership()
    created = st.session_state.get(class_state.CREATED_KEY)
    default = joined.code if joined else created or class_state.code_in_link()
    if CODE_KEY not in st.session_state:
        st.session_state[CODE_KEY] = default or ""
    typed = st.text_input("Class code", key=CODE_KEY, max_chars=12, placeholder="e.g. K7MXQ4")
    if not typed.strip():
        st.info("Join or create a class on the **Classroom** page, or type a class code here.",
                icon=":material/groups:")
        return None
    try:
        code = codes.clean_class_code(typed)
        st.subheader(f"Class {class_state.plain(class_state.store().class_name(code))} ({code})")
    except classroom.ClassroomError as error:
        st.error(class_state.plain(error), icon=":material/error:")
        return None
    return code


@st.fragment(run_every=LIVE_SECONDS)
def live_view(code: str, name: str) -> None:
    """Everything computed from the class's drawings; reruns on its own every LIVE_SECONDS."""
    try:
        drawings = class_state.store().drawings(code)
    except classroom.ClassroomError as error:
        st.warning(f"{class_state.plain(error)} (this page keeps trying)", icon=":material/sync_problem:")
        return
    if not drawings:
        st.info("No digits saved yet. Students join on the Classroom page, draw, and tap Yes or the "
                "digit they meant.", icon=":material/hourglass_empty:")
        return
    answers = scoring.all_answers(drawings, common.model_names())
    students = len(scoring.per_student(drawings))
    st.markdown(f"**{len(drawings)}** digit{_s(len(drawings))} from **{students}** student{_s(students)}.")
    counts_column, scores_column = st.columns([1, 1], gap="large")
    with counts_column:
        st.plotly_chart(per_digit_chart(scoring.per_digit(drawings)), key="our_class_counts",
                        config={"displayModeBar": False})
        st.dataframe(pd.DataFrame(list(scoring.per_student(drawings).items()), columns=["student", "digits"]),
                     hide_index=True, key="our_class_students")
    with scores_column:
        st.markdown("**Every model on our digits, next to its MNIST score**")
        st.dataframe(scores_table(drawings, answers), hide_index=True, key="our_class_scores",
                     column_config={column: st.column_config.NumberColumn(format="%.1f %%")
                                    for column in ("our digits %", "MNIST test %")})
    if name in answers:
        confusion_section(drawings, answers[name], name)
    fooled_section(drawings, answers)


def per_digit_chart(counts: Sequence[int]) -> go.Figure:
    """Bars: how many of each digit the class has saved."""
    figure = go.Figure(go.Bar(x=[str(d) for d in range(10)], y=list(map(int, counts)),
                              hovertemplate="digit %{x}: %{y}<extra></extra>"))
    figure.update_layout(height=220, margin={"l": 10, "r": 10, "t": 30, "b": 10},
                         title={"text": "Digits saved, per digit", "font": {"size": 14}},
                         xaxis={"type": "category", "fixedrange": True}, yaxis={"fixedrange": True})
    return figure


def scores_table(drawings: Sequence[classroom.Drawing], answers: dict) -> pd.DataFrame:
    """One row per model: its accuracy on the class's digits and on MNIST's test digits."""
    rows = []
    for score in scoring.scores(drawings, answers):
        mnist = evaluation.known_accuracy(score.model)
        rows.append({"model": common.display_name(score.model), "our digits %": 100 * score.accuracy,
                     "right": f"{score.correct}/{score.total}",
                     "MNIST test %": None if mnist is None else 100 * mnist})
    return pd.DataFrame(rows)


def confusion_section(drawings: Sequence[classroom.Drawing], predicted, name: str) -> None:
    """The class's confusion matrix for model ``name``; a click on a cell shows its drawings."""
    st.subheader(f"Where {common.display_name(name)} goes wrong on our digits")
    chart_column, cell_column = st.columns([3, 2], gap="medium")
    with chart_column:
        clicked = charts.cell_from_selection(st.session_state.get(CHART_KEY))
        if clicked is not None:
            st.session_state[CELL_KEY] = clicked
        cell = st.session_state.get(CELL_KEY)
        st.plotly_chart(charts.confusion_figure(scoring.confusion(drawings, predicted), False, selected=cell),
                        key=CHART_KEY, on_select="rerun", selection_mode="points",
                        config={"displayModeBar": False})
    with cell_column:
        if cell is None:
            st.info("Click a cell to see the class's digits behind it.")
            return
        true, answer = cell
        found = scoring.cell(drawings, predicted, true, answer)
        st.markdown(f"**Meant {true}, {common.display_name(name)} said {answer}: {len(found)}**")
        show_drawings(found[:SHOWN], [class_state.plain(d.student) for d in found[:SHOWN]])


def fooled_section(drawings: Sequence[classroom.Drawing], answers: dict) -> None:
    """The class's digits that fooled the most models."""
    st.subheader("Our digits that fooled the most models")
    fooled = scoring.fooled_most(drawings, answers)
    if not fooled:
        st.success("No model got any of our digits wrong (yet).")
        return
    shown = fooled[:SHOWN]
    show_drawings([d for d, _ in shown],
                  [f"meant {d.label}: fooled {n} of {len(answers)} · {class_state.plain(d.student)}"
                   for d, n in shown])


def show_drawings(drawings: Sequence[classroom.Drawing], captions: Sequence[str]) -> None:
    """The drawings as small images with captions (Streamlit reads captions as Markdown: callers escape)."""
    if drawings:
        st.image([d.png for d in drawings], caption=list(captions), width=THUMB)


def _s(count: int) -> str:
    return "" if count == 1 else "s"
