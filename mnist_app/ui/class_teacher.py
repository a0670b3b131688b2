"""Teacher controls on the Our class page (teacher key needed): delete, export, import, and teach.

Deleting asks for confirmation first (a second button); a wrong key changes nothing. The
tab that created the class knows its key already. Once the key is checked, teaching the models
the class's handwriting (:mod:`mnist_app.ui.class_teaching`) shows below the controls.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from mnist_app import classroom
from mnist_app.ui import class_state, class_teaching

PENDING_KEY = "class_teacher_pending"
EXPORT_KEY = "class_teacher_export"


def render(code: str) -> None:
    """The teacher controls for class ``code``, in an expander."""
    with st.expander("Teacher controls", icon=":material/key:"):
        key = st.text_input("Teacher key", value=class_state.teacher_key(code), type="password",
                            key=f"teacher_key_{code}")
        if not key:
            st.caption("Type the class's teacher key to delete drawings, or export or delete the class.")
            import_section()
            return
        store = class_state.store()
        try:
            store.check_teacher_key(code, key)
            drawings = store.drawings(code)
        except classroom.ClassroomError as error:
            st.error(class_state.plain(error), icon=":material/error:")
            return
        class_state.remember_teacher_key(code, key)
        delete_section(code, key, drawings)
        export_section(code, key)
        import_section()
    with st.container(border=True, key="class_teaching"):
        class_teaching.render(code, drawings)


def delete_section(code: str, key: str, drawings: list[classroom.Drawing]) -> None:
    """Delete one drawing, one student's drawings, or the whole class, each after a confirmation."""
    store = class_state.store()
    st.markdown("**Delete**")
    if drawings:
        by_id = {d.id: d for d in drawings}
        chosen = st.selectbox("A drawing", list(reversed(by_id)), key="teacher_drawing",
                              format_func=lambda i: f"{by_id[i].student}: a {by_id[i].label}, "
                                                    f"{by_id[i].created_at:%H:%M:%S} ({i[:6]})")
        asked(f"drawing-{chosen}", "Delete this drawing",
              lambda: store.delete_drawing(code, chosen, key), done="The drawing was deleted.")
        students = sorted({d.student for d in drawings})
        student = st.selectbox("A student's drawings", students, key="teacher_student")
        asked(f"student-{student}", f"Delete all {sum(d.student == student for d in drawings)} drawings "
              "of this student", lambda: store.delete_student(code, student, key),
              done="The student's drawings were deleted.")
    asked(f"class-{code}", "Delete the whole class", lambda: store.delete_class(code, key),
          done="The class was deleted.")


def asked(action: str, label: str, act: Callable[[], object], *, done: str) -> None:
    """A delete button that first asks "Sure?" (Delete / Cancel); runs ``act`` only when confirmed."""
    if st.session_state.get(PENDING_KEY) != action:
        if st.button(label, key=f"ask-{action}", icon=":material/delete:"):
            st.session_state[PENDING_KEY] = action
            st.rerun()
        return
    st.warning(f"{label}? This cannot be undone.", icon=":material/warning:")
    confirm, cancel = st.columns(2)
    if confirm.button("Yes, delete", key=f"confirm-{action}", type="primary"):
        st.session_state.pop(PENDING_KEY, None)
        try:
            act()
        except classroom.ClassroomError as error:
            st.error(class_state.plain(error), icon=":material/error:")
            return
        st.toast(done, icon=":material/delete:")
        st.rerun()
    if cancel.button("Cancel", key=f"cancel-{action}"):
        st.session_state.pop(PENDING_KEY, None)
        st.rerun()


def export_section(code: str, key: str) -> None:
    """Build the class's ZIP on request, then offer it for download."""
    st.markdown("**Export** (CSV of everything, the PNGs, and an .npz of the 28x28 digits and labels)")
    if st.button("Prepare the ZIP", key="teacher_export", icon=":material/archive:"):
        try:
            st.session_state[EXPORT_KEY] = (code, class_state.store().export_zip(code, key))
        except classroom.ClassroomError as error:
            st.error(class_state.plain(error), icon=":material/error:")
    prepared = st.session_state.get(EXPORT_KEY)
    if prepared is not None and prepared[0] == code:
        st.download_button(f"Download class-{code}.zip ({len(prepared[1]):,} bytes)", prepared[1],
                           file_name=f"class-{code}.zip", mime="application/zip", key="teacher_download",
                           icon=":material/download:")


def import_section() -> None:
    """Import a class ZIP exported by this app (here or on another installation)."""
    st.markdown("**Import** a class exported from this app (it gets a new code; its teacher key stays)")
    upload = st.file_uploader("Class ZIP", type=["zip"], key="teacher_import_file")
    if upload is not None and st.button("Import", key="teacher_import", icon=":material/upload:"):
        try:
            new_code = class_state.store().import_zip(upload.getvalue())
        except classroom.ClassroomError as error:
            st.error(class_state.plain(error), icon=":material/error:")
            return
        st.success(f"Imported as class {new_code}.", icon=":material/check_circle:")
