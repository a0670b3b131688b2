"""The confusion-matrix page in a real browser: clicking a cell opens the gallery of its digits.

Uses the ``app_server``/``page`` fixtures of conftest.py (`streamlit run` + Debian chromium).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mnist_app.evaluation import Evaluation, evaluate
from mnist_app.report import gallery
from mnist_app.testing.browser import wait_until_idle
from mnist_app.ui import confusion_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MODEL = "logistic_regression"  # trained for the browser tests anyway; first in the registry
PLOT_AREA = ".js-plotly-plot .nsewdrag"  # plotly's drag layer covers exactly the cells


@pytest.fixture(scope="module")
def tested(trained_for_browser: tuple[str, ...], mnist_dir: Path) -> Evaluation:
    """The model's evaluation, in the tests' cache where the server finds it."""
    assert MODEL in trained_for_browser
    return evaluate(MODEL, data_dir=mnist_dir)


def click_cell(page: Any, true: int, predicted: int) -> None:
    """Click the middle of cell (true, predicted): columns are predictions, rows true digits from the top."""
    box = page.locator(PLOT_AREA).first.bounding_box()
    x = box["x"] + (predicted + 0.5) / 10 * box["width"]
    y = box["y"] + (true + 0.5) / 10 * box["height"]
    page.mouse.move(x, y)
    page.mouse.click(x, y)


def wait_for_images(page: Any, count: int) -> None:
    """Wait until ``count`` digit images are on the page and every one has loaded."""
    page.wait_for_function(
        """count => {
            const images = [...document.querySelectorAll('[data-testid=stImage] img')];
            return images.length === count && images.every(image => image.complete && image.naturalWidth > 0);
        }""",
        arg=count,
    )


def shown_indices(page: Any) -> list[int]:
    """Test-set indices (#1234) of the digits shown in the cell's gallery, in page order."""
    captions = page.locator("[data-testid=stImage]").all_inner_texts()
    return [int(match) for caption in captions for match in re.findall(r"#(\d+)", caption)]


def test_clicking_a_confusion_cell_shows_its_digits(
    page: Any, app_server: str, tested: Evaluation, screenshot_dir: Path
) -> None:
    page.goto(f"{app_server}confusion")
    page.locator(PLOT_AREA).first.wait_for()
    wait_until_idle(page)
    # The page shows this model (the picker's default: the first trained one).
    page.get_by_text(f"Logistic regression gets {tested.accuracy:.2%}").wait_for()

    off_diagonal = tested.confusion.copy()
    np.fill_diagonal(off_diagonal, 0)
    true, predicted = (int(v) for v in np.unravel_index(np.argmax(off_diagonal), off_diagonal.shape))
    expected = gallery.cell_indices(tested, true, predicted)

    click_cell(page, true, predicted)
    name = f"{true} mistaken for {predicted}: {len(expected):,} test digits"
    page.get_by_role("heading", name=name).wait_for()
    wait_until_idle(page)
    wait_for_images(page, min(len(expected), confusion_page.SHOWN))
    page.screenshot(path=str(screenshot_dir / "confusion-cell.png"), full_page=True)
    shown = shown_indices(page)
    assert shown == expected[: confusion_page.SHOWN].tolist()
    # The first caption marks the answer wrong in text, not only by colour.
    first = int(expected[0])
    assert page.get_by_text(gallery.answer_caption(first, true, predicted,
                                                   float(gallery.confidence(tested)[first]))).count() == 1

    # A diagonal cell shows right answers.
    click_cell(page, 1, 1)
    right = gallery.cell_indices(tested, 1, 1)
    page.get_by_role("heading", name=f"1 recognised as 1: {len(right):,} right answers").wait_for()
    wait_until_idle(page)
    wait_for_images(page, min(len(right), confusion_page.SHOWN))
    assert shown_indices(page) == right[: confusion_page.SHOWN].tolist()
    captions = page.locator("[data-testid=stImage]").all_inner_texts()
    assert captions and all(gallery.RIGHT_MARK in caption for caption in captions)
