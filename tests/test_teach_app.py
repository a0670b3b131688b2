"""Teaching from the Our class page (AppTest) and from the command line (issue 14)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from mnist_app import classroom, models, paths
from mnist_app.cli import main
from mnist_app.teach import storage
from mnist_app.testing import answer_text
from mnist_app.testing.drawings import canvas_digit
from mnist_app.ui import class_state, class_teaching

TIMEOUT = 120


@pytest.fixture
def world(tiny_mnist: Path, fresh_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Tiny MNIST, an empty model cache with Naive Bayes trained, and a fresh classroom database."""
    monkeypatch.setenv("MNIST_DATA_DIR", str(tiny_mnist))
    monkeypatch.setenv(paths.APP_DATA_DIR_ENV, str(tmp_path / "data"))
    monkeypatch.delenv(classroom.DATABASE_URL_ENV, raising=False)
    storage.forget_loaded()
    models.get_model("naive_bayes")
    yield classroom.open_store()
    storage.forget_loaded()


def new_class(store: classroom.ClassroomStore, students: dict[str, list[int]]) -> tuple[str, str]:
    code, key = store.create_class("7B maths")
    for student, saved in students.items():
        for shift, digit in enumerate(saved):
            store.save_drawing(code, canvas_digit(digit, shift=4 * shift), digit, student=student, answers={})
    return code, key


def teacher_page(code: str, key: str) -> AppTest:
    at = AppTest.from_string("from mnist_app.ui import our_class_page\nour_class_page.render()",
                             default_timeout=TIMEOUT)
    at.session_state[class_state.MEMBERSHIP_KEY] = class_state.Membership(code, "7B maths", "Ada")
    at.session_state[class_state.TEACHER_KEYS_KEY] = {code: key}
    at.run()
    assert not at.exception
    return at


def teach_button(at: AppTest):
    return next(b for b in at.button if b.label == "Teach the models our handwriting")


def texts(at: AppTest) -> str:
    return "\n".join(str(e.value) for kind in ("markdown", "warning", "error", "info", "caption")
                     for e in getattr(at, kind))


def test_the_teacher_teaches_sees_progress_then_before_and_after(world) -> None:
    code, key = new_class(world, {s: [0, 1, 7] for s in ("Ada", "Bo", "Cy", "Di", "Ed")})
    at = teacher_page(code, key)
    assert len(at.dataframe) == 2  # the class's two tables; nothing taught yet
    next(m for m in at.multiselect if m.label == "Models to teach").set_value(["naive_bayes"])
    teach_button(at).click()
    at.run()
    assert not at.exception
    deadline = time.monotonic() + TIMEOUT
    job = class_teaching.job(code)
    assert job is not None and job.names == ("naive_bayes",)
    while job.running and time.monotonic() < deadline:
        time.sleep(0.5)
    at.run()
    assert not at.exception and job.error is None, job.error
    assert len(at.dataframe) == 3
    table = at.dataframe[-1].value  # the before/after table comes last
    assert table["model"].tolist() == ["Naive Bayes"]
    comparison = job.result.comparisons["naive_bayes"]
    assert table["ours before %"].iloc[0] == pytest.approx(100 * comparison.held_out_before)
    assert table["MNIST after %"].iloc[0] == pytest.approx(100 * comparison.mnist_after)
    assert "What teaching changed" in texts(at) and "Now right:" in texts(at)
    # A new visit (another session) finds the stored teaching.
    assert teacher_page(code, key).dataframe[-1].value.equals(table)


def test_a_class_with_one_digit_gets_a_clear_message(world) -> None:
    code, key = new_class(world, {"Ada": [7]})
    at = teacher_page(code, key)
    teach_button(at).click()
    at.run()
    assert not at.exception and "only one digit" in texts(at)
    assert class_teaching.job(code) is None


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_the_cli_teaches_and_prints_before_and_after(world, capsys) -> None:
    code, _ = new_class(world, {"Ada": [0, 1, 7, 0, 1, 7]})
    status, out, err = run_cli(capsys, "class", "--database", world.url, "teach", code,
                               "--models", "naive_bayes")
    assert status == 0, err
    assert "Naive Bayes" in out and "digits held out (never taught)" in out and "Traceback" not in err
    assert storage.latest(code, "naive_bayes") is not None


