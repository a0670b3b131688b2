"""The drawing page under Streamlit's AppTest: prompt, picker, answers, model switching, training.

AppTest runs no JavaScript, so a drawing is put into the canvas by setting the canvas
component's session state to what the browser would send (see the canvas facts note):
``{"drawing": {"raw": <Fabric.js JSON>, "data": <PNG data URL>}}``. Real drawing is
tested in test_browser_draw.py.
"""

from __future__ import annotations

import base64
import html
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from mnist_app import data, models, preprocess
from mnist_app.explain.verdict import Verdict
from mnist_app.testing import answer_text
from mnist_app.ui import answer_panel, common, draw_page, model_cards, steps_strip

APP = str(Path(__file__).resolve().parents[1] / "streamlit_app.py")
SIDE = draw_page.PHONE_CANVAS


def canvas_state(picture: np.ndarray, strokes: int = 1) -> dict:
    """What the canvas component holds after ``strokes`` strokes that drew ``picture`` (RGBA)."""
    buffer = io.BytesIO()
    Image.fromarray(picture, mode="RGBA").save(buffer, format="PNG")
    url = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
    objects = [{"type": "path", "stroke": "#FFFFFF"} for _ in range(strokes)]
    return {"drawing": {"raw": {"objects": objects}, "data": url}, "backgroundFit": None}


def blank_canvas() -> np.ndarray:
    picture = np.zeros((SIDE, SIDE, 4), dtype=np.uint8)
    picture[..., 3] = 255
    return picture


