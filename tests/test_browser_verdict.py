"""The verdict in a real browser: a scribble drawn with the mouse is called out as no digit."""

from __future__ import annotations

from typing import Any

import pytest

from mnist_app.testing.browser import ANSWER, clear, expect, mouse_stroke, open_app, vertical_line

pytestmark = [pytest.mark.browser, pytest.mark.slow]

VERDICT = ".answer-panel .verdict"  # the verdict's box in the answer panel (one HTML element)


def scribble() -> list[tuple[float, float]]:
    """A zigzag across the canvas: wider than any digit."""
    return [(0.1 + 0.08 * step, 0.42 if step % 2 else 0.58) for step in range(11)]


def test_a_scribble_gets_not_a_digit_and_a_one_gets_a_verdict_too(page: Any, app_server: str) -> None:
    open_app(page, app_server)
    mouse_stroke(page, scribble())
    verdict = page.locator(VERDICT)
    expect(verdict).to_contain_text("That doesn't look like a digit", timeout=60_000)
    expect(verdict).to_contain_text("one digit at a time")
    expect(page.locator(ANSWER)).to_contain_text("says")  # the models' answers are still there

    clear(page)
    expect(verdict).to_have_count(0)
    mouse_stroke(page, vertical_line())
    expect(verdict).to_contain_text("1", timeout=60_000)  # "It's a 1" (or "Not sure: 1 or 7?")
    expect(verdict).not_to_contain_text("That doesn't look like a digit")
