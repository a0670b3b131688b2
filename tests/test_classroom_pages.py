"""The Classroom page, the Our class page and the drawing page's save flow under Streamlit's AppTest."""

from __future__ import annotations

import io
import re
import zipfile

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from mnist_app import classroom, models, paths
from mnist_app.testing.drawings import canvas_digit
from mnist_app.ui import class_state, class_teacher

TIMEOUT = 60


@pytest.fixture
def store(tmp_path, monkeypatch) -> classroom.ClassroomStore:
    """The store the pages use: a SQLite file in a fresh app data folder."""
    monkeypatch.setenv(paths.APP_DATA_DIR_ENV, str(tmp_path / "data"))
    monkeypatch.delenv(classroom.DATABASE_URL_ENV, raising=False)
    return classroom.open_store()


def page_app(page: str) -> AppTest:
    return AppTest.from_string(f"from mnist_app.ui import {page}\n{page}.render()", default_timeout=TIMEOUT)


def text_input(at: AppTest, label: str):
    return next(widget for widget in at.text_input if widget.label == label)


def button(at: AppTest, label: str):
    return next(widget for widget in at.button if widget.label == label)


def all_text(at: AppTest) -> str:
    parts = [e.value for kind in ("markdown", "success", "error", "warning", "info", "caption")
             for e in getattr(at, kind)]
    return "\n".join(str(part) for part in parts)


# --- the Classroom page -----------------------------------------------------------------------


def test_creating_a_class_shows_its_code_a_qr_code_and_the_teacher_key_once(store) -> None:
    at = page_app("classroom_page")
    at.run()
    text_input(at, "Class name").input("7B maths")
    button(at, "Create the class").click().run()
    assert not at.exception
    [(code, name)] = [(info.code, info.name) for info in store.classes()]
    assert name == "7B maths"
    assert any(code in str(m.value) for m in at.markdown), "the code is shown big"
    [qr] = at.get("image")
    assert qr.captions[0].endswith(f"/?class={code}")
    warning = str(at.warning[0].value)
    key = re.search(r"`([^`]+)`", warning).group(1)
    store.check_teacher_key(code, key)  # the key shown is the class's key

    at.run()  # any later run: the code and QR stay, the key is not shown again
    assert any(code in str(m.value) for m in at.markdown) and len(at.get("image")) == 1
    assert key not in all_text(at) and "shown once" in all_text(at)


@pytest.mark.parametrize("name", ["", "<b>7B</b>", "x" * 60 + "!"])
def test_a_bad_class_name_is_refused_clearly(store, name) -> None:
    at = page_app("classroom_page")
    at.run()
    text_input(at, "Class name").input(name)
    button(at, "Create the class").click().run()
    assert not at.exception and at.error and store.classes() == []


def test_a_join_link_fills_in_the_code_and_joining_remembers_the_class(store) -> None:
    code, _ = store.create_class("7B maths")
    at = page_app("classroom_page")
    at.query_params[class_state.CLASS_PARAM] = code
    at.run()
    assert text_input(at, "Class code").value == code
    assert [e.label for e in at.expander] == ["Teachers: create a class"], "students see the join form first"
    text_input(at, "Your nickname").input("Ada")
    button(at, "Join").click().run()
    assert not at.exception
    assert at.session_state[class_state.MEMBERSHIP_KEY] == class_state.Membership(code, "7B maths", "Ada")
    assert "You are in class" in all_text(at) and "Ada" in all_text(at)


@pytest.mark.parametrize(("code", "nickname", "words"), [
    ("QQQQQQ", "Ada", "no class with the code QQQQQQ"),
    ("hello!", "Ada", "not a class code"),
    (None, "<script>x</script>", "no markup"),
    (None, "**Ada**", "no markup"),
    (None, "", "Give a nickname"),
])
def test_joining_with_a_bad_code_or_nickname_says_why(store, code, nickname, words) -> None:
    real, _ = store.create_class("7B")
    at = page_app("classroom_page")
    at.run()
    text_input(at, "Class code").input(code or real)
    text_input(at, "Your nickname").input(nickname)
    button(at, "Join").click().run()
    assert not at.exception
    assert words in str(at.error[0].value).replace("\\", "")
    assert class_state.MEMBERSHIP_KEY not in at.session_state


def test_the_app_opened_with_a_join_link_starts_on_the_join_form(store) -> None:
    code, _ = store.create_class("7B maths")
    at = AppTest.from_file("../streamlit_app.py", default_timeout=TIMEOUT)
    at.query_params[class_state.CLASS_PARAM] = code
    at.run()
    assert not at.exception
    assert text_input(at, "Class code").value == code
    plain = AppTest.from_file("../streamlit_app.py", default_timeout=TIMEOUT)
    plain.run()
    assert not [w for w in plain.text_input if w.label == "Class code"], "without a link: the drawing page"