def drawn_one() -> np.ndarray:
    """A thick vertical stroke, white on black, as the canvas returns it."""
    picture = blank_canvas()
    picture[60:290, SIDE // 2 - 12 : SIDE // 2 + 12, :3] = 255
    return picture


def drawn_mnist_digit(index: int) -> tuple[np.ndarray, int]:
    """MNIST test digit ``index`` scaled up onto a canvas-sized RGBA picture, and its label."""
    images, labels = data.load_mnist("test")
    grey = np.asarray(Image.fromarray(images[index]).resize((SIDE, SIDE), Image.Resampling.BILINEAR))
    picture = blank_canvas()
    picture[..., :3] = grey[..., np.newaxis]
    return picture, int(labels[index])


def run_page() -> AppTest:
    return AppTest.from_file(APP, default_timeout=120).run()


def draw(at: AppTest, picture: np.ndarray, strokes: int = 1) -> AppTest:
    at.session_state[draw_page.CANVAS_KEY] = canvas_state(picture, strokes)
    return at.run()


def answer_texts(at: AppTest) -> list[str]:
    """The answer's sentences ("CNN says 7, 98% sure."), each after the big digit it names (the
    answer panel: one HTML element)."""
    return answer_text.answer_sentences(at)


def prompt_shown(at: AppTest) -> bool:
    """Whether the answer panel shows the prompt to draw (in its box, instead of an answer)."""
    return any(draw_page.PROMPT in text for text in answer_text.prompts(at)) and not answer_text.verdicts(at)


def test_page_renders_with_prompt_and_every_model_in_the_picker() -> None:
    at = run_page()
    assert not at.exception
    assert at.title[0].value == ":material/draw: Draw a digit"
    picker = at.selectbox(key=common.MODEL_KEY)
    names = models.available_models()
    assert picker.options == [models.MODELS[name].display_name for name in names]
    assert answer_text.notes(at) == [models.MODELS[picker.value].description]
    assert any(answer_panel.STYLE in block.proto.body for block in at.get("html"))  # sent by the page
    # A blank canvas: the prompt, and no answer.
    assert prompt_shown(at)
    assert not answer_texts(at)
    assert not at.get("plotly_chart")


@pytest.mark.parametrize(("accuracies", "expected"), [
    ({"logistic_regression": 0.92, "knn": 0.98, "naive_bayes": 0.87}, "knn"),
    ({"knn": None, "naive_bayes": 0.87}, "naive_bayes"),  # a tested model before an untested one
    ({"logistic_regression": None, "knn": None}, "logistic_regression"),  # none tested: registry order
])
def test_the_page_opens_on_the_most_accurate_trained_model(monkeypatch, accuracies, expected) -> None:
    from mnist_app import evaluation

    monkeypatch.setattr(common, "is_trained", lambda name: name in accuracies)
    monkeypatch.setattr(evaluation, "known_accuracy", lambda name, **kwargs: accuracies.get(name))
    at = run_page()
    assert not at.exception
    assert at.selectbox(key=common.MODEL_KEY).value == expected


def test_a_canvas_with_only_a_speck_shows_the_prompt() -> None:
    picture = blank_canvas()
    picture[100:102, 100:102, :3] = 255
    at = draw(run_page(), picture)
    assert not at.exception
    assert prompt_shown(at)
    assert not answer_texts(at)


@pytest.mark.slow
def test_a_drawing_gets_the_models_answer_and_what_the_model_sees(trained_for_browser) -> None:
    at = run_page()
    at.selectbox(key=common.MODEL_KEY).set_value("logistic_regression")
    at = draw(at, drawn_one())
    assert not at.exception
    expected = models.predict(drawn_one(), "logistic_regression")
    assert expected.label == 1
    assert answer_texts(at) == [f"Logistic regression says 1, {expected.probabilities[1]:.0%} sure."]
    [chart] = at.get("plotly_chart")  # the ten probabilities in percent, the answer's bar highlighted
    spec = json.loads(chart.proto.spec)
    assert spec["layout"]["title"]["text"] == "How sure Logistic regression is, for each digit (%)"
    bars = spec["data"][0]
    assert bars["y"] == pytest.approx(list(expected.probabilities * 100))
    highlighted = [color == model_cards.HIGHLIGHT for color in bars["marker"]["color"]]
    assert highlighted == [digit == 1 for digit in range(10)]
    # What the model sees: ONE picture of the preprocessing steps, each step's caption numbered,
    # with its heading, after the phone's one-line answer: one element.
    steps = preprocess.steps(drawn_one())
    [figure] = [block.proto.body for block in at.get("html") if "steps-figure" in block.proto.body]
    quick = ("<div class='quick-answer'><h3>Answer: 1</h3><p><small>"
             f"Logistic regression, {expected.confidence:.0%}")
    assert figure.startswith(quick)
    figure = figure.removeprefix(answer_panel.quick_html("Logistic regression", expected))
    assert figure == steps_strip.figure_html(steps, heading="What the model sees")
    tiles = [f"src='{steps_strip.tile_data_url(steps_strip.figure_tile(step.image))}'" for step in steps]
    assert figure.count("<img ") == len(steps) and all(tile in figure for tile in tiles)
    assert [figure.index(tile) for tile in tiles] == sorted(figure.index(tile) for tile in tiles)
    assert f"<figcaption>{html.escape(steps_strip.caption(steps))}</figcaption>" in figure
    assert figure.index("<h3>What the model sees</h3>") < figure.index("<img")
    assert not at.image
    numbered = [f"{number}. {step.caption}" for number, step in enumerate(steps, 1)]
    assert all(text in steps_strip.caption(steps) for text in numbered)
    # All models: a card for each trained one with its answer, the chosen one's name in bold.
    cards = "".join(block.proto.body for block in at.get("html"))
    assert "<div class='card-name'><strong>Logistic regression</strong></div>" in cards
    assert "<h3>All models</h3><div class='model-cards'>" in cards
    knn = models.predict(drawn_one(), "knn")
    shown = re.search(r"card_knn'><div class='card-name'>k-nearest neighbours</div>"
                      r"<div class='card-digit'>(\d)</div><div class='card-sure'>(\d+)% sure", cards)
    assert shown is not None and shown.groups() == (str(knn.label), f"{knn.confidence * 100:.0f}")


@pytest.mark.slow
def test_switching_model_shows_the_other_models_answer(trained_for_browser, mnist_dir) -> None:
    picture, _label = drawn_mnist_digit(0)
    at = run_page()
    at.selectbox(key=common.MODEL_KEY).set_value("logistic_regression")
    at = draw(at, picture)
    expected = models.predict(picture, "logistic_regression").label
    assert answer_texts(at)[0].startswith(f"Logistic regression says {expected},")

    at.selectbox(key=common.MODEL_KEY).set_value("knn").run()
    assert not at.exception
    expected = models.predict(picture, "knn").label
    assert answer_texts(at)[0].startswith(f"k-nearest neighbours says {expected},")
    assert answer_text.notes(at) == [models.MODELS["knn"].description]


@pytest.mark.slow
def test_the_shown_digit_is_the_packages_prediction(trained_for_browser, mnist_dir) -> None:
    at = run_page()
    at.selectbox(key=common.MODEL_KEY).set_value("knn")
    for index in (1, 2, 3):
        picture, label = drawn_mnist_digit(index)
        at = draw(at, picture)
        prediction = models.predict(picture, "knn")
        assert prediction.label == label  # kNN knows these MNIST digits
        assert answer_texts(at)[0].startswith(f"k-nearest neighbours says {label},")


@pytest.mark.slow
def test_clear_shows_the_prompt_at_once_and_undo_drops_the_last_stroke(trained_for_browser) -> None:
    at = run_page()
    at.selectbox(key=common.MODEL_KEY).set_value("logistic_regression")
    at = draw(at, drawn_one(), strokes=2)
    assert answer_texts(at)

    # Undo: the canvas restarts from the drawing minus its last stroke (the browser then
    # sends the new picture; until then the answer stays).
    undo = next(button for button in at.button if button.label == "Undo")
    undo.click().run()
    assert not at.exception
    assert len(at.session_state[draw_page.START_KEY]["objects"]) == 1

    # Clear: the prompt shows at once, before the canvas confirms that it is blank.
    clear = next(button for button in at.button if button.label == "Clear")
    clear.click().run()
    assert not at.exception
    assert at.session_state[draw_page.START_KEY]["objects"] == []
    assert prompt_shown(at)
    assert not answer_texts(at)
    assert next(button for button in at.button if button.label == "Undo").disabled

    # The canvas confirms (empty drawing), then the student draws again: a new answer.
    at = draw(at, blank_canvas(), strokes=0)
    assert prompt_shown(at)
    at = draw(at, drawn_one())
    assert answer_texts(at)[0].startswith("Logistic regression says 1,")


class AlwaysThree:
    """Stands in for a trained model: always answers 3, 70% sure."""

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        probabilities = np.full((len(features), 10), 0.3 / 9)
        probabilities[:, 3] = 0.7
        return probabilities


@pytest.fixture
def fake_training(monkeypatch) -> Iterator[list[str]]:
    """Training that takes no time: records which models it trained and reports progress."""
    trained: list[str] = []

    def fake_get_model(name: str, *, data_dir=None, progress=None):
        if name not in trained:
            progress(0.5, "halfway")
            trained.append(name)
        return AlwaysThree()

    monkeypatch.setattr(common, "is_trained", lambda name: name in trained)
    monkeypatch.setattr(models, "get_model", fake_get_model)
    yield trained


def test_an_untrained_model_offers_a_train_button_then_answers(fake_training) -> None:
    at = run_page()
    at.selectbox(key=common.MODEL_KEY).set_value("svm")
    at = draw(at, drawn_one())
    assert not at.exception
    assert not answer_texts(at)
    assert "Support vector machine** has not been trained" in at.warning[0].value
    at.button(key="train_svm").click().run()
    assert not at.exception
    assert fake_training == ["svm"]
    assert answer_texts(at) == ["Support vector machine says 3, 70% sure."]


def test_missing_data_says_so_and_a_failed_download_is_reported(monkeypatch) -> None:
    def unavailable(name: str, *, data_dir=None, progress=None):
        raise data.MnistUnavailableError("MNIST is not in /nowhere and could not be downloaded")

    monkeypatch.setattr(common, "is_trained", lambda name: False)
    monkeypatch.setattr(common, "mnist_on_disk", lambda: False)
    monkeypatch.setattr(models, "get_model", unavailable)
    at = draw(run_page(), drawn_one())
    assert not at.exception
    assert "training downloads it first" in at.warning[0].value
    at.button(key=f"train_{at.selectbox(key=common.MODEL_KEY).value}").click().run()
    assert not at.exception
    assert any("could not be downloaded" in error.value for error in at.error)


def test_the_figures_tiles_are_the_steps_pictures_small_ones_at_their_own_size() -> None:
    steps = preprocess.steps(drawn_one())
    for step in steps:
        tile = steps_strip.figure_tile(step.image)
        longer = max(step.image.shape)
        if longer > steps_strip.TILE:  # the drawing: scaled down to a tile
            assert np.array_equal(np.asarray(tile), np.asarray(steps_strip.square_tile(step.image)))
        else:  # e.g. the 28x28 digit: its own pixels, the browser enlarges them (pixelated)
            assert tile.size == (longer, longer)
            assert np.array_equal(np.asarray(tile), np.asarray(steps_strip.square_tile(step.image, longer)))
        url = steps_strip.tile_data_url(tile)
        decoded = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))
        assert url.startswith("data:image/png;base64,")
        assert np.array_equal(np.asarray(decoded), np.asarray(tile))
    assert (steps[-1].image.shape == (28, 28)) and "image-rendering: pixelated" in steps_strip.FIGURE_STYLE


