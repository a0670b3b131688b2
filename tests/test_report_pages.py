"""The report pages (models, confusion matrix, galleries) under Streamlit's AppTest.

The pages are checked against ``evaluate()`` of two cheap real models, Naive Bayes and
logistic regression (the browser tests train the latter anyway, in the tests' shared cache).

AppTest runs no JavaScript, so a click on a confusion cell is simulated by setting the
chart's selection state in ``session_state`` to what Streamlit reports after a click on
that cell's marker. The real click is tested in test_browser_confusion.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest
from streamlit.testing.v1 import AppTest

from mnist_app import models
from mnist_app.evaluation import Evaluation, evaluate, is_evaluated
from mnist_app.report import gallery
from mnist_app.ui import confusion_page, gallery_page, reports

pytestmark = pytest.mark.slow  # trains and evaluates real models (once per cache)

FIRST, SECOND = "naive_bayes", "logistic_regression"
TIMEOUT = 120


def page_app(page: str) -> AppTest:
    """An AppTest of one report page, ``mnist_app.ui.<page>``, on its own."""
    return AppTest.from_string(f"from mnist_app.ui import {page}\n{page}.render()", default_timeout=TIMEOUT)


@pytest.fixture(scope="module")
def evaluations(mnist_dir: Path) -> dict[str, Evaluation]:
    """Both models evaluated on the real test set (from the tests' cache when it has them)."""
    return {name: evaluate(name, data_dir=mnist_dir) for name in (FIRST, SECOND)}


def open_page(page: str, model: str) -> AppTest:
    at = page_app(page).run()
    assert not at.exception, at.exception
    at.selectbox(key="model").set_value(model).run()
    assert not at.exception, at.exception
    return at


def chart_figure(at: AppTest, index: int = 0) -> go.Figure:
    """The plotly figure the page sent to the browser (arrays decoded)."""
    return pio.from_json(at.get("plotly_chart")[index].proto.spec)


def indices_of(captions: list[str]) -> list[int]:
    """The test-set index (#1234) in each digit caption."""
    return [int(re.search(r"#(\d+)", caption).group(1)) for caption in captions]


def caption_indices(at: AppTest) -> list[int]:
    """The test-set index of every digit shown on the page, in order."""
    return indices_of(all_captions(at))


def all_captions(at: AppTest) -> list[str]:
    return [caption for image in at.get("image") for caption in image.captions]


def click_cell(at: AppTest, true: int, predicted: int) -> AppTest:
    """Give the chart the selection Streamlit reports when cell (true, predicted) is clicked; rerun."""
    cells = next(trace for trace in chart_figure(at).data if trace.name == "cells")
    index = next(i for i, (x, y) in enumerate(zip(cells.x, cells.y, strict=True))
                 if (int(y), int(x)) == (true, predicted))
    at.session_state[confusion_page.CHART_KEY] = {"selection": {
        "points": [{"curve_number": 1, "point_number": index, "point_index": index,
                    "x": predicted, "y": true, "customdata": list(cells.customdata[index])}],
        "point_indices": [index], "box": [], "lasso": [],
    }}
    at.run()
    assert not at.exception, at.exception
    return at


def heatmap_text(at: AppTest) -> list[list[str]]:
    return [list(row) for row in chart_figure(at).data[0].text]


def test_confusion_page_shows_the_models_counts_and_rates(evaluations) -> None:
    at = open_page("confusion_page", FIRST)
    first = evaluations[FIRST]
    assert heatmap_text(at) == [[str(c) for c in row] for row in first.confusion]
    assert f"{first.accuracy:.2%}" in at.markdown[0].value
    # The rates toggle.
    at.toggle(key=confusion_page.NORMALISE_KEY).set_value(True).run()
    rates = first.confusion / first.confusion.sum(axis=1, keepdims=True)
    assert heatmap_text(at)[3][3] == f"{rates[3, 3]:.1%}"
    # Switching the model redraws the matrix with the other model's counts.
    at.toggle(key=confusion_page.NORMALISE_KEY).set_value(False).run()
    at.selectbox(key="model").set_value(SECOND).run()
    second = evaluations[SECOND]
    assert not np.array_equal(first.confusion, second.confusion)
    assert heatmap_text(at) == [[str(c) for c in row] for row in second.confusion]
    # The per-digit table is the second model's report.
    table = at.dataframe[0].value
    assert table["digit"].tolist() == list(range(10))
    assert table["recall %"].to_numpy() == pytest.approx([100 * second.report[d].recall for d in range(10)])
    assert table["test digits"].tolist() == [second.report[d].support for d in range(10)]


def largest_mistake(ev: Evaluation) -> tuple[int, int]:
    off = ev.confusion.copy()
    np.fill_diagonal(off, 0)
    true, predicted = np.unravel_index(np.argmax(off), off.shape)
    return int(true), int(predicted)


def test_clicking_a_cell_shows_exactly_its_digits_most_confident_first(evaluations) -> None:
    at = open_page("confusion_page", FIRST)
    assert not at.get("image")  # nothing chosen yet
    ev = evaluations[FIRST]
    true, predicted = largest_mistake(ev)
    click_cell(at, true, predicted)
    expected = np.flatnonzero((ev.labels == true) & (ev.predicted == predicted))
    assert len(expected) == ev.confusion[true, predicted] > confusion_page.SHOWN
    # The select boxes follow the click, the heading names the cell, the outline marks it.
    assert at.selectbox(key=confusion_page.TRUE_KEY).value == true
    assert at.selectbox(key=confusion_page.PREDICTED_KEY).value == predicted
    assert f"{true} mistaken for {predicted}: {len(expected):,}" in at.subheader[0].value
    (outline,) = chart_figure(at).layout.shapes
    assert (outline.x0, outline.y0) == (predicted - 0.5, true - 0.5)
    # The table lists exactly the digits of that cell.
    listed = at.dataframe[0].value["test index"].to_numpy()
    assert sorted(listed.tolist()) == expected.tolist()
    # The images are the SHOWN most confident of them, most confident first, each marked wrong.
    shown = caption_indices(at)
    confidence = ev.probabilities[np.arange(len(ev.labels)), ev.predicted]
    assert len(shown) == confusion_page.SHOWN and set(shown) <= set(expected.tolist())
    assert np.all(np.diff(confidence[shown]) <= 0)
    assert confidence[np.setdiff1d(expected, shown)].max() <= confidence[shown].min()
    assert all(caption.startswith(gallery.WRONG_MARK) for caption in all_captions(at))
    # Sent as PNG (lossless, so the enlarged pixels stay crisp squares), not JPEG.
    assert all(url.endswith(".png") for url in at.get("image")[0].value), at.get("image")[0].value[:2]
    # Switching the model keeps the cell and shows the other model's digits for it.
    at.selectbox(key="model").set_value(SECOND).run()
    other = evaluations[SECOND]
    other_expected = np.flatnonzero((other.labels == true) & (other.predicted == predicted))
    assert sorted(at.dataframe[0].value["test index"].tolist()) == other_expected.tolist()


def test_a_diagonal_cell_shows_right_answers_and_the_select_boxes_work(evaluations) -> None:
    at = open_page("confusion_page", FIRST)
    ev = evaluations[FIRST]
    at.selectbox(key=confusion_page.TRUE_KEY).set_value(7)
    at.selectbox(key=confusion_page.PREDICTED_KEY).set_value(7).run()
    expected = np.flatnonzero((ev.labels == 7) & (ev.predicted == 7))
    assert sorted(at.dataframe[0].value["test index"].tolist()) == expected.tolist()
    assert all(caption.startswith(gallery.RIGHT_MARK + " 7") for caption in all_captions(at))
    # A later click on the chart replaces the choice.
    click_cell(at, 2, 2)
    expected = np.flatnonzero((ev.labels == 2) & (ev.predicted == 2))
    assert sorted(at.dataframe[0].value["test index"].tolist()) == expected.tolist()


def test_models_page_compares_the_evaluated_models(evaluations) -> None:
    at = page_app("models_page").run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    for name, ev in evaluations.items():
        row = table[table["model"] == models.MODELS[name].display_name].iloc[0]
        assert row["accuracy %"] == pytest.approx(100 * ev.accuracy)
        assert row["fit s"] == pytest.approx(ev.fit_seconds)
        assert row["latency ms"] == pytest.approx(ev.latency_ms)
        assert row["size MB"] == pytest.approx(ev.size_bytes / 1e6)
    assert table["accuracy %"].is_monotonic_decreasing
    bars = {trace.name: dict(zip(trace.y, trace.x, strict=True)) for trace in chart_figure(at).data}
    assert bars["accuracy"][models.MODELS[FIRST].display_name] == pytest.approx(evaluations[FIRST].accuracy)


def test_gallery_page_per_class_mistakes_and_disagreement(evaluations) -> None:
    at = open_page("gallery_page", FIRST)
    ev = evaluations[FIRST]
    per_class = at.slider(key=gallery_page.PER_CLASS_KEY).value
    images = at.get("image")
    # Tab 1: ten columns, one per digit, each with per_class digits of that class.
    class_grids, disagree_grid = images[:10], images[11]
    for digit, grid in enumerate(class_grids):
        indices = indices_of(grid.captions)
        assert len(indices) == per_class and np.all(ev.labels[indices] == digit)
        for index, caption in zip(indices, grid.captions, strict=True):
            right = ev.predicted[index] == digit
            assert caption.startswith(gallery.RIGHT_MARK if right else gallery.WRONG_MARK)
    first_sample = caption_indices(at)[: 10 * per_class]
    next(button for button in at.button if "New random" in button.label).click().run()
    assert caption_indices(at)[: 10 * per_class] != first_sample
    # Tab 2: the most confident mistakes, all wrong, most confident first.
    wrong = indices_of(at.get("image")[10].captions)
    assert wrong == gallery.confident_mistakes(ev, len(wrong)).tolist()
    assert len(wrong) == at.slider(key=gallery_page.MISTAKES_KEY).value
    assert np.all(ev.predicted[wrong] != ev.labels[wrong])
    # Tab 3: digits where the tested models (at least these two) disagree most, with each
    # model's answer in the table.
    split = indices_of(disagree_grid.captions)
    tested = [evaluate(name) for name in reports.evaluated_models()]
    assert split == gallery.most_disagreed(tested, len(split)).tolist()
    assert all(len({int(t.predicted[i]) for t in tested}) > 1 for i in split)
    other = evaluations[SECOND]
    table = at.dataframe[0].value
    assert table["test index"].tolist() == split
    column = models.MODELS[SECOND].display_name
    marks = {True: gallery.RIGHT_MARK, False: gallery.WRONG_MARK}
    assert table[column].tolist() == [
        f"{other.predicted[i]} {marks[bool(other.predicted[i] == other.labels[i])]}" for i in split
    ]
    # Switching the model changes the mistakes gallery to the other model's mistakes.
    at.selectbox(key="model").set_value(SECOND).run()
    wrong_second = indices_of(at.get("image")[10].captions)
    assert wrong_second == gallery.confident_mistakes(other, len(wrong_second)).tolist()
    assert wrong_second != wrong


@pytest.fixture
def empty_cache(fresh_cache: Path) -> Path:
    """No model trained or tested: an empty cache (the pages keep no memory of their own)."""
    return fresh_cache


def test_an_untested_model_is_offered_not_computed_and_the_button_tests_it(
    mnist_dir: Path, empty_cache: Path
) -> None:
    for page in ("models_page", "confusion_page", "gallery_page"):
        at = page_app(page).run()
        assert not at.exception, at.exception
        assert not at.get("plotly_chart") and not at.get("image")
        assert "not tested" in at.info[0].value.lower()
        assert at.button[0].label.startswith("Train and test")
    assert not any(empty_cache.rglob("*.npz"))  # opening the pages computed nothing
    at = page_app("confusion_page").run()
    at.selectbox(key="model").set_value(FIRST).run()
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert is_evaluated(FIRST)
    ev = evaluate(FIRST)
    assert heatmap_text(at) == [[str(c) for c in row] for row in ev.confusion]


def test_a_model_evaluated_elsewhere_appears_on_the_next_rerun(mnist_dir: Path, empty_cache: Path) -> None:
    # E.g. `mnist-app evaluate naive_bayes` in a terminal while the app runs: the page asks
    # the package, which looks at the cache on disk until the evaluation is in memory.
    at = open_page("confusion_page", FIRST)
    assert not at.get("plotly_chart")
    evaluate(FIRST)  # "another process": not through the page's button
    at.run()
    assert not at.exception, at.exception
    assert at.get("plotly_chart")


def test_opening_a_page_does_not_rerun_the_predictions(evaluations, monkeypatch: pytest.MonkeyPatch) -> None:
    # With the evaluations cached, rendering every page must never predict the test set again.
    def no_predictions(*args, **kwargs):
        raise AssertionError("a page ran the 10,000 test predictions")

    monkeypatch.setattr(models, "get_model", no_predictions)
    monkeypatch.setattr(models, "predict_digits", no_predictions)
    for page in ("confusion_page", "gallery_page"):
        for model in (FIRST, SECOND):
            open_page(page, model)
    at = page_app("models_page").run()
    assert not at.exception, at.exception