# --- the save flow on the drawing page ------------------------------------------------------------

SAVE_SCRIPT = """
import numpy as np
import streamlit as st
from mnist_app import models
from mnist_app.testing.drawings import canvas_digit
from mnist_app.ui import class_save
st.markdown("The answer: 1")
class_save.render(canvas_digit(7), models.Prediction("knn", 1, np.eye(10)[1]))
"""


def save_app(code: str, student: str = "Ada") -> AppTest:
    at = AppTest.from_string(SAVE_SCRIPT, default_timeout=TIMEOUT)
    at.session_state[class_state.MEMBERSHIP_KEY] = class_state.Membership(code, "7B maths", student)
    return at


def test_a_corrected_label_saves_the_drawing_with_the_digit_meant(store) -> None:
    code, _ = store.create_class("7B maths")
    at = save_app(code)
    at.run()
    assert "Was it a 1?" in all_text(at)
    at.button(key="class_save_7").click().run()
    assert not at.exception
    [saved] = store.drawings(code)
    assert (saved.label, saved.student) == (7, "Ada")
    np.testing.assert_array_equal(saved.digit, __import__("mnist_app").to_mnist(canvas_digit(7)))
    assert "Saved as a 7" in all_text(at)
    at.run()  # the same drawing is not offered again
    assert "Was it" not in all_text(at) and len(store.drawings(code)) == 1


def test_yes_saves_the_models_answer(store) -> None:
    code, _ = store.create_class("7B maths")
    at = save_app(code)
    at.run()
    at.button(key="class_save_yes").click().run()
    assert [d.label for d in store.drawings(code)] == [1]


