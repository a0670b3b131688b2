"""The verdict, the disagreement marks, the what-ifs and the calibration section under AppTest."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import numpy as np
import plotly.io as pio
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from mnist_app import data, evaluation, models, synth
from mnist_app.explain.verdict import Verdict
from mnist_app.models import calibration
from mnist_app.report import reliability
from mnist_app.testing import answer_text
from mnist_app.ui import common, draw_page, verdict_panel

APP = str(Path(__file__).resolve().parents[1] / "streamlit_app.py")
SIDE = draw_page.PHONE_CANVAS


def canvas_state(picture: np.ndarray) -> dict:
    """What the canvas component holds after one stroke that drew ``picture`` (RGBA)."""
    buffer = io.BytesIO()
    Image.fromarray(picture, mode="RGBA").save(buffer, format="PNG")
    url = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
    return {"drawing": {"raw": {"objects": [{"type": "path"}]}, "data": url}, "backgroundFit": None}


def drawn(strokes: list[np.ndarray], pen: float = 20.0) -> np.ndarray:
    return synth.paint(synth.draw_strokes(strokes, pen, SIDE), "light_on_dark")


def drawn_mnist_digit(index: int) -> tuple[np.ndarray, int]:
    images, labels = data.load_mnist("test")
    return synth.render_on_canvas(images[index], size=SIDE, polarity="light_on_dark"), int(labels[index])


def zigzag() -> np.ndarray:
    """A scribble much wider than tall."""
    points = [(150 + (25 if step % 2 else -25), 30 + 28 * step) for step in range(11)]
    return drawn([np.array(points, dtype=np.float64)], pen=12.0)


def draw_on_page(picture: np.ndarray) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.session_state[draw_page.CANVAS_KEY] = canvas_state(picture)
    return at.run()


@pytest.fixture
def panel_trained(mnist_dir) -> None:
    for name in ("knn", "svm"):
        models.get_model(name, data_dir=mnist_dir)


def test_a_clear_digit_gets_a_green_verdict_above_the_answer(panel_trained) -> None:
    picture, label = drawn_mnist_digit(0)
    at = draw_on_page(picture)
    assert not at.exception
    [(status, text)] = answer_text.verdicts(at)  # the box is green (its status), above the answer
    assert status == "digit" and text.startswith(f"It's {'an' if label == 8 else 'a'} {label} ")
    assert "The models agree" in text
    [panel] = answer_text.panels(at)
    assert panel.index("verdict-digit") < panel.index("answer-digit")
    assert at.get("plotly_chart")  # the probabilities are still shown


def test_a_scribble_is_not_a_digit_and_the_probabilities_stay_visible(panel_trained) -> None:
    at = draw_on_page(zigzag())
    assert not at.exception
    [(status, text)] = answer_text.verdicts(at)
    assert status == "not_a_digit" and text.startswith("That doesn't look like a digit ")
    assert "one digit at a time" in text
    assert answer_text.answer_sentences(at)  # the chosen model still answers
    assert at.get("plotly_chart")


def test_an_unsure_verdict_names_the_candidates(panel_trained, monkeypatch) -> None:
    unsure = Verdict("unsure", None, [(4, 0.51), (9, 0.44)], "The models disagree: they say 4 or 9.")
    monkeypatch.setattr(verdict_panel, "verdict_from_steps", lambda *args, **kwargs: unsure)
    picture, _ = drawn_mnist_digit(4)
    at = draw_on_page(picture)
    assert not at.exception
    assert answer_text.verdicts(at) == [("unsure", "Not sure: 4 or 9? The models disagree: they say 4 or 9.")]


class Always:
    """Stands in for a trained model that always answers one digit."""

    def __init__(self, digit: int) -> None:
        self.digit = digit

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        probabilities = np.full((len(features), 10), 0.02)
        probabilities[:, self.digit] = 0.82
        return probabilities


def test_the_card_of_a_model_that_disagrees_is_marked(monkeypatch) -> None:
    fakes = {"logistic_regression": Always(3), "decision_tree": Always(3), "naive_bayes": Always(5)}
    monkeypatch.setattr(common, "is_trained", lambda name: name in fakes)
    monkeypatch.setattr(models, "get_model", lambda name, **kwargs: fakes[name])
    at = draw_on_page(drawn([np.array([(60.0, 170.0), (290.0, 170.0)])]))
    assert not at.exception
    assert not answer_text.verdicts(at)  # no panel model trained: no verdict yet
    assert answer_text.answer_sentences(at)
    cards = "".join(block.proto.body for block in at.get("html")).split("<div class='model-card ")
    [naive_bayes] = [card for card in cards if card.startswith("card_naive_bayes")]
    assert "<div class='card-digit'>5</div>" in naive_bayes and "disagrees (most say 3)" in naive_bayes
    assert sum("disagrees" in card for card in cards) == 1


def test_majority_needs_more_than_half() -> None:
    assert verdict_panel.majority({"a": 1, "b": 1, "c": 2}) == 1
    assert verdict_panel.majority({"a": 1, "b": 2}) is None
    assert verdict_panel.majority({}) is None
    assert verdict_panel.disagreement_text(1, 1) is None
    assert verdict_panel.disagreement_text(2, None) == "no majority"
    assert verdict_panel.disagreement_text(2, 1) == "disagrees (most say 1)"


# --- what-ifs -------------------------------------------------------------------------------------

WHATIF_SCRIPT = """
import numpy as np
from mnist_app import synth
from mnist_app.ui import whatif_section
stroke = np.array([(40.0, 140.0), (240.0, 140.0)])  # a 1
whatif_section.render(synth.paint(synth.draw_strokes([stroke], 20.0, 280), "light_on_dark"))
"""


def test_the_what_if_controls_change_every_answer(panel_trained, monkeypatch) -> None:
    monkeypatch.setattr(common, "is_trained", lambda name: name == "svm")
    at = AppTest.from_string(WHATIF_SCRIPT, default_timeout=180).run()
    assert not at.exception
    assert [toggle.key for toggle in at.toggle] == ["whatif_on"]  # nothing computed until asked
    at.toggle(key="whatif_on").set_value(True).run()
    assert not at.exception
    assert "Nothing changed yet" in " ".join(caption.value for caption in at.caption)
    assert [block.value for block in at.markdown if block.value.startswith("## ")] == ["## 1"]

    at.slider(key="whatif_rotate").set_value(90).run()  # a lying 1
    assert not at.exception
    changed = [block.value for block in at.markdown if block.value.startswith("**Turned +90°")]
    assert changed and "Support vector machine says" in changed[0] and "(was 1)" in changed[0]

    at.slider(key="whatif_rotate").set_value(0)
    at.toggle(key="whatif_fit").set_value(False).run()  # a 1 stretched into a square block
    assert not at.exception
    texts = " ".join(block.value for block in at.markdown)
    assert "Without “fit into 20x20”" in texts


# --- the calibration section of the Compare page ----------------------------------------------------

CALIBRATION_SCRIPT = """
from mnist_app.evaluation import evaluate
from mnist_app.ui import calibration_section
calibration_section.render({"svm": evaluate("svm")})
"""


def test_the_calibration_section_shows_ece_and_a_reliability_diagram(panel_trained, monkeypatch) -> None:
    monkeypatch.setattr(reliability, "DRAWN_N", 40)
    monkeypatch.setattr(calibration, "TEMPERATURES", {"svm": 2.0})
    at = AppTest.from_string(CALIBRATION_SCRIPT, default_timeout=300).run()
    assert not at.exception
    table = at.dataframe[0].value
    result = evaluation.evaluate("svm")
    expected = calibration.expected_calibration_error(result.probabilities, result.labels)
    assert table["ECE MNIST"][0] == pytest.approx(expected)
    scaled = calibration.with_temperature(result.probabilities, 2.0)
    assert table["ECE MNIST calibrated"][0] == pytest.approx(
        calibration.expected_calibration_error(scaled, result.labels))
    assert "ECE drawn" not in table
    assert len(at.get("plotly_chart")) == 1
    figure = pio.from_json(at.get("plotly_chart")[0].proto.spec)
    assert [trace.name for trace in figure.data] == [
        "perfectly calibrated", f"MNIST test (ECE {expected:.3f})", f"MNIST test, calibrated (ECE "
        f"{calibration.expected_calibration_error(scaled, result.labels):.3f})"]

    at.button(key="calibration_measure").click().run()
    assert not at.exception
    table = at.dataframe[0].value
    raw, labels = reliability.drawn_digit_probabilities("svm", calibrated=False)
    assert len(labels) == 40
    assert table["ECE drawn"][0] == pytest.approx(calibration.expected_calibration_error(raw, labels))
