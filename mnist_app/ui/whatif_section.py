"""What-ifs on the current drawing: switch preprocessing steps off, move, turn, resize, re-ink.

Every trained model answers the changed digit at once, and the models whose answer differs
from their normal answer are named ("Without centring: SVM says 1 (was 7)"). Once switched on,
the experiment is a fragment: moving a slider reruns only it, never the canvas above.
"""

from __future__ import annotations

import hashlib

import numpy as np
import streamlit as st
from PIL import Image

from mnist_app import models, preprocess
from mnist_app.explain.whatif import what_if
from mnist_app.preprocess.whatif import Changes
from mnist_app.ui import common

#: The switches, in pipeline order: (Switches field, label).
STEP_SWITCHES = (
    ("crop", "Crop to the ink"),
    ("match_pen", "Match the pen width"),
    ("fit", "Fit into 20x20, keeping the aspect ratio"),
    ("centre", "Centre by the centre of mass"),
    ("deslant", "Straighten the slant"),
    ("blur", "Blur slightly"),
)
KEY = "whatif"
#: Session-state key: the drawing page shows the switch inside its fragment (the what-ifs are on).
IN_FRAGMENT_KEY = f"{KEY}_in_fragment"
TILE = 140


def render(image: np.ndarray) -> None:
    """The what-if section for the drawing ``image`` (the canvas's RGBA picture): ``switch``, then
    ``show`` when it is on."""
    if switch():
        show(image)


def switch() -> bool:
    """The section's heading and its on/off switch (off: nothing is computed); whether it is on.

    The drawing page shows them outside the drawing's fragment: a stroke does not re-send them.
    """
    # The heading and what the switch does in one element.
    st.markdown("### :material/science: What if…?\n\n:small[:gray[Switch a preprocessing step off (or "
                "move, turn, resize the digit) and see every model's answer change.]]")
    return st.toggle("Try what-ifs on this drawing", key=f"{KEY}_on",
                     help="Switch preprocessing steps off, or move, turn and resize what the models see")


def is_on() -> bool:
    """Whether the switch is on."""
    return bool(st.session_state.get(f"{KEY}_on"))


def in_fragment() -> bool:
    """Whether the drawing page shows the switch inside its drawing fragment (see ``draw_page``)."""
    return bool(st.session_state.get(IN_FRAGMENT_KEY))


def show(image: np.ndarray) -> None:
    """The experiment on the drawing ``image`` (the switch is on)."""
    names = [name for name in common.model_names() if common.is_trained(name)]
    if not names:
        st.info("Train a model first: the what-ifs need a model to answer.")
        return
    experiment(image, names)


@st.fragment
def experiment(image: np.ndarray, names: list[str]) -> None:
    """The switches, sliders and every model's changed answer: a fragment, so moving a slider
    reruns only this, never the canvas above."""
    switches, changes = controls()
    try:
        normal = normal_answers(image, names)
        changed = what_if(image, switches, changes, names)
    except preprocess.EmptyDrawingError as error:
        st.info(str(error))
        return
    picture_column, answers_column = st.columns([1, 2])
    with picture_column:
        st.image(pixel_tile(changed.digit), caption="What the models see now", width=TILE)
    with answers_column:
        show_answers(changed.predictions, normal, describe(switches, changes))


def normal_answers(image: np.ndarray, names: list[str]) -> dict[str, models.Prediction]:
    """Every model's answer without what-ifs, remembered per drawing (sliders move often)."""
    drawing = hashlib.blake2b(np.ascontiguousarray(image).tobytes(), digest_size=16).hexdigest()
    digest = (drawing, tuple(names))
    memo = st.session_state.get(f"{KEY}_normal")
    if memo is None or memo[0] != digest:
        memo = (digest, what_if(image, preprocess.Switches(), Changes(), names).predictions)
        st.session_state[f"{KEY}_normal"] = memo
    return memo[1]


def pixel_tile(digit: np.ndarray) -> Image.Image:
    """The 28x28 digit scaled up with hard pixel edges, as the models see it."""
    grey = (np.clip(digit, 0.0, 1.0) * 255).round().astype(np.uint8)
    return Image.fromarray(grey).resize((TILE, TILE), Image.Resampling.NEAREST)


def controls() -> tuple[preprocess.Switches, Changes]:
    """The switches and sliders; returns what they are set to."""
    steps_column, changes_column = st.columns(2)
    with steps_column:
        st.caption("Preprocessing steps")
        flags = {field: st.toggle(label, value=True, key=f"{KEY}_{field}") for field, label in STEP_SWITCHES}
    with changes_column:
        st.caption("Change the digit the models see")
        down = st.slider("Move down (pixels)", -8, 8, 0, key=f"{KEY}_down")
        right = st.slider("Move right (pixels)", -8, 8, 0, key=f"{KEY}_right")
        rotate = st.slider("Turn (degrees, anticlockwise)", -90, 90, 0, step=5, key=f"{KEY}_rotate")
        scale = st.slider("Size", 0.4, 1.6, 1.0, step=0.1, key=f"{KEY}_scale")
        pen = st.slider("Pen (thinner / thicker)", -3, 3, 0, key=f"{KEY}_pen")
    changes = Changes(float(down), float(right), float(rotate), float(scale), int(pen))
    return preprocess.Switches(**flags), changes


def describe(switches: preprocess.Switches, changes: Changes) -> str:
    """A few words on what is changed: "Without centring, turned 30°"; "" when nothing is."""
    off = [label.split(",")[0].lower() for field, label in STEP_SWITCHES if not getattr(switches, field)]
    parts = [f"without “{step}”" for step in off]
    if changes.down or changes.right:
        parts.append(f"moved {changes.down:+.0f} down, {changes.right:+.0f} right")
    if changes.rotate:
        parts.append(f"turned {changes.rotate:+.0f}°")
    if changes.scale != 1.0:
        parts.append(f"sized ×{changes.scale:.1f}")
    if changes.pen:
        parts.append("thicker pen" if changes.pen > 0 else "thinner pen")
    return ", ".join(parts).capitalize()


def show_answers(changed: dict[str, models.Prediction], normal: dict[str, models.Prediction],
                 description: str) -> None:
    """One card per model with its what-if answer; a line per model whose answer changed."""
    with st.container(horizontal=True, key=f"{KEY}_cards"):
        for name, answer in changed.items():
            with st.container(border=True, width=130, key=f"{KEY}_card_{name}", gap="small"):
                st.caption(common.display_name(name))
                st.markdown(f"## {answer.label}")
                st.caption(f"{answer.confidence:.0%} sure")
    moved = [f"{common.display_name(name)} says {answer.label} (was {normal[name].label})"
             for name, answer in changed.items() if answer.label != normal[name].label]
    if not description:
        st.caption("Nothing changed yet: these are the normal answers.")
    elif moved:
        st.markdown(f"**{description}:** " + "; ".join(moved) + ".")
    else:
        st.markdown(f"**{description}:** every model still gives its normal answer.")
