"""Handwritten digits for the load test: drawn in a real Chromium, recorded off the wire.

``DIGITS`` holds mouse strokes for eight digits (one or two strokes each, as people draw
them). ``record_digits`` draws them on the app's drawing page in a real browser, stroke by
stroke, and records what the canvas sent to the server after each stroke (the widget
value inside Streamlit's ``BackMsg``), the answer the page then showed, and what the
canvas sent when Clear blanked it. A simulated student (:mod:`mnist_app.testing.load_client`)
replays exactly those values, so its strokes are the browser's strokes.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mnist_app.testing import browser
from mnist_app.testing.browser import Point

Stroke = list[Point]
#: The chosen model's answer as the server sends it (Markdown): "**CNN** says **7**, 98% sure."
ANSWER_SENT = re.compile(r" says \*\*(\d)\*\*")
#: The same in the drawing page's answer panel (HTML): "<strong>CNN</strong> says <strong>7</strong>".
ANSWER_SENT_HTML = re.compile(r" says <strong>(\d)</strong>")


def sent_answer(element: Any) -> int | None:
    """The chosen model's digit when ``element`` (a ForwardMsg's new element) is the page's answer:
    a Markdown answer ("# 7" and its sentence) or the drawing page's HTML answer panel."""
    kind = element.WhichOneof("type")
    if kind == "markdown" and element.markdown.body.startswith("# "):
        found = ANSWER_SENT.search(element.markdown.body)
    elif kind == "html":
        found = ANSWER_SENT_HTML.search(element.html.body)
    else:
        return None
    return int(found.group(1)) if found else None


def _arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float, steps: int = 14) -> Stroke:
    """Points on an ellipse from angle ``start`` to ``end`` (degrees, 0 = right, 90 = down)."""
    return [
        (cx + rx * math.cos(math.radians(angle)), cy + ry * math.sin(math.radians(angle)))
        for angle in (start + (end - start) * step / steps for step in range(steps + 1))
    ]


#: digit -> its strokes, as fractions of the canvas (x right, y down).
DIGITS: dict[int, list[Stroke]] = {
    0: [browser.circle()],
    1: [[(0.42, 0.25), (0.55, 0.15)] + browser.vertical_line()[1:]],
    2: [_arc(0.5, 0.33, 0.2, 0.17, 200, 380) + [(0.3, 0.82), (0.75, 0.82)]],
    3: [_arc(0.48, 0.33, 0.18, 0.15, 210, 450) + _arc(0.48, 0.65, 0.2, 0.18, 270, 500)[1:]],
    4: [[(0.4, 0.15), (0.28, 0.58), (0.74, 0.58)], [(0.62, 0.3), (0.62, 0.88)]],
    5: [[(0.72, 0.17), (0.36, 0.17)],
        [(0.36, 0.17), (0.33, 0.47)] + _arc(0.48, 0.63, 0.2, 0.2, 240, 500)[1:]],
    7: [[(0.25, 0.2), (0.75, 0.2), (0.42, 0.87)], [(0.4, 0.52), (0.7, 0.52)]],
    9: [_arc(0.5, 0.33, 0.17, 0.15, 0, 380), [(0.67, 0.3), (0.63, 0.88)]],
}


@dataclass(frozen=True)
class RecordedDigit:
    """One digit as a real browser's canvas sent it to the server."""

    digit: int  # what was drawn
    strokes: tuple[str, ...]  # the canvas widget's JSON value after each stroke
    answer: int | None  # the chosen model's answer the page showed after the last stroke


@dataclass(frozen=True)
class Recording:
    """What ``record_digits`` saw: the digits, the blank canvas after Clear, the model used."""

    digits: tuple[RecordedDigit, ...]
    blank: str  # the canvas widget's JSON value when Clear has blanked it
    model: str  # display name of the model chosen while drawing
    fragment: str = ""  # the fragment the browser's canvas reruns asked for ("" = the whole page)