@pytest.mark.parametrize(("students", "extra", "words"), [
    ({}, [], "no digits yet"),
    ({"Ada": [1, 1]}, [], "is a 1"),
    ({"Ada": [0, 1]}, ["--models", "nope"], "unknown model 'nope'"),
])
def test_the_cli_says_clearly_why_it_cannot_teach(world, capsys, students, extra, words) -> None:
    code, _ = new_class(world, students)
    status, _, err = run_cli(capsys, "class", "--database", world.url, "teach", code, *extra)
    assert status == 1 and words in err and "Traceback" not in err


def test_the_cli_refuses_an_unknown_class(world, capsys) -> None:
    status, _, err = run_cli(capsys, "class", "--database", world.url, "teach", "QQQQQQ")
    assert status == 1 and "no class with the code QQQQQQ" in err


def test_while_teaching_runs_the_teacher_sees_its_progress(world, monkeypatch) -> None:
    from mnist_app.teach import methods

    release, real_teach = threading.Event(), methods.teach

    def slow_teach(name, digits, labels, *, progress=None):
        progress(0.5, "Teaching Naive Bayes: halfway")
        release.wait(TIMEOUT)
        return real_teach(name, digits, labels, progress=progress)

    monkeypatch.setattr(methods, "teach", slow_teach)
    code, key = new_class(world, {"Ada": [0, 1, 7, 0, 1, 7]})
    at = teacher_page(code, key)
    next(m for m in at.multiselect if m.label == "Models to teach").set_value(["naive_bayes"])
    teach_button(at).click()
    at.run()
    try:
        job = class_teaching.job(code)
        deadline = time.monotonic() + TIMEOUT
        while "halfway" not in job.message and time.monotonic() < deadline:
            time.sleep(0.2)
        at.run()  # what the progress fragment does every second
        assert not at.exception
        bars = at.get("progress")
        assert len(bars) == 1 and "Teaching Naive Bayes: halfway" in str(bars[0].proto.text)
        assert teach_button(at).disabled  # one teaching of a class at a time
    finally:
        release.set()
    job.thread.join(TIMEOUT)
    assert job.result is not None and "naive_bayes" in job.result.comparisons


DRAW_SCRIPT = """
import streamlit as st
from mnist_app import models, preprocess
from mnist_app.testing.drawings import canvas_digit
from mnist_app.ui import taught_answers
pipeline = preprocess.steps(canvas_digit(7))
answers = {"logistic_regression": models.predict_digit(pipeline[-1].image, "logistic_regression")}
shown = taught_answers.in_class(pipeline, answers)
st.session_state["shown"] = shown["logistic_regression"].probabilities.tolist()
taught_answers.both_answers(answers, shown, pipeline[-1].image)
"""


def test_in_a_class_the_drawing_page_answers_with_the_taught_models_and_can_switch_back(world) -> None:
    from mnist_app import preprocess, teach

    code, _ = new_class(world, {"Ada": [0, 1, 7, 0, 1, 7, 7]})
    teach.teach_class(code, world.drawings(code), ["logistic_regression"])
    digit = preprocess.to_mnist(canvas_digit(7))
    taught = teach.taught_for_class(code, "logistic_regression")
    mnist_probabilities = models.predict_digit(digit, "logistic_regression").probabilities
    taught_probabilities = models.predict_digit(digit, "logistic_regression",
                                                model=taught.model).probabilities
    assert not np.allclose(mnist_probabilities, taught_probabilities)  # teaching changed the model

    at = AppTest.from_string(DRAW_SCRIPT, default_timeout=TIMEOUT)
    at.run()  # not in a class: no switch, the MNIST model answers
    assert not at.toggle and np.allclose(at.session_state["shown"], mnist_probabilities)
    at.session_state[class_state.MEMBERSHIP_KEY] = class_state.Membership(code, "7B maths", "Ada")
    at.run()
    assert at.toggle[0].label == "Answer with our class's taught models" and at.toggle[0].value
    assert np.allclose(at.session_state["shown"], taught_probabilities)
    both = at.dataframe[0].value
    assert both["model"].tolist() == ["Logistic regression"]
    assert {"as trained on MNIST", "taught our handwriting"} <= set(both)
    taught_cell = f"{int(np.argmax(taught_probabilities))} ({taught_probabilities.max():.0%})"
    mnist_cell = f"{int(np.argmax(mnist_probabilities))} ({mnist_probabilities.max():.0%})"
    assert both["taught our handwriting"].tolist() == [taught_cell]
    assert both["as trained on MNIST"].tolist() == [mnist_cell]
    at.toggle[0].set_value(False).run()
    assert np.allclose(at.session_state["shown"], mnist_probabilities)
    both = at.dataframe[0].value  # switched back: the table still shows both answers
    assert both["taught our handwriting"].tolist() == [taught_cell]
    assert both["as trained on MNIST"].tolist() == [mnist_cell]


