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
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]

from mnist_app.testing.browser import (  # noqa: E402
    ANSWER,
    CANVAS,
    CHROMIUM,
    CHROMIUM_ARGS,
    circle,
    clear,
    mouse_stroke,
    select_model,
    streamlit_server,
    vertical_line,
    wait_until_idle,
)

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
    const answer = document.querySelector('.answer-panel .answer-sentence');
    if (window.__mouseUpAt !== null && answer && answer.innerText.includes(' says ')) {
      observer.disconnect();
      requestAnimationFrame(() => { window.__answerAt = performance.now(); });
    }
  });
  observer.observe(document.body, {childList: true, subtree: true, characterData: true});
}
"""


def measure(page, strokes: int) -> list[float]:
    """Milliseconds from mouseup to the answer on screen, one per stroke."""
    timings = []
    for index in range(strokes):
        clear(page)  # a fresh answer every time: the prompt shows and the canvas is blank again
        page.evaluate(TIMING_HOOK)
        mouse_stroke(page, circle() if index % 2 else vertical_line())
        try:
            page.wait_for_function("window.__answerAt !== null", timeout=30_000)
        except Exception:
            page.screenshot(path=Path(tempfile.gettempdir()) / "bench_browser_failure.png")
            state = page.evaluate("[window.__mouseUpAt, window.__answerAt]")
            raise SystemExit(
                f"no answer after stroke {index} (mouseup, answer at: {state}); page says: "
                f"{page.locator(ANSWER).inner_text()[:200]!r}; screenshot in {tempfile.gettempdir()}"
            ) from None
        timings.append(page.evaluate("window.__answerAt - window.__mouseUpAt"))
        wait_until_idle(page)
    return timings


def save_screenshot(page, path: Path) -> None:
    """The page with a drawn 7, once every element (the step images too) has loaded."""
    clear(page)
    mouse_stroke(page, [(0.25, 0.22), (0.75, 0.22), (0.62, 0.45), (0.45, 0.82)], steps=12)
    page.locator(".st-key-steps img").first.wait_for()
    wait_until_idle(page)
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
    parser.add_argument("--screenshot", type=Path, help="save a 1280x1100 screenshot of a drawn 7 here")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    from mnist_app import models

    for name in args.models:
        started = time.perf_counter()
        models.get_model(name)
        print(f"{name}: ready in {time.perf_counter() - started:.1f} s", file=sys.stderr)

    log_path = Path(tempfile.mkdtemp(prefix="bench-browser-")) / "server.log"
    with streamlit_server(log_path) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1100})
        page.goto(url)
        page.locator(CANVAS).wait_for(timeout=60_000)
        print(f"{'model':<22} {'median ms':>9} {'p90 ms':>7} {'min':>5} {'max':>5}  (n={args.strokes})")
        for name in args.models:
            select_model(page, models.MODELS[name].display_name)
            measure(page, 2)  # warm-up: first loads of the model and of the chart code
            timings = sorted(measure(page, args.strokes))
            p90 = timings[min(len(timings) - 1, math.ceil(0.9 * len(timings)) - 1)]
            print(f"{name:<22} {statistics.median(timings):9.0f} {p90:7.0f} "
                  f"{timings[0]:5.0f} {timings[-1]:5.0f}")
        if args.screenshot:
            save_screenshot(page, args.screenshot)
        browser.close()


if __name__ == "__main__":
    os.chdir(REPO_ROOT)
    main()
