"""A wide "number" canvas for the drawing page: write several digits, read the whole number.

The drawing is read by ``numbers.read_number`` (split into digits, each answered by the
chosen model); the number, a box over each digit and each digit's answer are shown below.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from mnist_app import numbers
from mnist_app.ui import common, number_view

#: Session-state key of the toggle on the drawing page that shows this canvas.
TOGGLE_KEY = "number_mode"
#: Session-state key of the canvas revision: Clear starts a new, empty canvas.
REVISION_KEY = "number_canvas_revision"
WIDTH, HEIGHT = 640, 220
PEN = 16
PROMPT = "Write a number (up to 12 digits) from left to right in the wide black box."


def render() -> None:
    """The model picker, the wide canvas (full width: it is wider than half a page), the number."""
    picker_column, _ = st.columns([2, 3])
    with picker_column:
        name = common.model_picker()
    picture = number_canvas()
    if picture is None:
        st.info(PROMPT, icon=":material/pin:")
        return
    if not common.is_trained(name):
        offer_training(name)
        return
    if not number_view.scorer_ready():
        return
    reading = common.or_say_why(lambda: numbers.read_number(picture, name), PROMPT, ":material/pin:")
    if reading is not None:
        number_view.show_reading(picture, reading)


def number_canvas() -> np.ndarray | None:
    """The wide canvas and its Clear button; its RGBA picture, or None while it has no strokes."""
    from streamlit_drawable_canvas import st_canvas  # imports only inside a Streamlit runtime

    revision = st.session_state.get(REVISION_KEY, 0)
    result = st_canvas(
        stroke_width=PEN,
        stroke_color="#FFFFFF",
        background_color="#000000",
        width=WIDTH,
        height=HEIGHT,
        drawing_mode="freedraw",
        return_image_data=True,
        key=f"number_canvas_{revision}",
    )
    st.button("Clear", icon=":material/delete:", key="number_clear", on_click=clear)
    if not (result.json_data or {}).get("objects"):
        return None  # a canvas without strokes still sends a (black) picture
    return result.image_data


def clear() -> None:
    """A new, empty canvas (a new key: the component starts blank)."""
    st.session_state[REVISION_KEY] = st.session_state.get(REVISION_KEY, 0) + 1


def offer_training(name: str) -> None:
    """Say that the model is not trained yet and offer a Train button (with progress)."""
    st.warning(f"**{common.display_name(name)}** has not been trained on this computer yet.")
    if st.button(f"Train {common.display_name(name)}", type="primary", key=f"number_train_{name}"):
        if common.train_with_progress([name]):
            st.rerun()
