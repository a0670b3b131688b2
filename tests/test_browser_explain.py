"""The "Why?" page in a real browser: draw a digit, open the page, see the nearest digits and the evidence."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mnist_app.testing.browser import (
    ANSWER,
    expect,
    mouse_stroke,
    open_app,
    select_model,
    vertical_line,
    wait_until_idle,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: The machine is shared: a rerun or an explanation may take seconds under load.
WAIT_MS = 60_000


def test_drawn_digit_is_explained_on_the_why_page(page: Any, app_server: str, screenshot_dir: Path) -> None:
    open_app(page, app_server)
    select_model(page, "Logistic regression")
    mouse_stroke(page, vertical_line())
    expect(page.locator(ANSWER)).to_contain_text("Logistic regression says 1", timeout=WAIT_MS)
    wait_until_idle(page)

    page.get_by_role("link", name="Why did it say that?").click()
    expect(page.get_by_text("Logistic regression says 1")).to_be_visible(timeout=WAIT_MS)
    # The eight nearest training digits, each with its label and distance.
    nearest = page.locator(".st-key-why_neighbours")
    expect(nearest.locator("img")).to_have_count(8, timeout=WAIT_MS)
    expect(nearest).to_contain_text("distance")
    # The evidence map for the answer, drawn by plotly.
    evidence = page.locator(".st-key-why_evidence")
    expect(evidence.locator(".js-plotly-plot")).to_have_count(1, timeout=WAIT_MS)
    expect(evidence).to_contain_text("Evidence for 1")
    expect(page.get_by_text("Red: ink that pushed Logistic regression towards 1")).to_be_visible()
    wait_until_idle(page)
    page.screenshot(path=screenshot_dir / "why-page.png", full_page=True)
