"""The galleries page: random test digits per class, the surest mistakes, where the models disagree.

Right and wrong answers are marked with ✓ and ✗ in every caption, never by colour alone.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from mnist_app.evaluation import Evaluation
from mnist_app.report import gallery
from mnist_app.ui import common, reports

SEED_KEY = "gallery_seed"
PER_CLASS_KEY = "gallery_per_class"
MISTAKES_KEY = "gallery_mistakes"
DISAGREE_KEY = "gallery_disagree"
#: The per-class grid has ten columns side by side, so its digits are a little smaller.
CLASS_ZOOM = 3


def render() -> None:
    """Draw the page."""
    st.title(":material/photo_library: Digit galleries")
    name = common.model_picker()
    evaluation = reports.evaluation_or_offer(name)
    if evaluation is None:
        return
    by_class, mistakes, disagreement = st.tabs(
        ["Random digits per class", "Most confident mistakes", "Where the models disagree"]
    )
    with by_class:
        _random_per_class(evaluation)
    with mistakes:
        _confident_mistakes(evaluation)
    with disagreement:
        _disagreement()


def _random_per_class(evaluation: Evaluation) -> None:
    controls = st.columns([3, 1], vertical_alignment="bottom")
    per_class = controls[0].slider("Digits per class", 1, 12, 6, key=PER_CLASS_KEY)
    if controls[1].button("New random digits", icon=":material/casino:"):
        st.session_state[SEED_KEY] = st.session_state.get(SEED_KEY, 0) + 1
    sample = gallery.random_per_class(evaluation.labels, per_class, seed=st.session_state.get(SEED_KEY, 0))
    wrong = sum(int((evaluation.predicted[idx] != digit).sum()) for digit, idx in sample.items())
    st.caption(f"{common.display_name(evaluation.model)}'s answer under each digit: ✓ right, ✗ wrong "
               f"({wrong} of {sum(len(idx) for idx in sample.values())} wrong here).")
    for digit, column in zip(range(10), st.columns(10), strict=True):
        with column:
            st.markdown(f"### {digit}")
            indices = sample[digit]
            reports.show_digits(indices, reports.answer_captions(evaluation, indices), zoom=CLASS_ZOOM)


def _confident_mistakes(evaluation: Evaluation) -> None:
    count = st.slider("How many", 6, 60, 24, step=6, key=MISTAKES_KEY)
    indices = gallery.confident_mistakes(evaluation, count)
    if len(indices) == 0:
        st.success("This model made no mistakes on the test digits.")
        return
    st.caption(f"The wrong answers {common.display_name(evaluation.model)} was surest of, most confident "
               "first. Some are hard even for people; a few MNIST labels are arguably wrong.")
    reports.show_digits(indices, reports.answer_captions(evaluation, indices))


def _disagreement() -> None:
    ready = reports.evaluated_models()
    if len(ready) < 2:
        missing = [name for name in common.model_names() if name not in ready]
        reports.offer_evaluation(missing, key="evaluate-for-disagreement",
                                 why="Comparing answers needs at least two tested models.")
        return
    evaluations = [reports.cached_evaluation(name) for name in ready]
    count = st.slider("How many", 6, 60, 18, step=6, key=DISAGREE_KEY)
    indices = gallery.most_disagreed(evaluations, count)
    st.caption(f"The test digits on which the {len(ready)} tested models give the most different answers "
               "(by vote entropy). The table lists every model's answer.")
    labels = evaluations[0].labels
    captions = [f"is {int(labels[i])} · {len(set(int(ev.predicted[i]) for ev in evaluations))} answers · #{i}"
                for i in indices]
    reports.show_digits(indices, captions)
    st.dataframe(disagreement_table(evaluations, indices), hide_index=True)


def disagreement_table(evaluations: list[Evaluation], indices) -> pd.DataFrame:
    """One row per digit: its test index, true digit and each model's answer marked ✓ or ✗."""
    labels = evaluations[0].labels
    rows = []
    for i in indices:
        true = int(labels[i])
        row = {"test index": int(i), "true digit": true}
        for ev in evaluations:
            answer = int(ev.predicted[i])
            row[common.display_name(ev.model)] = (
                f"{answer} {gallery.RIGHT_MARK if answer == true else gallery.WRONG_MARK}"
            )
        rows.append(row)
    return pd.DataFrame(rows)
