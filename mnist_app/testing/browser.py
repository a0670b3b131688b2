"""What the browser tests and the browser benchmarks share.

Debian's chromium and its launch flags, a `streamlit run` of the app on a free loopback
port, and the drawing page: its selectors, strokes drawn with the mouse, and a probe that
tells whether the canvas is blank.
"""

from __future__ import annotations

import contextlib
import math
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from mnist_app.testing import processes

REPO_ROOT = Path(__file__).resolve().parents[2]  # a source checkout: streamlit_app.py is there
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SERVER_START_SECONDS = 90

# The drawing page.
CANVAS = "[data-testid=stBidiComponentIsolated] canvas.upper-canvas"
ANSWER = ".answer-panel"  # the drawing and photo pages' answer (one HTML element)
MODEL_PICKER = "[data-testid=stSelectbox]"  # the first select box on a page
PROMPT_START = "Draw a digit from 0 to 9"
Point = tuple[float, float]

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


class ServerError(RuntimeError):
    """`streamlit run` exited or did not answer in time (the message ends with its log)."""


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


#: As the app is run (Makefile, docs/deploy.md): threads share two malloc arenas, so a class's
#: sessions do not each keep their own freed memory (docs/benchmarks.md, issue 12 round 3).
SERVER_ENV = {"MALLOC_ARENA_MAX": "2"}


@contextlib.contextmanager
def streamlit_server(log_path: Path, env: Mapping[str, str] | None = None) -> Iterator[str]:
    """`streamlit run streamlit_app.py` on a free loopback port; yields its base URL, then stops it."""
    with streamlit_process(log_path, env) as (url, _server):
        yield url


@contextlib.contextmanager
def streamlit_process(
    log_path: Path, env: Mapping[str, str] | None = None
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Like ``streamlit_server``, and also yields the server's process (e.g. to read its CPU time)."""
    port = free_port()
    command = [
        sys.executable, "-m", "streamlit", "run", str(REPO_ROOT / "streamlit_app.py"),
        "--server.port", str(port), "--server.address", "127.0.0.1",
        "--server.headless", "true", "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
    ]
    url = f"http://127.0.0.1:{port}/"
    with open(log_path, "wb") as log:
        server = subprocess.Popen(command, cwd=REPO_ROOT, env={**SERVER_ENV, **os.environ, **(env or {})},
                                  stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_until_serving(server, url, log_path)
        yield url, server
    finally:
        processes.stop(server)


def _wait_until_serving(server: subprocess.Popen[bytes], url: str, log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while True:
        if server.poll() is not None:
            raise ServerError(f"streamlit exited with {server.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}_stcore/health", timeout=2) as response:
                if response.read().strip() == b"ok":
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise ServerError(f"streamlit did not serve within {SERVER_START_SECONDS} s:\n"
                              f"{log_path.read_text()[-3000:]}")
        time.sleep(0.2)


def expect(locator: Any) -> Any:
    """Playwright's expect (imported on use: the module also loads without Playwright)."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def open_app(page: Any, url: str) -> None:
    """Open the drawing page and wait until it has settled."""
    page.goto(url)
    page.locator(CANVAS).wait_for()
    wait_until_idle(page)


def wait_until_idle(page: Any) -> None:
    """Wait until Streamlit has finished the current run (its status widget is gone)."""
    page.wait_for_selector("[data-testid=stStatusWidget]", state="detached")


def clear(page: Any) -> None:
    """Press Clear and wait for the prompt and an empty canvas."""
    page.locator(".st-key-canvas_buttons").get_by_role("button", name="Clear").click()
    expect(page.locator(ANSWER)).to_contain_text(PROMPT_START)
    wait_until_canvas_is_blank(page)


def wait_until_canvas_is_blank(page: Any) -> None:
    """Wait until the canvas has redrawn itself empty (a stroke drawn before that would be wiped)."""
    page.wait_for_function(CANVAS_IS_BLANK)
    wait_until_idle(page)


def chosen_model(page: Any) -> str:
    """The display name the first select box shows."""
    return page.locator(MODEL_PICKER).first.get_by_role("combobox").input_value()


def select_model(page: Any, display_name: str) -> None:
    """Pick a model by its display name in the first select box."""
    page.locator(MODEL_PICKER).first.click()
    page.get_by_role("option", name=display_name, exact=True).click()


def on_canvas(page: Any, fractions: Sequence[Point]) -> list[Point]:
    """Points given as fractions of the canvas (0-1, 0-1) -> viewport CSS pixels."""
    box = page.locator(CANVAS).bounding_box()
    return [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in fractions]


def mouse_stroke(page: Any, fractions: Sequence[Point], steps: int = 2) -> None:
    """One stroke with the mouse through points given as fractions of the canvas."""
    points = on_canvas(page, fractions)
    page.mouse.move(*points[0])
    page.mouse.down()
    for point in points[1:]:
        page.mouse.move(*point, steps=steps)
    page.mouse.up()


def vertical_line() -> list[Point]:
    """A 1."""
    return [(0.5, 0.15 + 0.07 * step) for step in range(11)]


def circle() -> list[Point]:
    """A 0: an upright ellipse, like a handwritten one, closed by overlapping its start a little."""
    return [
        (0.5 + 0.22 * math.sin(angle), 0.5 - 0.32 * math.cos(angle))
        for angle in (2 * math.pi * step / 36 for step in range(40))
    ]
