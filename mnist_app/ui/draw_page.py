"""The drawing page: draw a digit, and the models say what it is while you draw.

Layout: the canvas and its controls on the left with the images of "what the model sees"
under them, the chosen model's answer on the right with every model's answer side by side
under it (stacked on a phone, where a one-line answer also shows right under the canvas);
below, the what-ifs.
The canvas sends its picture after every stroke, which reruns this page: there is no
Predict button.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import streamlit as st

from mnist_app import models, preprocess
from mnist_app.ui import (
    answer_panel,
    class_save,
    common,
    number_canvas,
    steps_strip,
    taught_answers,
    verdict_panel,
    whatif_section,
)

#: Session-state key of the canvas component (its value holds the drawing).
CANVAS_KEY = "canvas"
#: Session-state key of the drawing the canvas (re)starts from; Undo and Clear replace it.
START_KEY = "canvas_start"
#: Session-state key of a reload in flight: the drawing it replaces, and whether it is blank.
RELOAD_KEY = "canvas_reload"
#: Session-state key of the current drawing's 28x28 digit (None while blank), for the "Why?" page.
DIGIT_KEY = "current_digit"
#: The canvas fits a phone (390 px wide minus the page's 2 x 16 px margins) ...
PHONE_CANVAS = 344
#: ... and grows for a projector on request.
PROJECTOR_CANVAS = 480
#: About a tenth of the digit's height, like MNIST's strokes.
DEFAULT_PEN = 24
PROMPT = "Draw a digit from 0 to 9 in the black box: the answer appears as you draw."

# The one-line answer under the canvas is for phones only, where the full answer is a
# scroll away; on wider screens the answer column sits right beside the canvas.
PAGE_CSS = """
<style>
.quick-answer { display: none; }
@media (max-width: 640px) { .quick-answer { display: block; } }
.quick-answer h3 { padding: 0; margin: 0; }
.quick-answer p { margin: 0.25rem 0 1rem 0; }
.quick-answer small { opacity: 0.6; }
</style>
"""


def render() -> None:
    """The whole page (the entry point ``st.Page`` runs)."""
    st.html(PAGE_CSS + answer_panel.STYLE)
    st.title(":material/draw: Draw a digit")
    with st.container(horizontal=True, key="page_controls"):
        whole_number = st.toggle("Whole number (wide canvas)", key=number_canvas.TOGGLE_KEY)
        if not whole_number:
            pen_settings()
    if whole_number:
        number_canvas.render()  # several digits, read as one number
        return
    drawing_section()
    if not whatif_section.in_fragment():
        # Off (most strokes): the what-if switch under the drawing, outside its fragment, so a
        # stroke does not re-send it. On, the fragment shows it with the what-ifs, which follow every stroke.
        whatif_section.switch()


def pen_settings() -> None:
    """The pen's width and a big canvas for a projector, in a popover.

    Outside the drawing's fragment: they change rarely (a change reruns the page), while
    every stroke re-sends the fragment's elements.
    """
    with st.popover("Pen", icon=":material/edit:"):
        st.slider("Pen width", min_value=8, max_value=60, value=DEFAULT_PEN, step=2, key="pen_width")
        st.toggle("Big canvas (projector)", key="big_canvas")


@st.fragment
def drawing_section() -> None:
    """The canvas and everything that depends on the drawing (and the what-ifs, when they are on).

    A fragment: a stroke, Clear, Undo or another model reruns only this, not the page's
    title, style, navigation and switches (a class's server does this for every stroke of
    every student). What changes on a stroke is a few elements: the answer column's note,
    verdict, answer and cards are one HTML element, the phone's answer and the steps another.
    """
    canvas_column, answer_column = st.columns([1, 1], gap="large")
    with canvas_column:
        image = drawing_canvas()
    with answer_column:
        # The model picker stays in the fragment, beside the canvas: above the canvas it pushed
        # the phone's one-line answer below the screen.
        name = common.model_picker(describe=False)
        # Native code (BLAS, OpenMP) on one thread: for one digit a second thread saves nothing,
        # and a woken worker spin-waits after each call, which cost more CPU than the rest of
        # the stroke (docs/benchmarks.md, issue 12 round 2). The MNIST files' stamp is read once.
        with models.one_native_thread(), models.data_unchanged():
            # The drawing is preprocessed once per rerun: the last step is the digit every model gets.
            pipeline, prompt = preprocessed(image)
            st.session_state[DIGIT_KEY] = None if pipeline is None else pipeline[-1].image
            mnist_answers = every_answer(pipeline)  # each model asked once: verdict, answer, cards share them
            answers = taught_answers.in_class(pipeline, mnist_answers)  # a class's taught models, if any
            # The honest answer first: "Not sure: 4 or 9?"
            verdict = None if pipeline is None else verdict_panel.decide(pipeline, answers)
        answer = answer_panel.show(pipeline, prompt, name, answers, verdict)
        if pipeline is not None and answer is None:
            offer_training(name)
        class_save.render(image, answer)  # in a class: "Was it a 7?" saves the digit for it
        if answer is not None and pipeline is not None:
            untrained_models(answers)
            taught_answers.both_answers(mnist_answers, answers, pipeline[-1].image)  # a class: MNIST's, ours
    if answer is not None and pipeline is not None:
        # Under the canvas, in the same column (a second row of columns would be three more
        # blocks per stroke): the phone's one-line answer and what the model sees, one element.
        with canvas_column:
            st.html(answer_panel.quick_html(common.display_name(name), answer)
                    + steps_strip.figure_html(pipeline, heading="What the model sees"))
    if whatif_section.is_on() or whatif_section.in_fragment():
        show_what_ifs(image if answer is not None else None)


# --- the canvas --------------------------------------------------------------------------


def drawing_canvas() -> np.ndarray | None:
    """The canvas with Undo and Clear; its RGBA picture, or None while it is blank."""
    from streamlit_drawable_canvas import st_canvas  # imports only inside a Streamlit runtime

    side = PROJECTOR_CANVAS if st.session_state.get("big_canvas", False) else PHONE_CANVAS
    result = st_canvas(
        stroke_width=st.session_state.get("pen_width", DEFAULT_PEN),
        stroke_color="#FFFFFF",
        background_color="#000000",
        width=side,
        height=side,
        drawing_mode="freedraw",
        initial_drawing=st.session_state.get(START_KEY),
        return_image_data=True,
        key=CANVAS_KEY,
    )
    drawing = result.json_data
    reload = st.session_state.get(RELOAD_KEY)
    if reload is not None and drawing != reload["replaces"]:
        st.session_state.pop(RELOAD_KEY)  # the canvas has sent its reloaded drawing
    elif reload is not None and reload["blank"]:
        drawing = None  # Clear was pressed: blank now, before the canvas confirms it
    has_strokes = bool(strokes(drawing))
    with st.container(horizontal=True, key="canvas_buttons"):
        st.button("Undo", icon=":material/undo:", on_click=undo_last_stroke, disabled=not has_strokes)
        st.button("Clear", icon=":material/delete:", on_click=clear_canvas)
    if not has_strokes:
        return None  # a canvas without strokes still sends a (black) picture
    return result.image_data


def strokes(drawing: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The strokes (Fabric.js objects) of a canvas drawing, oldest first."""
    return list((drawing or {}).get("objects") or [])


