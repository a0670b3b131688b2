"""The drawing page's per-stroke part is a fragment: in a real browser, a stroke reruns only it,
and the what-ifs (a fragment inside it) still follow the drawing.

Runs `streamlit run` (fixture ``app_server``) and Debian's chromium (fixture ``browser``).
"""

from __future__ import annotations

from typing import Any

import pytest

from mnist_app.testing.browser import (
    ANSWER,
    CANVAS,
    circle,
    expect,
    mouse_stroke,
    open_app,
    select_model,
    vertical_line,
    wait_until_idle,
)
from mnist_app.ui.protocol import BackMsg, ForwardMsg

pytestmark = [pytest.mark.browser, pytest.mark.slow]


class Wire:
    """The page's websocket traffic: what each rerun request asked for, and where the canvas is."""

    def __init__(self, page: Any) -> None:
        self.fragments_asked: list[str] = []  # rerun_script.fragment_id of each rerun request
        self.canvas_fragment: str | None = None
        page.on("websocket", lambda socket: (socket.on("framesent", self._sent),
                                             socket.on("framereceived", self._received)))

    def _sent(self, payload: str | bytes) -> None:
        message = BackMsg()
        if isinstance(payload, bytes) and message.ParseFromString(payload) and message.HasField(
                "rerun_script"):
            self.fragments_asked.append(message.rerun_script.fragment_id)

    def _received(self, payload: str | bytes) -> None:
        message = ForwardMsg()
        if not isinstance(payload, bytes) or not message.ParseFromString(payload):
            return
        if message.WhichOneof("type") == "delta" and message.delta.WhichOneof("type") == "new_element":
            if message.delta.new_element.WhichOneof("type") == "bidi_component":
                self.canvas_fragment = message.delta.fragment_id


def test_a_stroke_reruns_the_drawing_fragment_only_and_the_what_ifs_follow(
    page: Any, app_server: str
) -> None:
    wire = Wire(page)
    open_app(page, app_server)
    select_model(page, "Logistic regression")
    wait_until_idle(page)
    answer = page.locator(ANSWER)

    asked = len(wire.fragments_asked)
    mouse_stroke(page, vertical_line())
    expect(answer).to_contain_text("Logistic regression says 1")
    wait_until_idle(page)
    assert wire.canvas_fragment, "the canvas is drawn inside a fragment"
    assert wire.fragments_asked[asked:] == [wire.canvas_fragment], "a stroke asks for that fragment alone"

    # The what-ifs, filled in by the drawing's fragment (their switch is outside it), answer for the
    # drawing on the canvas now.
    page.get_by_text("Try what-ifs on this drawing").click()
    whatif_picture = page.locator("[data-testid=stImage]", has_text="What the models see now").locator("img")
    expect(whatif_picture).to_be_visible()
    expect(page.locator(".st-key-whatif_card_logistic_regression")).to_contain_text("1")
    wait_until_idle(page)
    before = whatif_picture.get_attribute("src")
    page.locator(CANVAS).scroll_into_view_if_needed()  # the what-ifs opened below it
    mouse_stroke(page, circle())  # more ink: a new drawing
    expect(whatif_picture).not_to_have_attribute("src", before or "")
    wait_until_idle(page)
    shown = answer.inner_text().split(" says ")[1][0]
    expect(page.locator(".st-key-whatif_card_logistic_regression")).to_contain_text(shown)
    page.get_by_text("Centre by the centre of mass").click()
    expect(page.get_by_text("Without “centre by the centre of mass”", exact=False)).to_be_visible()
    assert page.locator("[data-testid=stException]").count() == 0