class _CanvasValues:
    """Collects the canvas widget values the page sends over Streamlit's websocket."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.values: list[str] = []
        self.fragment = ""  # rerun_script.fragment_id of the last canvas value sent
        self.started_runs = 0  # script runs the server has started (each sends new_session) ...
        self.finished_runs = 0  # ... and finished (each sends script_finished, also when cut short)
        self.started_before_last_value = 0
        self.run_answer: int | None = None  # the answer the last started run sent (None: none yet)
        page.on("websocket", self._watch)

    def _watch(self, socket: Any) -> None:
        socket.on("framesent", self._on_sent)
        socket.on("framereceived", self._on_received)

    def _on_sent(self, payload: str | bytes) -> None:
        from mnist_app.ui.protocol import BackMsg

        if isinstance(payload, str):
            return
        message = BackMsg()
        message.ParseFromString(payload)
        if message.WhichOneof("type") != "rerun_script":
            return
        for widget in message.rerun_script.widget_states.widgets:
            if widget.id.endswith("-canvas") and widget.WhichOneof("value") == "json_value":
                self.values.append(widget.json_value)
                self.fragment = message.rerun_script.fragment_id
                self.started_before_last_value = self.started_runs

    def _on_received(self, payload: str | bytes) -> None:
        from mnist_app.ui.protocol import ForwardMsg

        if isinstance(payload, str):
            return
        message = ForwardMsg()
        message.ParseFromString(payload)
        kind = message.WhichOneof("type")
        if kind == "new_session":
            self.started_runs += 1
            self.run_answer = None
        elif kind == "delta" and message.delta.WhichOneof("type") == "new_element":
            if (answer := sent_answer(message.delta.new_element)) is not None:
                self.run_answer = answer
        elif kind == "script_finished":
            self.finished_runs += 1

    def wait_for_answered_value(self, sent_before: int, timeout: float = 30.0) -> str:
        """Wait until the canvas has sent a new value and the server has finished its rerun.

        A run that started after the value was sent must have finished, and no run may be going.
        """
        deadline = time.monotonic() + timeout
        while len(self.values) <= sent_before:
            if time.monotonic() > deadline:
                raise TimeoutError("the canvas sent no new value")
            self.page.wait_for_timeout(50)  # lets Playwright deliver the websocket events
        self.wait_for_runs_after(self.started_before_last_value, deadline - time.monotonic())
        return self.values[-1]

    def wait_for_runs_after(self, started_before: int, timeout: float = 30.0) -> None:
        """Wait until a run has started since ``started_before`` runs had, and every run has finished."""
        deadline = time.monotonic() + timeout
        while self.started_runs <= started_before or self.finished_runs < self.started_runs:
            if time.monotonic() > deadline:
                raise TimeoutError("the server's rerun did not finish")
            self.page.wait_for_timeout(50)
        browser.wait_until_idle(self.page)

    def shown_answer(self, answer: Any, timeout: float = 10.0) -> int | None:
        """The answer the page shows once it shows what the server's last run sent.

        The websocket event can reach us before the page has rendered the run, so the
        page's text is read until it agrees with the wire (a page that never does is an error).
        """
        deadline = time.monotonic() + timeout
        while (shown := answer_label(answer.inner_text())) != self.run_answer:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the page shows {shown}, the server sent {self.run_answer}")
            self.page.wait_for_timeout(50)
        return shown


def record_digits(page: Any, url: str, model: str, digits: dict[int, list[Stroke]] = DIGITS) -> Recording:
    """Draw ``digits`` with the mouse on the drawing page at ``url``, with model ``model``
    (display name) chosen, and record what the canvas sent after each stroke."""
    canvas = _CanvasValues(page)
    browser.open_app(page, url)
    # Every run so far (opening the page, choosing the model) must be over before the first
    # stroke: a late new_session could otherwise pass for the stroke's run.
    started_before = canvas.started_runs
    if browser.chosen_model(page) == model:
        started_before -= 1  # already chosen: choosing it again starts no run
    else:
        browser.select_model(page, model)
    canvas.wait_for_runs_after(started_before)
    answer = page.locator(browser.ANSWER)
    recorded = []
    blank = None
    for digit, strokes in digits.items():
        values = []
        for stroke in strokes:
            sent_before = len(canvas.values)
            browser.mouse_stroke(page, stroke)
            values.append(canvas.wait_for_answered_value(sent_before))
        recorded.append(RecordedDigit(digit, tuple(values), canvas.shown_answer(answer)))
        sent_before = len(canvas.values)
        browser.clear(page)
        blank = canvas.wait_for_answered_value(sent_before)
        if '"objects":[]' not in blank:
            raise RuntimeError("after Clear the canvas did not send a blank drawing")
    if blank is None:
        raise ValueError("no digits to draw")
    return Recording(tuple(recorded), blank, model, canvas.fragment)


def answer_label(text: str) -> int | None:
    """The digit in the answer text ("<model> says 7, 93% sure."), or None."""
    head, says, rest = text.partition(" says ")
    return int(rest[0]) if says and rest[:1].isdigit() else None


def record_in_chromium(model: str, log_dir: Path) -> Recording:
    """:func:`record_digits` in a real Chromium of its own, against a `streamlit run` of its own
    (its log in ``log_dir``): the benchmarks' recording of real strokes."""
    from playwright.sync_api import sync_playwright

    with browser.streamlit_server(log_dir / "record.log") as url, sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(browser.CHROMIUM),
                                              args=browser.CHROMIUM_ARGS)
        page = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
        page.set_default_timeout(60_000)
        recording = record_digits(page, url, model)
        chromium.close()
    return recording
