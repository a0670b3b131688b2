"""Benchmark of the report pages: how long opening a page and switching its model take.

    python benchmarks/bench_report_pages.py [--repeats 5] [--models naive_bayes logistic_regression]

Needs the models evaluated in the cache ($MNIST_APP_CACHE_DIR, default the app's cache;
``mnist-app evaluate NAME`` or the pages' button) and MNIST ($MNIST_DATA_DIR). Runs the
pages under Streamlit's AppTest in this process, so the figures include AppTest's own
overhead (building and parsing the page's messages): an upper bound on the server's time.
Prints Markdown rows for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

TARGET_SWITCH_S = 1.0


def page_app(page: str):
    """An AppTest of one report page, ``mnist_app.ui.<page>``, on its own."""
    from streamlit.testing.v1 import AppTest

    return AppTest.from_string(f"from mnist_app.ui import {page}\n{page}.render()", default_timeout=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--models", nargs=2, default=["naive_bayes", "logistic_regression"])
    args = parser.parse_args()
    from mnist_app.evaluation import evaluate, is_evaluated

    first, second = args.models
    for name in args.models:
        if not is_evaluated(name):
            sys.exit(f"{name} is not evaluated in {os.environ.get('MNIST_APP_CACHE_DIR', 'the app cache')}")

    # Cold: a fresh process's first read of an evaluation from disk (no memo yet).
    started = time.perf_counter()
    evaluate(first)
    cold_evaluation = time.perf_counter() - started
    print(f"load average: {os.getloadavg()[0]:.1f}; "
          f"first evaluate() from disk: {cold_evaluation * 1000:.0f} ms")
    print("| page | first open s (median) | switch model, warm s (median) | max switch s | target |")
    print("| --- | --- | --- | --- | --- |")
    for title, page in (("confusion matrix", "confusion_page"), ("galleries", "gallery_page")):
        opens, switches = [], []
        for _ in range(args.repeats):
            started = time.perf_counter()
            at = page_app(page).run()
            opens.append(time.perf_counter() - started)
            for name in (second, first):
                started = time.perf_counter()
                at.selectbox(key="model").set_value(name).run()
                switches.append(time.perf_counter() - started)
                assert not at.exception, at.exception
        print(f"| {title} | {statistics.median(opens):.2f} | {statistics.median(switches):.2f} | "
              f"{max(switches):.2f} | < {TARGET_SWITCH_S:.0f} s |")
    opens = []
    for _ in range(args.repeats):
        started = time.perf_counter()
        page_app("models_page").run()
        opens.append(time.perf_counter() - started)
    print(f"| models | {statistics.median(opens):.2f} | - | - | - |")


if __name__ == "__main__":
    main()