def test_model_cards_are_one_html_element_that_marks_the_chosen_one_and_escapes_text() -> None:
    sure = models.Prediction(model="a", label=7, probabilities=np.eye(10)[7] * 0.9 + 0.01)
    cards = model_cards.cards_html({"a": sure, "b": sure}, {"a": "<b>A</b>", "b": "B"}, "b",
                                   {"a": "no majority", "b": None})
    assert "&lt;b&gt;A&lt;/b&gt;" in cards and "<b>A</b>" not in cards
    assert "<div class='model-card card_b chosen'><div class='card-name'><strong>B</strong></div>" in cards
    assert "<div class='model-card card_a'>" in cards and cards.count("no majority") == 1
    assert cards.count("<div class='card-digit'>7</div>") == 2 and cards.count("91% sure") == 2
    assert "<h3>" not in cards
    titled = model_cards.cards_html({"a": sure}, {"a": "A"}, "a", {}, heading="All <models>")
    assert titled.index("<h3>All &lt;models&gt;</h3>") < titled.index("<div class='model-cards'>")


def test_the_answer_panel_is_one_html_element_readable_as_text_that_escapes_text() -> None:
    sure = models.Prediction(model="a", label=7, probabilities=np.eye(10)[7] * 0.9 + 0.01)
    verdict = Verdict("unsure", None, [(7, 0.6), (1, 0.3)], "The models <disagree>.")
    panel = answer_panel.panel_html(["Does <i>this</i>."], verdict=verdict, title="<b>A</b>", answer=sure,
                                    cards="<div class='model-cards'></div>")
    assert "<b>A</b>" not in panel and "<i>" not in panel and "<disagree>" not in panel
    assert panel.count("<section class='answer-panel' aria-label='Answer'>") == 1
    assert "<div class='status-box verdict verdict-unsure' role='status'>" in panel
    assert "<span class='icon' aria-hidden='true'>help</span>" in panel
    text = answer_text.plain(panel)
    assert "Does <i>this</i>." in text and "Not sure: 7 or 1?" in text and "The models <disagree>." in text
    assert "<h1 class='answer-digit'>7</h1>" in panel and "<b>A</b> says 7, 91% sure." in text
    # In that order: what the model does, the verdict, the answer, then the cards.
    assert "<style>" not in panel  # the page sends the panel's style once, not on every stroke
    order = ["model-about", "status-box", "answer-digit", "answer-sentence", "model-cards"]
    assert [panel.index(part) for part in order] == sorted(panel.index(part) for part in order)
    prompt = answer_panel.panel_html([], prompt="Draw <here>.")
    assert "<div class='status-box prompt' role='status'>" in prompt and "Draw &lt;here&gt;." in prompt
    assert "verdict" not in prompt and "answer-digit" not in prompt


