"""Photos and numbers in a real browser: a photo uploaded on the photo page, a three-digit number
drawn with the mouse on the drawing page's wide canvas.

Runs `streamlit run` (fixture ``app_server``) and Debian's chromium (fixture ``browser``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from mnist_app import digit_or_not, models, photos, synth
from mnist_app.testing.browser import (
    ANSWER,
    CANVAS,
    circle,
    expect,
    mouse_stroke,
    vertical_line,
    wait_until_idle,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

UPLOAD_INPUT = "[data-testid=stFileUploaderDropzoneInput]"


@pytest.fixture(scope="module", autouse=True)
def scorer_trained(mnist_dir: Path) -> None:
    """The one-digit-or-not scorer in the tests' cache, so the server only loads it."""
    digit_or_not.get_scorer(data_dir=mnist_dir)


def display_names() -> dict[str, str]:
    return {models.get_spec(name).display_name: name for name in models.available_models()}


def test_an_uploaded_photo_is_answered(
    page: Any, app_server: str, tmp_path: Path, screenshot_dir: Path
) -> None:
    sample = next(synth.photos.iter_paper_photos(1, seed=7, digits=1))
    photo_file = tmp_path / "digit.jpg"
    photo_file.write_bytes(sample.jpeg)
    page.goto(app_server + "photo")
    page.locator(UPLOAD_INPUT).wait_for(state="attached")
    wait_until_idle(page)
    page.locator(UPLOAD_INPUT).set_input_files(str(photo_file))
    answer = page.locator(f"{ANSWER} .answer-sentence")
    expect(answer).to_contain_text(" says ", timeout=60_000)
    match = re.fullmatch(r"(.+?) says (\d), \d+% sure\.", answer.inner_text().strip())
    assert match, answer.inner_text()
    name = display_names()[match.group(1)]
    expected = models.predict_digit(photos.photo_to_mnist(sample.jpeg), name).label
    assert int(match.group(2)) == expected
    expect(page.locator(".st-key-steps")).to_contain_text("Adaptive threshold")
    page.screenshot(path=str(screenshot_dir / "photo-page.png"), full_page=True)


def in_slot(points: list[tuple[float, float]], slot: int, slots: int = 3) -> list[tuple[float, float]]:
    """Points drawn for a square canvas (fractions) squeezed into one of ``slots`` places side by side."""
    width = 0.8 / slots
    return [(0.1 + width * (slot + 0.15 + 0.7 * x), 0.1 + 0.8 * y) for x, y in points]


def seven() -> list[tuple[float, float]]:
    top = [(0.2 + 0.06 * step, 0.15) for step in range(11)]
    down = [(0.8 - 0.035 * step, 0.15 + 0.075 * step) for step in range(1, 11)]
    return top + down


def test_a_three_digit_number_drawn_on_the_wide_canvas(
    page: Any, app_server: str, screenshot_dir: Path
) -> None:
    page.goto(app_server)
    toggle = page.get_by_text("Whole number (wide canvas)")
    toggle.wait_for()
    wait_until_idle(page)
    toggle.click()
    page.locator(".st-key-number_clear").wait_for()  # the wide canvas has replaced the square one
    wait_until_idle(page)
    canvas = page.locator(CANVAS)
    expect(canvas).to_have_count(1)
    canvas.wait_for(state="visible")
    box = canvas.bounding_box()
    assert box["width"] > 2 * box["height"], "a wide canvas"
    for slot, stroke in enumerate([vertical_line(), circle(), seven()]):
        mouse_stroke(page, in_slot(stroke, slot))
        wait_until_idle(page)
    reading = page.locator(".st-key-number_answer")
    expect(reading).to_contain_text(" reads ", timeout=60_000)
    # Each stroke reruns the page: the last rerun shows all three digits, each with its confidence.
    expect(page.locator("[class*=st-key-number_digit_]")).to_have_count(3, timeout=60_000)
    page.screenshot(path=str(screenshot_dir / "number-canvas.png"), full_page=True)
    expect(reading).to_contain_text("reads 107")
