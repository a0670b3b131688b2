"""The Classroom page: a teacher creates a class (join code, QR code, teacher key); students join.

The join link is the app's address with ``?class=CODE``: opening it starts on this page
with the code filled in (see ``streamlit_app.py``); after joining, the drawing page opens
and asks after each answer whether it was right, to save the digit for the class.
"""

from __future__ import annotations

import io

import segno
import streamlit as st
from streamlit.errors import StreamlitAPIException

from mnist_app import classroom
from mnist_app.ui import class_state, draw_page

QR_WIDTH = 380


def render() -> None:
    """Draw the page."""
    st.title(":material/school: Classroom")
    if class_state.arriving_with_code():  # a student from a join link: just the join form
        join_section()
        with st.expander("Teachers: create a class"):
            create_section()
        return
    join_column, create_column = st.columns(2, gap="large")
    with join_column:
        join_section()
    with create_column:
        create_section()


def join_section() -> None:
    """Join a class with its code and a nickname, or show the class joined."""
    st.subheader("Join a class")
    joined = class_state.membership()
    if joined is not None:
        st.success(f"You are in class **{class_state.plain(joined.name)}** (code {joined.code}) as "
                   f"**{class_state.plain(joined.student)}**. On **Draw a digit**, each answer asks "
                   "whether it was right: one tap saves your digit for the class.",
                   icon=":material/groups:")
        st.button("Leave the class", key="leave_class", on_click=class_state.leave)
        return
    with st.form("join_form", enter_to_submit=True):
        code = st.text_input("Class code", value=class_state.code_in_link(), max_chars=12,
                             placeholder="e.g. K7MXQ4", help="The code on the teacher's screen")
        nickname = st.text_input("Your nickname", max_chars=30,
                                 help="Any name your class knows you by; no real name or other data needed.")
        submitted = st.form_submit_button("Join", type="primary", icon=":material/login:")
    if not submitted:
        return
    try:
        class_state.join(code, nickname)
    except classroom.ClassroomError as error:
        st.error(class_state.plain(error), icon=":material/error:")
        return
    go_drawing()


def go_drawing() -> None:
    """Open the drawing page (keeping ``?class=``); without the app's navigation (tests) just rerun."""
    joined = class_state.membership()
    params = {class_state.CLASS_PARAM: joined.code} if joined else None
    try:
        st.switch_page(st.Page(draw_page.render, url_path="draw"), query_params=params)
    except StreamlitAPIException:
        st.rerun()


def create_section() -> None:
    """Create a class; then show its code, the QR code of the join link and, once, the teacher key."""
    st.subheader("Create a class (teachers)")
    new_key = None
    with st.form("create_form"):
        name = st.text_input("Class name", max_chars=60, placeholder="e.g. 7B maths")
        if st.form_submit_button("Create the class", icon=":material/add:"):
            try:
                code, new_key = class_state.store().create_class(name)
            except classroom.ClassroomError as error:
                st.error(class_state.plain(error), icon=":material/error:")
            else:
                class_state.remember_teacher_key(code, new_key)
                st.session_state[class_state.CREATED_KEY] = code
    code = st.session_state.get(class_state.CREATED_KEY)
    if code is not None:
        show_join_code(code, new_key)


def show_join_code(code: str, new_key: str | None) -> None:
    """The code, big, and the QR code of the join link, for the projector; the teacher key only when new."""
    link = class_state.join_link(code)
    st.markdown(f"<div class='class-code' style='font-size:5rem;font-weight:700;letter-spacing:0.3rem;"
                f"font-family:monospace'>{code}</div>", unsafe_allow_html=True)  # our code: never user text
    st.image(qr_png(link), width=QR_WIDTH, caption=f"Scan to join, or open {link}")
    if new_key is not None:
        st.warning(f"Teacher key: **`{new_key}`**  \nWrite it down now: it is shown only this once, and "
                   "it is needed to delete drawings, delete the class and export it. This browser tab "
                   "remembers it for the **Our class** page.", icon=":material/key:")
    else:
        st.caption("The teacher key was shown once when the class was created; this tab still knows it.")


def qr_png(text: str) -> bytes:
    """A QR code of ``text`` as PNG bytes, big enough to scan from the back of a classroom."""
    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="png", scale=12, border=2)
    return buffer.getvalue()