def test_outside_a_class_the_drawing_page_offers_no_saving(store) -> None:
    at = AppTest.from_string(SAVE_SCRIPT, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception and "Was it" not in all_text(at) and not at.button


def test_a_join_link_without_a_nickname_yet_says_how_to_join(store) -> None:
    at = AppTest.from_string(SAVE_SCRIPT, default_timeout=TIMEOUT)
    at.query_params[class_state.CLASS_PARAM] = "K7MXQ4"
    at.run()
    assert "join it on the **Classroom** page" in all_text(at) and not at.button


def test_a_failed_save_says_why_keeps_the_answer_and_a_retry_saves(store, monkeypatch, tmp_path) -> None:
    code, _ = store.create_class("7B maths")
    database = classroom.database.sqlite_file(store.url)
    monkeypatch.setenv(classroom.DATABASE_URL_ENV, f"sqlite:///file:{database}?mode=ro&uri=true")
    at = save_app(code)
    at.run()
    at.button(key="class_save_7").click().run()
    assert not at.exception
    assert "Not saved" in all_text(at) and "read-only" in all_text(at).replace("\\", "")
    assert "The answer: 1" in all_text(at), "the drawing page keeps working"
    assert store.drawings(code) == []
    monkeypatch.setenv(classroom.DATABASE_URL_ENV, store.url)  # the database is writable again
    at.button(key="class_save_retry").click().run()
    assert [d.label for d in store.drawings(code)] == [7] and "Saved as a 7" in all_text(at)


# --- the Our class page ----------------------------------------------------------------------------


def fake_answers(digit: int) -> dict:
    """Every available model answers ``digit`` (keeps the test free of model loading)."""
    return {name: {"digit": digit, "confidence": 0.9} for name in models.available_models()}


def our_class(store, code: str, key: str | None = None) -> AppTest:
    at = page_app("our_class_page")
    at.session_state[class_state.MEMBERSHIP_KEY] = class_state.Membership(code, "7B maths", "Ada")
    if key:
        at.session_state[class_state.TEACHER_KEYS_KEY] = {code: key}
    at.run()
    assert not at.exception
    return at


def test_our_class_counts_scores_and_shows_the_digits_that_fooled_the_models(store) -> None:
    code, _ = store.create_class("7B maths")
    store.save_drawing(code, canvas_digit(7), 7, student="Ada", answers=fake_answers(7))
    store.save_drawing(code, canvas_digit(1), 7, student="Ada", answers=fake_answers(1))  # fools all
    store.save_drawing(code, canvas_digit(0), 0, student="_Bo_", answers=fake_answers(0))
    at = our_class(store, code)
    assert "**3** digits from **2** students" in all_text(at)
    students = at.dataframe[0].value
    assert students.to_dict("records") == [{"student": "Ada", "digits": 2}, {"student": "_Bo_", "digits": 1}]
    scores = at.dataframe[1].value
    assert len(scores) == len(models.available_models())
    assert scores["our digits %"].round(1).tolist() == [66.7] * len(scores)
    assert set(scores["right"]) == {"2/3"}
    captions = [caption for element in at.get("image") for caption in element.captions]
    assert captions == [f"meant 7: fooled {len(models.available_models())} of "
                        f"{len(models.available_models())} · Ada"]

    store.save_drawing(code, canvas_digit(1), 1, student="Cy", answers=fake_answers(1))
    at.run()  # what the live fragment does every few seconds
    assert "**4** digits from **3** students" in all_text(at)


def test_our_class_confusion_cell_opens_the_class_digits(store) -> None:
    code, _ = store.create_class("7B maths")
    store.save_drawing(code, canvas_digit(1), 7, student="_Ada_", answers=fake_answers(1))
    store.save_drawing(code, canvas_digit(7), 7, student="Bo", answers=fake_answers(7))
    at = page_app("our_class_page")
    at.session_state[class_state.MEMBERSHIP_KEY] = class_state.Membership(code, "7B maths", "Bo")
    at.session_state["our_class_cell"] = (7, 1)  # a click on the cell "meant 7, said 1"
    at.run()
    assert "Meant 7" in all_text(at) and ": 1**" in all_text(at)
    cell_captions = at.get("image")[0].captions
    assert cell_captions == [r"\_Ada\_"], "a nickname is shown as typed, never as Markdown"


def test_teacher_controls_need_the_key_and_confirm_before_deleting(store) -> None:
    code, key = store.create_class("7B maths")
    first = store.save_drawing(code, canvas_digit(7), 7, student="Ada", answers=fake_answers(7))
    store.save_drawing(code, canvas_digit(1), 1, student="Bo", answers=fake_answers(1))
    at = our_class(store, code)
    at.text_input(key=f"teacher_key_{code}").input("wrong").run()
    assert "not this class" in str(at.error[0].value) and not [b for b in at.button if "Delete" in b.label]

    at = our_class(store, code, key)
    at.selectbox(key="teacher_drawing").set_value(first).run()
    at.button(key=f"ask-drawing-{first}").click().run()
    assert len(store.drawings(code)) == 2, "asking is not deleting"
    at.button(key=f"confirm-drawing-{first}").click().run()
    assert [d.student for d in store.drawings(code)] == ["Bo"]

    at.button(key="teacher_export").click().run()
    exported_code, data = at.session_state[class_teacher.EXPORT_KEY]
    assert exported_code == code and "drawings.csv" in zipfile.ZipFile(io.BytesIO(data)).namelist()

    at.button(key=f"ask-class-{code}").click().run()
    at.button(key=f"cancel-class-{code}").click().run()
    assert store.class_name(code) == "7B maths"
    at.button(key=f"ask-class-{code}").click().run()
    at.button(key=f"confirm-class-{code}").click().run()
    with pytest.raises(classroom.UnknownClassError):
        store.class_name(code)


def test_our_class_with_the_database_unreachable_says_so_without_a_traceback(store, monkeypatch) -> None:
    from mnist_app.testing.browser import free_port

    monkeypatch.setenv(classroom.DATABASE_URL_ENV, f"postgresql+psycopg://app@127.0.0.1:{free_port()}/none")
    at = page_app("our_class_page")
    at.session_state[class_state.MEMBERSHIP_KEY] = class_state.Membership("ACDEFG", "7B maths", "Ada")
    at.run()
    assert not at.exception
    assert "Cannot reach the class database" in str(at.error[0].value).replace("\\", "")


def test_a_class_zip_uploaded_in_the_teacher_controls_is_imported_and_a_bad_one_refused(store) -> None:
    code, key = store.create_class("7B maths")
    store.save_drawing(code, canvas_digit(7), 7, student="Ada", answers=fake_answers(7))
    exported = store.export_zip(code, key)
    at = our_class(store, code)  # no teacher key needed to import a class

    at.file_uploader(key="teacher_import_file").upload("class.zip", exported, "application/zip").run()
    at.button(key="teacher_import").click().run()
    assert not at.exception
    imported = re.search(r"Imported as class (\w+)", all_text(at))
    assert imported and imported.group(1) != code
    copy = store.drawings(imported.group(1))
    assert [(d.student, d.label) for d in copy] == [("Ada", 7)]
    store.check_teacher_key(imported.group(1), key)  # the class keeps its teacher key

    before = len(store.classes())
    uploader = at.file_uploader(key="teacher_import_file")
    uploader.upload("class.zip", b"not a zip at all", "application/zip").run()
    at.button(key="teacher_import").click().run()
    assert not at.exception and at.error, "a file that is not our ZIP says why"
    assert len(store.classes()) == before, "nothing was written"
