"""Simulated students: a light websocket client that speaks Streamlit's own protocol.

Each student is one asyncio task holding one websocket to ``/_stcore/stream``, like one
browser tab. It sends ``BackMsg.rerun_script`` with the widget values a real browser sent
(the canvas values of :mod:`mnist_app.testing.handwriting`, the model picker, the Clear
button) and reads the ``ForwardMsg`` replies: the answer ("... says **7** ..."), any
exception, the end of the run. It fetches the page's images as a browser would. The
canvas lives in a fragment (``draw_page.drawing_section``): a stroke, Clear or another
model asks for a fragment run (``rerun_script.fragment_id``), as the browser does. Thirty
of them cost the client a few percent of one core, so the server keeps the machine.

Every run has a time limit and a student stops after its time, so a run is bounded.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import math
import random
import time
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import websockets

from mnist_app.testing.handwriting import RecordedDigit, Recording, sent_answer
from mnist_app.ui.protocol import BackMsg, ForwardMsg, WidgetState

#: A script run that has not finished after this long is an error.
RUN_TIMEOUT = 30.0
CONTEXT = {"timezone": "UTC", "timezone_offset": 0, "locale": "en-US", "color_scheme": "light"}


@dataclass
class Run:
    """What one script run sent back."""

    answer: int | None = None
    answered_at: float | None = None  # time.monotonic() of the answer's arrival
    finished_at: float | None = None
    exceptions: list[str] = field(default_factory=list)
    messages: int = 0  # ForwardMsgs received for this run, its script_finished included
    deltas: int = 0  # of which deltas (new elements and blocks, element updates)
    received_bytes: int = 0


@dataclass
class StudentReport:
    """What one student saw. Times in seconds (``time.monotonic()``)."""

    #: (a stroke's due time, seconds from then to its answer): a late send counts as waiting.
    latencies: list[tuple[float, float]] = field(default_factory=list)
    strokes: int = 0
    runs: int = 0  # every script run asked for: strokes, Clear, page switches, page loads
    errors: list[str] = field(default_factory=list)
    mismatches: int = 0  # answers unlike the browser's for the same strokes and model
    unsent: int = 0  # strokes due before the end but not sent by then (the server fell behind)
    page_loads: list[float] = field(default_factory=list)  # connect -> canvas on the page
    fragment: str = ""  # the fragment its strokes asked for (the browser's, see Recording.fragment)


class AppSession:
    """One browser tab: a websocket to the app, its pages and the drawing page's widget ids."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        parts = urllib.parse.urlsplit(self.base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.socket: websockets.ClientConnection | None = None
        self.pages: dict[str, str] = {}  # url path ("draw", "models", ...) -> page script hash
        self.widget_ids: dict[str, str] = {}  # "canvas", "model", "clear" -> widget id
        self.canvas_fragment = ""  # id of the fragment the canvas is drawn in ("" = none)
        self.model_options: list[str] = []

    async def open(self) -> Run:
        """Connect and run the default page (the drawing page), as a browser does on load."""
        url = "ws://" + f"{self.host}:{self.port}" + "/_stcore/stream"
        self.socket = await websockets.connect(url, subprotocols=["streamlit"], max_size=2**24,
                                               open_timeout=RUN_TIMEOUT)
        return await self.rerun([], page="")

    async def close(self) -> None:
        if self.socket is not None:
            await self.socket.close()

    async def draw(self, widgets: list[WidgetState]) -> Run:
        """A change of the canvas, the model picker or a canvas button: as the browser does, a
        run of the canvas's fragment alone (the whole page if it is in none)."""
        return await self.rerun(widgets, fragment=self.canvas_fragment)

    async def rerun(self, widgets: list[WidgetState], page: str = "draw", *, fragment: str = "") -> Run:
        """Ask for a script run of ``page`` (url path; "" = default) with ``widgets``; wait for its end.

        ``fragment``: the id of a fragment to rerun alone (what a browser asks for when a widget
        inside that fragment changes), "" for the whole page.
        """
        message = BackMsg()
        state = message.rerun_script
        state.widget_states.widgets.extend(widgets)
        state.page_script_hash = self.pages.get(page, "")
        state.fragment_id = fragment
        state.context_info.url = self.base_url + page
        for name, value in CONTEXT.items():
            setattr(state.context_info, name, value)
        assert self.socket is not None, "open() first"
        await self.socket.send(message.SerializeToString())
        return await asyncio.wait_for(self._read_run(), RUN_TIMEOUT)

    async def _read_run(self) -> Run:
        run = Run()
        images: list[str] = []
        assert self.socket is not None
        while True:
            reply, payload = ForwardMsg(), await self.socket.recv()
            reply.ParseFromString(payload)
            kind = reply.WhichOneof("type")
            run.messages += 1
            run.deltas += kind == "delta"
            run.received_bytes += len(payload)
            if kind == "navigation":
                self.pages = {page.url_pathname: page.page_script_hash for page in reply.navigation.app_pages}
                if "" in self.pages:  # the default page (drawing) has no path of its own
                    self.pages.setdefault("draw", self.pages.pop(""))
            elif kind == "delta" and reply.delta.WhichOneof("type") == "new_element":
                self._read_element(reply.delta.new_element, run, images, reply.delta.fragment_id)
            elif kind == "script_finished":
                run.finished_at = time.monotonic()
                await asyncio.gather(*(self._fetch(url) for url in images))
                return run

    def _read_element(self, element: Any, run: Run, images: list[str], fragment: str) -> None:
        kind = element.WhichOneof("type")
        answer = sent_answer(element) if kind in ("markdown", "html") and run.answer is None else None
        if answer is not None:
            run.answer, run.answered_at = answer, time.monotonic()
        elif kind == "exception":
            run.exceptions.append(f"{element.exception.type}: {element.exception.message}")
        elif kind == "bidi_component" and element.bidi_component.id.endswith("-canvas"):
            self.widget_ids["canvas"] = element.bidi_component.id
            self.canvas_fragment = fragment
        elif kind == "selectbox" and element.selectbox.id.endswith("-model"):
            self.widget_ids["model"] = element.selectbox.id
            self.model_options = list(element.selectbox.options)
        elif kind == "button" and element.button.label == "Clear":
            self.widget_ids["clear"] = element.button.id
        elif kind == "imgs":
            images.extend(image.url for image in element.imgs.imgs)

    async def _fetch(self, path: str) -> None:
        """GET a page's media file (an image), as the browser does; the body is discarded."""
        if path.startswith(("http", "data:")):  # elsewhere, or inside the message itself
            return
        reader, writer = await asyncio.open_connection(self.host, self.port)
        request = f"GET /{path.lstrip('/')} HTTP/1.1\r\nHost: {self.host}\r\nConnection: close\r\n\r\n"
        writer.write(request.encode())
        await writer.drain()
        await reader.read()
        writer.close()

    def widget(self, name: str, *, json: str | None = None, text: str | None = None) -> WidgetState:
        """The state of widget ``name`` ("canvas", "model" or "clear") as a browser sends it."""
        state = WidgetState(id=self.widget_ids[name])
        if json is not None:
            state.json_value = json
        elif text is not None:
            state.string_value = text
        else:
            state.trigger_value = True
        return state


