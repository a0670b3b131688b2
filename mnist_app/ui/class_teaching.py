"""Teacher controls: "Teach the models our handwriting", its progress, and what it changed.

The teaching runs on a background thread of the server (one per class, shared by every
session through ``st.cache_resource``), so the students' pages stay served meanwhile; the
teacher's page follows its progress in a fragment that reruns every second. Afterwards (and
on any later visit) the page shows, per model, the held-out class digits and the MNIST test
digits before and after, and the held-out digits whose answer flipped.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from mnist_app import classroom, models
from mnist_app.teach import classes, digits, holdout, storage
from mnist_app.teach.compare import Comparison
from mnist_app.ui import class_state, common

MODELS_KEY = "teach_models"
FLIP_MODEL_KEY = "teach_flip_model"
SHOWN = 24
THUMB = 72


@dataclass
class Job:
    """One teaching of a class on a background thread; the thread writes, pages read."""

    names: tuple[str, ...]
    fraction: float = 0.0
    message: str = "Starting"
    result: classes.ClassTeaching | None = None
    error: str | None = None
    thread: threading.Thread | None = field(default=None, repr=False)

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def update(self, fraction: float, message: str) -> None:
        self.fraction, self.message = min(max(fraction, 0.0), 1.0), message


@st.cache_resource(show_spinner=False)
def _jobs() -> dict[str, Job]:
    return {}


def job(code: str) -> Job | None:
    """The latest teaching of class ``code`` started by this server (running or done)."""
    return _jobs().get(code)


def start(code: str, drawings: Sequence[classroom.Drawing], names: Sequence[str]) -> Job:
    """Start teaching ``names`` on a background thread (unless one is running for the class)."""
    running = job(code)
    if running is not None and running.running:
        return running
    started = Job(tuple(names))

    def work() -> None:
        try:
            started.result = classes.teach_class(code, drawings, names, progress=started.update)
        except ValueError as error:  # TeachingError and other plain problems: a message, not a trace
            started.error = str(error)
        except Exception as error:  # noqa: BLE001 - the thread must report, never die silently
            started.error = f"Teaching failed ({type(error).__name__}: {error}); nothing was changed."

    started.thread = threading.Thread(target=work, name=f"teach-{code}", daemon=True)
    _jobs()[code] = started
    started.thread.start()
    return started


def render(code: str, drawings: Sequence[classroom.Drawing]) -> None:
    """The teaching controls and results for class ``code`` (the teacher key is already checked)."""
    st.markdown("**Teach the models our handwriting**")
    st.caption(f"Every chosen model learns from MNIST plus our saved digits. About "
               f"{holdout.HELD_OUT_SHARE:.0%} of our digits (whole students, when there are "
               f"{holdout.MIN_STUDENTS_FOR_WHOLE} or more) are held out and never taught, to measure "
               "honestly what changed. The MNIST-trained models are kept as they are.")
    names = common.model_names()
    chosen = st.multiselect("Models to teach", names, default=names, key=MODELS_KEY,
                            format_func=common.display_name)
    current = job(code)
    busy = current is not None and current.running
    if st.button("Teach the models our handwriting", key="teach_start", type="primary",
                 icon=":material/school:", disabled=busy or not chosen):
        problem = teaching_problem(drawings)
        if problem:
            st.warning(problem, icon=":material/info:")
        else:
            start(code, drawings, chosen)
            busy = True
    if busy:
        progress_view(code)
        return
    current = job(code)
    if current is not None and current.error:
        st.error(current.error, icon=":material/error:")
    results_view(code, drawings)


def teaching_problem(drawings: Sequence[classroom.Drawing]) -> str | None:
    """Why the class's digits cannot teach yet (no digits, one digit, one label), or None."""
    try:
        digits.check_teaching_data([d.digit for d in drawings] or [], [d.label for d in drawings])
    except digits.TeachingError as error:
        return str(error)
    return None