def test_the_pen_settings_sit_above_the_canvas_and_change_it() -> None:
    # Outside the drawing's fragment (a stroke does not re-send them); a change reruns the page.
    at = run_page()
    at.slider(key="pen_width").set_value(40).run()
    at.toggle(key="big_canvas").set_value(True).run()
    assert not at.exception
    [canvas] = at.get("bidi_component")
    settings = json.loads(canvas.proto.json)
    assert settings["strokeWidth"] == 40
    assert settings["canvasWidth"] == settings["canvasHeight"] == draw_page.PROJECTOR_CANVAS
    at.toggle(key="number_mode").set_value(True).run()  # the whole-number canvas has its own pen
    assert not at.exception
    assert [slider.key for slider in at.slider if slider.key == "pen_width"] == []


@pytest.mark.slow
def test_the_what_if_switch_sits_outside_the_fragment_until_on_then_the_what_ifs_follow_strokes(
        trained_for_browser) -> None:
    at = run_page()
    at.selectbox(key=common.MODEL_KEY).set_value("logistic_regression")
    at = draw(at, drawn_one())
    assert not at.exception
    [switch] = [toggle for toggle in at.toggle if toggle.key == "whatif_on"]
    assert switch.proto.id not in fragment_widget_ids(at)  # off: a stroke does not re-send it
    switch.set_value(True).run()
    assert not at.exception
    assert "whatif_on" in {widget.key for widget in at.toggle}
    assert fragment_widget_ids(at) >= {at.toggle(key="whatif_on").proto.id}  # on: inside the fragment
    assert [block.value for block in at.markdown if block.value.startswith("## ")]  # the what-if cards
    picture, _label = drawn_mnist_digit(0)
    at = draw(at, picture)
    assert not at.exception
    expected = models.predict(picture, "logistic_regression").label
    shown = [block.value for block in at.markdown if block.value.startswith("## ")]
    assert f"## {expected}" in shown  # the what-ifs follow the new drawing
    at.toggle(key="whatif_on").set_value(False).run()
    assert not at.exception
    assert not [block.value for block in at.markdown if block.value.startswith("## ")]
    assert at.toggle(key="whatif_on").proto.id not in fragment_widget_ids(at)
    assert not at.toggle(key="whatif_on").value


def fragment_widget_ids(at: AppTest) -> set[str]:
    """The ids of the widgets drawn inside the drawing's fragment (the page's block holding the canvas)."""
    [canvas] = at.get("bidi_component")
    for block in at.main.children.values():
        ids = {getattr(getattr(node, "proto", None), "id", None) for node in walk(block)} - {None, ""}
        if canvas.proto.id in ids:
            return ids
    raise AssertionError("no canvas on the page")


def walk(node):
    yield node
    for child in getattr(node, "children", {}).values():
        yield from walk(child)