@dataclass(frozen=True)
class Behaviour:
    """How a simulated student draws: one stroke per ``interval`` seconds for ``duration`` seconds."""

    duration: float = 20.0
    interval: float = 2.0
    switch_model: float = 0.1  # chance, after a digit, of picking another model
    switch_page: float = 0.05  # chance, after a digit, of a look at another page and back
    arrive_within: float = 5.0  # students open the page at random times in this first stretch
    models: tuple[str, ...] = ()  # display names to pick from; () = the recording's model only


async def student(base_url: str, recording: Recording, behaviour: Behaviour, seed: int) -> StudentReport:
    """One simulated student, from opening the page until ``behaviour.duration`` is over."""
    rng = random.Random(seed)
    report = StudentReport()
    session = AppSession(base_url)
    end = time.monotonic() + behaviour.duration
    await asyncio.sleep(rng.uniform(0.0, behaviour.arrive_within))
    started = time.monotonic()
    try:
        await _checked(report, session.open(), "page load")
        report.page_loads.append(time.monotonic() - started)
        report.fragment = session.canvas_fragment
        model = recording.model
        due = time.monotonic() + rng.uniform(0.0, behaviour.interval)  # students are out of step
        while True:
            for digit in rng.sample(recording.digits, len(recording.digits)):
                due = await _draw(session, report, digit, model, recording, due, behaviour.interval, end)
                if due is None or time.monotonic() >= end:
                    return report
                picked = session.widget("model", text=model)
                await _checked(report, session.draw([picked, session.widget("clear")]), "Clear")
                # The canvas then reloads empty and sends its blank drawing, as in the browser.
                blank = session.widget("canvas", json=recording.blank)
                await _checked(report, session.draw([picked, blank]), "Clear")
                if rng.random() < behaviour.switch_model and behaviour.models:
                    model = rng.choice(behaviour.models)
                if rng.random() < behaviour.switch_page and len(session.pages) > 1:
                    other = rng.choice(sorted(set(session.pages) - {"draw"}))
                    await _checked(report, session.rerun([], page=other), f"page {other}")
                    await _checked(report, session.rerun([], page="draw"), "back to drawing")
    except (OSError, websockets.WebSocketException) as error:
        report.errors.append(f"connection: {error!r}")
        return report
    finally:
        await session.close()


