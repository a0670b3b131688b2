"""Benchmark: mouse-up on the canvas to the answer on screen, in a real browser.

Starts `streamlit run streamlit_app.py` on a free loopback port, drives Debian's chromium
with Playwright, and for each stroke measures inside the page, with ``performance.now()``:
from the ``mouseup`` event to the first animation frame after the answer ("... says N")
appears in the DOM. Between strokes the canvas is cleared (the prompt must show again),
so every measurement is a fresh answer. The models are trained (or loaded from the cache)
before the server starts, so no stroke waits for training.

    MNIST_DATA_DIR=../shared/mnist .venv/bin/python benchmarks/bench_browser.py \
        [--models logistic_regression knn] [--strokes 15] [--screenshot assets/drawing-page.png]

Results go to docs/benchmarks.md ("Drawing page (issue 5)"). Target: median < 500 ms.
"""

from __future__ import annotations

import argparse
import math
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
CANVAS = "[data-testid=stBidiComponentIsolated] canvas.upper-canvas"
ANSWER = ".st-key-answer"
PROMPT_START = "Draw a digit from 0 to 9"

# Installed before each stroke: remembers the mouseup time, then the first frame in which
# the answer text is in the DOM. Mouse events from the canvas (in an open shadow root)
# are composed, so they reach the document.
TIMING_HOOK = """
() => {
  window.__mouseUpAt = null;
  window.__answerAt = null;
  document.addEventListener('mouseup', () => { window.__mouseUpAt = performance.now(); },
                            {capture: true, once: true});
  const observer = new MutationObserver(() => {
    const answer = document.querySelector('.st-key-answer');
    if (window.__mouseUpAt !== null && answer && answer.innerText.includes(' says ')) {
      observer.disconnect();
      requestAnimationFrame(() => { window.__answerAt = performance.now(); });
    }
  });
  observer.observe(document.body, {childList: true, subtree: true, characterData: true});
}
"""

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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(port: int) -> subprocess.Popen[bytes]:
    command = [
        sys.executable, "-m", "streamlit", "run", str(REPO_ROOT / "streamlit_app.py"),
        "--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
        "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false",
    ]
    server = subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as reply:
                if reply.read().strip() == b"ok":
                    return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("streamlit did not start within 90 s")


def stroke_points(box: dict[str, float], digit: int) -> list[tuple[float, float]]:
    """A 1 (vertical line) or a 0 (upright ellipse) in viewport pixels."""
    if digit == 1:
        fractions = [(0.5, 0.15 + 0.07 * step) for step in range(11)]
    else:
        fractions = [(0.5 + 0.22 * math.sin(a), 0.5 - 0.32 * math.cos(a))
                     for a in (2 * math.pi * step / 36 for step in range(40))]
    return [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in fractions]


def measure(page, strokes: int) -> list[float]:
    """Milliseconds from mouseup to the answer on screen, one per stroke."""
    from playwright.sync_api import expect

    answer = page.locator(ANSWER)
    timings = []
    for index in range(strokes):
        page.locator(".st-key-canvas_buttons").get_by_role("button", name="Clear").click()
        expect(answer).to_contain_text(PROMPT_START)
        page.wait_for_function(CANVAS_IS_BLANK)  # a stroke drawn before the redraw would be wiped
        page.wait_for_selector("[data-testid=stStatusWidget]", state="detached")
        page.evaluate(TIMING_HOOK)
        points = stroke_points(page.locator(CANVAS).bounding_box(), digit=index % 2)
        page.mouse.move(*points[0])
        page.mouse.down()
        for point in points[1:]:
            page.mouse.move(*point, steps=2)
        page.mouse.up()
        try:
            page.wait_for_function("window.__answerAt !== null", timeout=30_000)
        except Exception:
            page.screenshot(path=Path(tempfile.gettempdir()) / "bench_browser_failure.png")
            state = page.evaluate("[window.__mouseUpAt, window.__answerAt]")
            raise SystemExit(
                f"no answer after stroke {index} (mouseup, answer at: {state}); page says: "
                f"{answer.inner_text()[:200]!r}; screenshot in {tempfile.gettempdir()}"
            ) from None
        timings.append(page.evaluate("window.__answerAt - window.__mouseUpAt"))
        page.wait_for_selector("[data-testid=stStatusWidget]", state="detached")
    return timings


def save_screenshot(page, path: Path) -> None:
    """The page with a drawn 7, once every element (the step images too) has loaded."""
    page.locator(".st-key-canvas_buttons").get_by_role("button", name="Clear").click()
    page.wait_for_function(CANVAS_IS_BLANK)
    page.wait_for_selector("[data-testid=stStatusWidget]", state="detached")
    box = page.locator(CANVAS).bounding_box()
    corners = [(0.25, 0.22), (0.75, 0.22), (0.62, 0.45), (0.45, 0.82)]
    points = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in corners]
    page.mouse.move(*points[0])
    page.mouse.down()
    for point in points[1:]:
        page.mouse.move(*point, steps=12)
    page.mouse.up()
    page.locator(".st-key-steps img").first.wait_for()
    page.wait_for_selector("[data-testid=stStatusWidget]", state="detached")
    page.wait_for_function("Array.from(document.images).every(image => image.complete)")
    # The page as a projector shows it: the sidebar folded away, no toolbar (it shows on hover).
    collapse = page.locator("[data-testid=stSidebarCollapseButton] button")
    if collapse.count():
        page.locator("[data-testid=stSidebar]").hover()  # the button shows on hover
        collapse.click()
    page.mouse.move(0, 0)
    page.wait_for_timeout(800)
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=path)
    print(f"screenshot: {path}", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--models", nargs="+", default=["logistic_regression", "knn"])
    parser.add_argument("--strokes", type=int, default=15)
    parser.add_argument("--screenshot", type=Path, help="save a 1280x1100 screenshot of a drawn 0 here")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    from mnist_app import models

    for name in args.models:
        started = time.perf_counter()
        models.get_model(name)
        print(f"{name}: ready in {time.perf_counter() - started:.1f} s", file=sys.stderr)

    port = free_port()
    server = start_server(port)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 1100})
            page.goto(f"http://127.0.0.1:{port}/")
            page.locator(CANVAS).wait_for(timeout=60_000)
            print(f"{'model':<22} {'median ms':>9} {'p90 ms':>7} {'min':>5} {'max':>5}  (n={args.strokes})")
            for name in args.models:
                page.locator("[data-testid=stSelectbox]").first.click()
                page.get_by_role("option", name=models.MODELS[name].display_name, exact=True).click()
                measure(page, 2)  # warm-up: first loads of the model and of the chart code
                timings = sorted(measure(page, args.strokes))
                p90 = timings[min(len(timings) - 1, math.ceil(0.9 * len(timings)) - 1)]
                print(f"{name:<22} {statistics.median(timings):9.0f} {p90:7.0f} "
                      f"{timings[0]:5.0f} {timings[-1]:5.0f}")
            if args.screenshot:
                save_screenshot(page, args.screenshot)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    os.chdir(REPO_ROOT)
    main()
