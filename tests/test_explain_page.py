"""The "Why?" page (AppTest): every model's explanation of a drawing, "why not 4?", the data map."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from mnist_app import data, explain, models, preprocess
from mnist_app.explain import datamap
from mnist_app.ui import draw_page

SCRIPT = "from mnist_app.ui import why_page\nwhy_page.render()"
ALL_BUT_MAP = ["nearest", "evidence", "view"]


@pytest.fixture(scope="module")
def digit(mnist_dir: Path) -> np.ndarray:
    images, _ = data.load_mnist("test", mnist_dir)
    return preprocess.prepare_training(images[[0]]).reshape(28, 28)  # a 7


def page(digit: np.ndarray | None, name: str) -> AppTest:
    app = AppTest.from_string(SCRIPT, default_timeout=300)
    app.session_state[draw_page.DIGIT_KEY] = digit
    app.session_state["model"] = name
    return app.run()


def chart_specs(app: AppTest) -> str:
    return " ".join(chart.proto.spec for chart in app.get("plotly_chart"))


def test_without_a_drawing_the_page_says_where_to_draw() -> None:
    app = page(None, "logistic_regression")
    assert not app.exception
    assert "Draw a digit" in app.info[0].value
    assert not app.get("plotly_chart")


@pytest.mark.parametrize("name", models.available_models())
def test_every_model_explains_its_answer(name: str, digit: np.ndarray) -> None:
    answer = models.predict_digit(digit, name).label
    models.get_model("knn")
    app = page(digit, name)
    app.pills(key="why_sections").set_value(ALL_BUT_MAP).run()
    assert not app.exception, app.exception
    assert f"says **{answer}**" in app.markdown[0].value
    assert [header.value for header in app.subheader] == [
        "Nearest training digits", "Evidence map", f"How {models.get_spec(name).display_name} sees it"]
    captions = " ".join(caption.value for caption in app.caption)
    assert f"towards {answer}" in captions
    assert f"Evidence for {answer}" in chart_specs(app)
    nearest = explain.neighbours(digit)
    assert app.get("image")[0].captions == [
        f"a {n.label}, distance {n.distance:.2f}" + (" · k-NN voted" if n.index in voted else "")
        for n in nearest for voted in [{v.index for v in explain.voters(digit)}]]


def test_a_student_can_ask_why_not_another_digit(digit: np.ndarray) -> None:
    app = page(digit, "logistic_regression")
    target_key = "why_target_logistic_regression_7"
    choice = next(group for group in app.get("button_group") if group.key == target_key)
    choice.set_value(4).run()
    assert not app.exception
    assert "towards 4" in " ".join(caption.value for caption in app.caption)
    assert "Evidence for 4" in chart_specs(app)


def test_sections_are_computed_only_when_picked(digit: np.ndarray, monkeypatch: pytest.MonkeyPatch) -> None:
    from mnist_app.ui import why_views

    def must_not_run(*args: object) -> None:
        raise AssertionError("computed although not shown")

    monkeypatch.setattr(why_views, "evidence", must_not_run)
    app = page(digit, "logistic_regression")
    app.pills(key="why_sections").set_value(["nearest"]).run()
    assert not app.exception
    assert [header.value for header in app.subheader] == ["Nearest training digits"]


def test_an_untrained_model_is_offered_training(digit: np.ndarray, fresh_cache: Path) -> None:
    app = page(digit, "naive_bayes")
    assert not app.exception
    assert any(button.label == "Train Naive Bayes" for button in app.button)
    assert not app.get("plotly_chart")


def small_map() -> datamap.DataMap:
    rng = np.random.default_rng(0)
    labels = np.arange(200) % 10
    positions = (rng.normal(size=(200, 2)) + labels[:, None] * 5).astype(np.float32)
    return datamap.DataMap(positions, labels, rng.normal(size=(200, 40)).astype(np.float32))


def test_the_data_map_shows_digits_the_drawing_and_opens_a_clicked_digit(
    digit: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(datamap, "is_ready", lambda: True)
    monkeypatch.setattr(datamap, "data_map", lambda progress=None: small_map())
    models.get_model("knn")  # the drawing is placed in the k-NN model's space
    app = page(digit, "logistic_regression")
    app.pills(key="why_sections").set_value(["map"]).run()
    assert not app.exception
    spec = chart_specs(app)
    assert "your drawing" in spec and "test digit #" in spec
    assert app.subheader[0].value == "Map of the data"
    assert not app.get("image")
    # What Streamlit reports after a click on the dot of test digit 42 (its customdata): it opens.
    app.session_state["why_map"] = {"selection": {
        "points": [{"curve_number": 0, "point_number": 42, "point_index": 42, "customdata": 42}],
        "point_indices": [42], "box": [], "lasso": [],
    }}
    app.run()
    assert not app.exception
    assert [caption for image in app.get("image") for caption in image.captions] == ["test digit #42: a 2"]


def test_the_data_map_can_circle_the_models_mistakes(
    digit: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    from types import SimpleNamespace

    from mnist_app.ui import reports, why_page

    layout = small_map()
    predicted = layout.labels.copy()
    predicted[[3, 50, 120]] = (predicted[[3, 50, 120]] + 1) % 10  # three mistakes
    monkeypatch.setattr(datamap, "is_ready", lambda: True)
    monkeypatch.setattr(datamap, "data_map", lambda progress=None: layout)
    monkeypatch.setattr(why_page.evaluation, "is_evaluated", lambda name: True)
    monkeypatch.setattr(reports, "cached_evaluation", lambda name: SimpleNamespace(predicted=predicted))
    models.get_model("knn")
    app = page(digit, "logistic_regression")
    app.pills(key="why_sections").set_value(["map"]).run()
    assert "mistakes" not in chart_specs(app)
    app.toggle(key="why_map_mistakes").set_value(True).run()
    assert not app.exception
    mistakes = next(trace for trace in json.loads(chart_specs(app))["data"] if trace["name"] == "mistakes")
    assert sorted(mistakes["customdata"]) == [3, 50, 120]


def test_without_a_cached_map_the_page_offers_to_make_it(
    digit: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(datamap, "is_ready", lambda: False)
    app = page(digit, "logistic_regression")
    app.pills(key="why_sections").set_value(["map"]).run()
    assert not app.exception
    assert any(button.label == "Make the map" for button in app.button)
    assert not app.get("plotly_chart")