def undo_last_stroke() -> None:
    """Reload the canvas with its drawing minus the last stroke; it then sends the new picture."""
    restart_canvas(drop_last=True)


def clear_canvas() -> None:
    """Reload the canvas empty."""
    restart_canvas(drop_last=False)


def restart_canvas(*, drop_last: bool) -> None:
    # The canvas component redraws itself only when its starting drawing changes, and then
    # sends the new drawing back (a rerun later). The component stays mounted, so drawing
    # stays possible throughout; the revision makes every restart a change.
    state = st.session_state.get(CANVAS_KEY) or {}
    current = (state.get("drawing") or {}).get("raw")
    remaining = strokes(current)[:-1] if drop_last else []
    revision = (st.session_state.get(START_KEY) or {}).get("revision", 0) + 1
    st.session_state[START_KEY] = {"objects": remaining, "revision": revision}
    st.session_state[RELOAD_KEY] = {"replaces": current, "blank": not remaining}


# --- the answer -------------------------------------------------------------------------


def preprocessed(image: np.ndarray | None) -> tuple[list[preprocess.Step] | None, str]:
    """``preprocess.steps`` of the drawing (the last image is the digit), or None and what to
    tell the student when there is nothing to recognise."""
    if image is None:
        return None, PROMPT
    try:
        return preprocess.steps(image), PROMPT
    except preprocess.EmptyDrawingError as error:  # e.g. only specks
        return None, f"{error} {PROMPT}"


def every_answer(pipeline: list[preprocess.Step] | None) -> dict[str, models.Prediction]:
    """Every trained model's answer for the drawing's digit (none while there is nothing to answer)."""
    if pipeline is None:
        return {}
    digit = pipeline[-1].image
    trained = [name for name in common.model_names() if common.is_trained(name)]
    return {name: models.predict_digit(digit, name) for name in trained}


def offer_training(name: str) -> None:
    """Say that the model is not trained yet and offer a Train button (with progress)."""
    message = f"**{common.display_name(name)}** has not been trained on this computer yet."
    if not common.mnist_on_disk():
        message += " MNIST is not on this computer yet either: training downloads it first."
    st.warning(message)
    if st.button(f"Train {common.display_name(name)}", type="primary", key=f"train_{name}"):
        if common.train_with_progress([name]):
            st.rerun()


# --- every model, and what the model sees ----------------------------------------------------


def untrained_models(answers: dict[str, models.Prediction]) -> None:
    """The models without an answer (not trained yet) and a button to train them, if any."""
    untrained = [name for name in common.model_names() if name not in answers]
    if untrained:
        st.caption("Not trained yet: " + ", ".join(common.display_name(name) for name in untrained) + ".")
        if st.button("Train the missing models", key="train_missing"):
            if common.train_with_progress(untrained):
                st.rerun()


def show_what_ifs(image: np.ndarray | None) -> None:
    """The what-if switch, on, and the what-ifs on the drawing ``image`` (or what to do first without
    one), in the drawing's fragment. Switched off, the page puts the switch back outside it."""
    if not whatif_section.switch():
        st.session_state[whatif_section.IN_FRAGMENT_KEY] = False
        st.rerun()  # the whole page: its switch, outside the fragment
    st.session_state[whatif_section.IN_FRAGMENT_KEY] = True
    if image is None:
        st.caption("Draw a digit above, then try what-ifs on it.")
    else:
        whatif_section.show(image)


def show_steps_figure(pipeline: list[preprocess.Step]) -> None:
    """What the model sees: the images of ``preprocess.steps``, from the input to the 28x28 digit
    the model gets, with the heading and numbered captions, as one element (the drawing page sends
    it on every stroke; the photo page shows it too)."""
    with st.container(key="steps"):
        st.html(steps_strip.figure_html(pipeline, heading="What the model sees"))
