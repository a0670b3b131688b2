"""Benchmark of the classroom store: one save, 1,000 concurrent saves, and the Our class page's reading.

    python benchmarks/bench_classroom.py [--saves 50]

Runs on a SQLite file and on a throwaway PostgreSQL (mnist_app.testing.postgres). "Save with
answers" is what the drawing page does (every trained model in $MNIST_APP_CACHE_DIR answers
first); "save, no models" is preprocessing, the PNG and the database write alone.
Prints Markdown rows for docs/benchmarks.md, with the load average.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from mnist_app import classroom, models
from mnist_app.classroom import scoring
from mnist_app.testing.drawings import canvas_digit
from mnist_app.testing.postgres import postgres_server


def timed(call: Callable[[], object], repeats: int) -> float:
    """Median seconds of ``repeats`` calls."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench(url: str, saves: int) -> dict[str, float]:
    store = classroom.open_store(url)
    code, _ = store.create_class("bench")
    image = canvas_digit(7)
    figures = {
        "save with answers (ms)": 1000 * timed(
            lambda: store.save_drawing(code, image, 7, student="a"), saves),
        "save, no models (ms)": 1000 * timed(
            lambda: store.save_drawing(code, image, 7, student="a", answers={}), saves),
    }
    busy, _ = store.create_class("busy")
    answers = {name: {"digit": 7, "confidence": 0.9} for name in models.available_models()}

    def student(number: int) -> None:
        for _ in range(50):
            store.save_drawing(busy, image, 7, student=f"s{number}", answers=answers)

    threads = [threading.Thread(target=student, args=(n,)) for n in range(20)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    figures["20x50 saves (s)"] = time.perf_counter() - start
    drawings = store.drawings(busy)
    assert len(drawings) == 1000
    figures["read 1,000 (ms)"] = 1000 * timed(lambda: store.drawings(busy), 5)

    def our_class() -> None:
        found = scoring.all_answers(drawings, models.available_models())
        scoring.scores(drawings, found)
        scoring.confusion(drawings, next(iter(found.values())))
        scoring.fooled_most(drawings, found)

    figures["score 1,000 (ms)"] = 1000 * timed(our_class, 5)
    store.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=50)
    args = parser.parse_args()
    print(f"load average (1 min) at the start: {os.getloadavg()[0]:.1f}")
    trained = [name for name in models.available_models() if models.is_trained(name)]
    print(f"trained models answering each save: {len(trained)} ({', '.join(trained)})")
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        results["SQLite (WAL)"] = bench(f"sqlite:///{Path(folder) / 'bench.sqlite3'}", args.saves)
    with postgres_server() as url:
        results["PostgreSQL 15"] = bench(url, args.saves)
    columns = list(next(iter(results.values())))
    print(f"\nload average (1 min) at the end: {os.getloadavg()[0]:.1f}")
    print("| back end | " + " | ".join(columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for backend, figures in results.items():
        print(f"| {backend} | " + " | ".join(f"{figures[c]:.1f}" for c in columns) + " |")


if __name__ == "__main__":
    main()
