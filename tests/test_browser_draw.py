"""The drawing page in a real browser: strokes drawn with the mouse and with touch reach the models.

Runs `streamlit run` (fixture ``app_server``) and Debian's chromium (fixture ``browser``),
both from conftest.py. Screenshots go to a temporary folder (fixture ``screenshot_dir``).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from mnist_app.testing.browser import (
    ANSWER,
    CANVAS,
    CANVAS_IS_BLANK,
    PROMPT_START,
    Point,
    circle,
    clear,
    expect,
    mouse_stroke,
    on_canvas,
    open_app,
    select_model,
    vertical_line,
    wait_until_canvas_is_blank,
    wait_until_idle,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_mouse_drawn_one_and_zero_clear_and_undo(page: Any, app_server: str, screenshot_dir: Path) -> None:
    open_app(page, app_server)
    answer = page.locator(ANSWER)
    expect(answer).to_contain_text(PROMPT_START)
    select_model(page, "Logistic regression")

    mouse_stroke(page, vertical_line())
    expect(answer).to_contain_text("Logistic regression says 1")
    assert not page.evaluate(CANVAS_IS_BLANK), "the ink check must see the stroke"
    wait_until_idle(page)
    page.screenshot(path=screenshot_dir / "desktop-one.png", full_page=True)

    clear(page)
    expect(answer).to_contain_text(PROMPT_START)
    expect(answer).not_to_contain_text("says")

    mouse_stroke(page, circle())
    expect(answer).to_contain_text("Logistic regression says 0")
    # What the model sees is on the page, step by step.
    expect(page.get_by_text("What the model sees")).to_be_visible()
    steps = page.locator(".steps-figure")
    for caption in step_captions()[:4]:  # the fixed steps; the last one shows only when it changes
        expect(steps).to_contain_text(caption)
    wait_until_idle(page)
    page.screenshot(path=screenshot_dir / "desktop-zero.png", full_page=True)

    # Undo removes the only stroke: the prompt returns and the canvas redraws itself empty.
    undo = page.locator(".st-key-canvas_buttons").get_by_role("button", name="Undo")
    undo.click()
    expect(answer).to_contain_text(PROMPT_START)
    expect(undo).to_be_disabled()
    wait_until_canvas_is_blank(page)


def step_captions() -> list[str]:
    import numpy as np

    from mnist_app import preprocess

    picture = np.zeros((100, 100), dtype=np.uint8)
    picture[20:80, 45:55] = 255
    return [step.caption for step in preprocess.steps(picture)]


def test_switching_model_changes_whose_answer_is_shown(page: Any, app_server: str) -> None:
    open_app(page, app_server)
    select_model(page, "Logistic regression")
    mouse_stroke(page, vertical_line())
    answer = page.locator(ANSWER)
    expect(answer).to_contain_text("Logistic regression says 1")

    select_model(page, "k-nearest neighbours")
    expect(answer).to_contain_text("k-nearest neighbours says 1")
    expect(answer.locator(".answer-sentence")).not_to_contain_text("Logistic regression")
    # Both trained models answer side by side, the chosen one's name in bold.
    expect(page.locator(".card_knn strong")).to_have_text("k-nearest neighbours")
    expect(page.locator(".card_logistic_regression strong")).to_have_count(0)
    expect(page.locator(".card_logistic_regression .card-digit")).to_have_text("1")


def test_touch_drawing_at_phone_size_in_dark_theme(
    browser: Any, app_server: str, screenshot_dir: Path
) -> None:
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=3, is_mobile=True, has_touch=True,
        color_scheme="dark",
    )
    context.set_default_timeout(30_000)
    try:
        page = context.new_page()
        open_app(page, app_server)
        box = page.locator(CANVAS).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, "the canvas must fit a phone's width"
        # Streamlit follows the system's dark preference: the page background is dark.
        background = page.locator("[data-testid=stApp]").evaluate("e => getComputedStyle(e).backgroundColor")
        assert sum(int(part) for part in background[background.index("(") + 1 : -1].split(",")[:3]) < 150

        touch_stroke(page, context, on_canvas(page, vertical_line()))
        # On a phone the answer also shows right under the canvas, without scrolling.
        quick = page.locator(".quick-answer")
        expect(quick).to_contain_text("Answer: 1")
        expect(quick).to_be_in_viewport()
        expect(page.locator(ANSWER)).to_contain_text("says 1")
        wait_until_idle(page)
        page.screenshot(path=screenshot_dir / "phone-dark.png")
    finally:
        context.close()


def touch_stroke(page: Any, context: Any, points: Sequence[Point]) -> None:
    """A finger drag through ``points`` (viewport CSS pixels), sent as real touch events over CDP."""
    cdp = context.new_cdp_session(page)
    first, *rest = points
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [touch(first)]})
    for point in rest:
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [touch(point)]})
        time.sleep(0.02)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def touch(point: Point) -> dict[str, float]:
    return {"x": point[0], "y": point[1], "id": 1}