def canvas_state(picture: np.ndarray) -> dict:
    """What the canvas component holds after one stroke that drew ``picture`` (see test_draw_page)."""
    import base64
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(picture, mode="RGBA").save(buffer, format="PNG")
    url = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
    return {"drawing": {"raw": {"objects": [{"type": "path"}]}, "data": url}, "backgroundFit": None}


def test_the_real_drawing_page_in_a_class_answers_with_its_taught_model(world) -> None:
    from mnist_app import preprocess, teach
    from mnist_app.ui import draw_page, taught_answers

    code, _ = new_class(world, {"Ada": [0, 1, 7, 0, 1, 7, 7]})
    teach.teach_class(code, world.drawings(code), ["logistic_regression"])
    picture = canvas_digit(0, side=draw_page.PHONE_CANVAS)
    digit = preprocess.steps(picture)[-1].image
    ours = models.predict_digit(digit, "logistic_regression",
                                model=teach.taught_for_class(code, "logistic_regression").model)
    mnist = models.predict_digit(digit, "logistic_regression")
    assert f"{ours.label} {ours.confidence:.0%}" != f"{mnist.label} {mnist.confidence:.0%}"  # tellable apart
    at = AppTest.from_string("from mnist_app.ui import draw_page\ndraw_page.render()",
                             default_timeout=TIMEOUT)
    at.session_state[class_state.MEMBERSHIP_KEY] = class_state.Membership(code, "7B maths", "Ada")
    at.session_state[draw_page.CANVAS_KEY] = canvas_state(picture)
    at.run()
    assert not at.exception
    said = answer_text.answer_sentences(at)  # after the big digit
    assert said == [f"Logistic regression says {ours.label}, {ours.confidence:.0%} sure."]
    assert "Our class's taught models, next to the MNIST ones" in texts(at)
    at.toggle(key=taught_answers.USE_TAUGHT_KEY).set_value(False).run()
    said = answer_text.answer_sentences(at)  # after the big digit
    assert said == [f"Logistic regression says {mnist.label}, {mnist.confidence:.0%} sure."]


FLIPS_SCRIPT = """
import numpy as np
import streamlit as st
from mnist_app.teach.compare import Comparison
from mnist_app.ui import class_state, class_teaching
drawings = class_state.store().drawings(st.session_state["code"])
c = Comparison("knn", "x", truth=np.array([7, 1, 0]), before=np.array([1, 1, 0]), after=np.array([7, 1, 8]),
               mnist_before=0.9, mnist_after=0.9, n_taught=3, seconds=1.0)
ids = [d.id for d in drawings if d.student != "Ed"][:3]
class_teaching.flipped_view({"knn": c}, {"knn": ids}, drawings)
"""


def test_the_digits_that_flipped_are_shown_with_what_changed(world) -> None:
    code, _ = new_class(world, {"Ada": [7], "Bo": [1], "Cy": [0]})
    at = AppTest.from_string(FLIPS_SCRIPT, default_timeout=TIMEOUT)
    at.session_state["code"] = code
    at.run()
    assert not at.exception
    assert "**Now right: 1**" in texts(at) and "**Now wrong: 1**" in texts(at)
    captions = [caption for element in at.get("image") for caption in element.captions]
    assert captions == ["meant 7: was 1, now 7 · Ada", "meant 0: was 0, now 8 · Cy"]
