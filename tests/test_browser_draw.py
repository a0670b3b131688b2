"""The drawing page in a real browser: strokes drawn with the mouse and with touch reach the models.

Runs `streamlit run` (fixture ``app_server``) and Debian's chromium (fixture ``browser``),
both from conftest.py. Screenshots go to a temporary folder (fixture ``screenshot_dir``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CANVAS = "[data-testid=stBidiComponentIsolated] canvas.upper-canvas"
ANSWER = ".st-key-answer"
PROMPT_START = "Draw a digit from 0 to 9"
Point = tuple[float, float]


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def open_app(page: Any, url: str) -> None:
    page.goto(url)
    page.locator(CANVAS).wait_for()
    wait_until_idle(page)


def wait_until_idle(page: Any) -> None:
    page.wait_for_selector("[data-testid=stStatusWidget]", state="detached")


def on_canvas(page: Any, fractions: Sequence[Point]) -> list[Point]:
    """Points given as fractions of the canvas (0-1, 0-1) -> viewport CSS pixels."""
    box = page.locator(CANVAS).bounding_box()
    return [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in fractions]


def mouse_stroke(page: Any, fractions: Sequence[Point]) -> None:
    points = on_canvas(page, fractions)
    page.mouse.move(*points[0])
    page.mouse.down()
    for point in points[1:]:
        page.mouse.move(*point, steps=2)
    page.mouse.up()


def vertical_line() -> list[Point]:
    return [(0.5, 0.15 + 0.07 * step) for step in range(11)]


def circle() -> list[Point]:
    # An upright ellipse, like a handwritten 0, closed by overlapping its start a little.
    return [
        (0.5 + 0.22 * math.sin(angle), 0.5 - 0.32 * math.cos(angle))
        for angle in (2 * math.pi * step / 36 for step in range(40))
    ]


def clear(page: Any) -> None:
    page.locator(".st-key-canvas_buttons").get_by_role("button", name="Clear").click()
    expect(page.locator(ANSWER)).to_contain_text(PROMPT_START)
    wait_until_canvas_is_blank(page)


def wait_until_canvas_is_blank(page: Any) -> None:
    """Wait until the canvas has redrawn itself empty (a stroke drawn before that would be wiped)."""
    page.wait_for_function(CANVAS_IS_BLANK)
    wait_until_idle(page)


# Fabric.js renders the strokes on the lower canvas; any bright pixel is ink.
CANVAS_IS_BLANK = """
() => {
  const host = document.querySelector('[data-testid=stBidiComponentIsolated]');
  const canvas = host && host.shadowRoot && host.shadowRoot.querySelector('canvas.dc-canvas.lower-canvas');
  if (!canvas) return false;
  const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  for (let i = 0; i < pixels.length; i += 4) { if (pixels[i] > 128) return false; }
  return true;
}
"""


def select_model(page: Any, display_name: str) -> None:
    page.locator("[data-testid=stSelectbox]").first.click()
    page.get_by_role("option", name=display_name, exact=True).click()


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
    steps = page.locator(".st-key-steps")
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
    expect(answer).not_to_contain_text("Logistic regression")
    # Both trained models answer side by side, the chosen one's name in bold.
    expect(page.locator(".st-key-card_knn strong")).to_have_text("k-nearest neighbours")
    expect(page.locator(".st-key-card_logistic_regression strong")).to_have_count(0)
    expect(page.locator(".st-key-card_logistic_regression")).to_contain_text("1")


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
        quick = page.locator(".st-key-quick_answer")
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