@st.fragment(run_every=1.0)
def progress_view(code: str) -> None:
    """The running teaching's progress; reruns the page once it is done."""
    current = job(code)
    if current is None or not current.running:
        st.rerun()
        return
    st.progress(current.fraction, text=f"{current.message} ({current.fraction:.0%})")
    st.caption("Students can keep drawing meanwhile; this page updates by itself.")


def stored_results(code: str, names: Sequence[str]) -> dict[str, storage.Taught]:
    """The class's taught models found in the cache (taught from the current MNIST models)."""
    found = {name: classes.taught_for_class(code, name) for name in names if models.is_trained(name)}
    return {name: taught for name, taught in found.items() if taught is not None}


def results_view(code: str, drawings: Sequence[classroom.Drawing]) -> None:
    """Before and after, per model, and the held-out digits that flipped."""
    taught = stored_results(code, common.model_names())
    if not taught:
        return
    comparisons = {name: t.comparison for name, t in taught.items()}
    held_out_ids = {name: t.held_out_ids for name, t in taught.items()}  # each teaching its own
    st.markdown(f"**What teaching changed** (on {len(next(iter(comparisons.values())).truth)} held-out "
                "digits of ours, never taught, and on the 10,000 MNIST test digits)")
    st.dataframe(before_after_table(comparisons), hide_index=True, key="teach_table",
                 column_config={c: st.column_config.NumberColumn(format="%.1f %%") for c in (
                     "ours before %", "ours after %", "MNIST before %", "MNIST after %")})
    st.plotly_chart(before_after_chart(comparisons), key="teach_chart", config={"displayModeBar": False})
    flipped_view(comparisons, held_out_ids, drawings)


def before_after_table(comparisons: dict[str, Comparison]) -> pd.DataFrame:
    """One row per model: held-out and MNIST accuracy before and after, flips, method and time."""
    return pd.DataFrame([{
        "model": common.display_name(name), "ours before %": 100 * c.held_out_before,
        "ours after %": 100 * c.held_out_after, "now right": len(c.now_right), "now wrong": len(c.now_wrong),
        "MNIST before %": 100 * c.mnist_before, "MNIST after %": 100 * c.mnist_after,
        "how": c.method, "seconds": round(c.seconds, 1)} for name, c in comparisons.items()])


def before_after_chart(comparisons: dict[str, Comparison]) -> go.Figure:
    """Grouped bars: accuracy on our held-out digits before and after teaching, per model."""
    labels = [common.display_name(name) for name in comparisons]
    found = list(comparisons.values())
    figure = go.Figure([
        go.Bar(name="as trained on MNIST", x=labels, y=[100 * c.held_out_before for c in found]),
        go.Bar(name="taught our handwriting", x=labels, y=[100 * c.held_out_after for c in found]),
    ])
    figure.update_layout(barmode="group", height=280, margin={"l": 10, "r": 10, "t": 30, "b": 10},
                         title={"text": "Right on our held-out digits (%)", "font": {"size": 14}},
                         yaxis={"range": [0, 100], "fixedrange": True}, xaxis={"fixedrange": True})
    return figure


def flipped_view(comparisons: dict[str, Comparison], held_out_ids: dict[str, Sequence[str]],
                 drawings: Sequence[classroom.Drawing]) -> None:
    """For one model: the held-out digits it now gets right, and those it now gets wrong."""
    name = st.selectbox("Digits that changed, for", list(comparisons), key=FLIP_MODEL_KEY,
                        format_func=common.display_name)
    c, ids = comparisons[name], held_out_ids[name]
    by_id = {d.id: d for d in drawings}
    for title, positions in (("Now right", c.now_right), ("Now wrong", c.now_wrong)):
        # Drawings deleted since the teaching are left out.
        shown = [(by_id[ids[i]], i) for i in positions if i < len(ids) and ids[i] in by_id][:SHOWN]
        st.markdown(f"**{title}: {len(positions)}**")
        if shown:
            st.image([d.png for d, _ in shown], width=THUMB, caption=[
                f"meant {c.truth[i]}: was {c.before[i]}, now {c.after[i]} · {class_state.plain(d.student)}"
                for d, i in shown])