async def _draw(session: AppSession, report: StudentReport, digit: RecordedDigit, model: str,
                recording: Recording, due: float, interval: float, end: float) -> float | None:
    """Send ``digit``'s strokes one per ``interval`` from ``due``; the next due time, or None at the end."""
    for stroke in digit.strokes:
        if due >= end:
            return None
        if time.monotonic() >= end:  # the server fell behind: what is still due is never sent
            report.unsent += math.ceil((end - due) / interval)
            return None
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        report.strokes += 1
        run = await _checked(report, session.draw([session.widget("model", text=model),
                                                     session.widget("canvas", json=stroke)]), "stroke")
        if run is not None and run.answered_at is not None:
            report.latencies.append((due, run.answered_at - due))
        elif run is not None:
            report.errors.append("a stroke got no answer")
        last = stroke is digit.strokes[-1]
        if last and run is not None and model == recording.model and run.answer != digit.answer:
            report.mismatches += 1
        due = max(due + interval, time.monotonic()) if run is None else due + interval
    return due


async def _checked(report: StudentReport, pending: object, what: str) -> Run | None:
    """Await a run; record a timeout or a server exception as an error. The run, or None."""
    report.runs += 1
    try:
        run = await pending
    except TimeoutError:
        report.errors.append(f"{what}: no end of run within {RUN_TIMEOUT} s")
        return None
    for exception in run.exceptions:
        report.errors.append(f"{what}: {exception}")
    return run


async def class_of(base_url: str | Sequence[str], recording: Recording, behaviour: Behaviour,
                   students: int, seed: int = 0) -> list[StudentReport]:
    """``students`` simulated students at once, arriving over ``behaviour.arrive_within``.

    Several base URLs (replicas) share the students out in turn, as a sticky proxy would.
    """
    urls = [base_url] if isinstance(base_url, str) else list(base_url)
    return list(await asyncio.gather(*(
        student(urls[index % len(urls)], recording, behaviour, seed * 1000 + index)
        for index in range(students)
    )))


def run_class(base_url: str | Sequence[str], recording: Recording, behaviour: Behaviour, students: int,
              seed: int = 0) -> list[StudentReport]:
    """``class_of`` from synchronous code, in a thread of its own (so it also runs where an
    event loop is already running, e.g. beside Playwright's synchronous API)."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, class_of(base_url, recording, behaviour, students, seed)).result()
