"""The drawing page's save flow for a student in a class: "Was it a 7?" Yes, or the digit they meant.

One tap saves the drawing, the digit meant and every model's answer to the class. A failed
save (database busy, unreachable, read-only) says why and offers Retry; the drawing and the
answer stay on the page either way. Outside a class this shows nothing.
"""

from __future__ import annotations

import hashlib

import numpy as np
import streamlit as st

from mnist_app import classroom, models
from mnist_app.ui import class_state

#: Session-state keys: the last drawing saved, and the last failed save (to retry).
SAVED_KEY = "class_save_done"
FAILED_KEY = "class_save_failed"


def render(image: np.ndarray | None, answer: models.Prediction | None) -> None:
    """The save buttons under the answer, when this session is in a class and there is an answer."""
    joined = class_state.membership()
    if image is None or answer is None:
        return
    if joined is None:
        if code := class_state.code_in_link():  # e.g. the page was reloaded: the session is new
            st.info(f"To save your digits for class {class_state.plain(code)}, join it on the "
                    "**Classroom** page (your code and a nickname).", icon=":material/school:")
        return
    fingerprint = drawing_fingerprint(image)
    with st.container(border=True, key="class_save"):
        saved = st.session_state.get(SAVED_KEY)
        if saved is not None and saved["fingerprint"] == fingerprint:
            st.success(f"Saved as a {saved['label']} for {class_state.plain(joined.name)}. Clear the canvas "
                       "to draw the next digit.", icon=":material/check_circle:")
            return
        st.markdown(f"**Was it a {answer.label}?** One tap saves it for class "
                    f"**{class_state.plain(joined.name)}** as {class_state.plain(joined.student)}.")
        st.button(f"Yes, a {answer.label}", type="primary", key="class_save_yes", icon=":material/check:",
                  on_click=save, args=(image, answer.label, fingerprint))
        st.caption("No? Tap the digit you meant:")
        with st.container(horizontal=True, key="class_save_digits", gap="small"):
            for digit in range(10):
                st.button(str(digit), key=f"class_save_{digit}", on_click=save,
                          args=(image, digit, fingerprint))
        failed = st.session_state.get(FAILED_KEY)
        if failed is not None and failed["fingerprint"] == fingerprint:
            st.error(f"Not saved: {class_state.plain(failed['message'])}", icon=":material/error:")
            st.button(f"Retry saving it as a {failed['label']}", key="class_save_retry",
                      icon=":material/refresh:", on_click=save, args=(image, failed["label"], fingerprint))


def save(image: np.ndarray, label: int, fingerprint: str) -> None:
    """Save the drawing for the session's class (a button callback); remembers success or why it failed."""
    joined = class_state.membership()
    if joined is None:
        return
    try:
        class_state.store().save_drawing(joined.code, image, label, student=joined.student)
    except classroom.ClassroomError as error:
        st.session_state[FAILED_KEY] = {"fingerprint": fingerprint, "label": label, "message": str(error)}
        return
    st.session_state.pop(FAILED_KEY, None)
    st.session_state[SAVED_KEY] = {"fingerprint": fingerprint, "label": label}


def drawing_fingerprint(image: np.ndarray) -> str:
    """A short hash of the picture: a drawing is saved once, a changed drawing can be saved again."""
    return hashlib.blake2b(np.ascontiguousarray(image).tobytes(), digest_size=16).hexdigest()
