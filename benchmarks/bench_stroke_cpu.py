"""A stroke's server CPU, in nanoseconds: old and new code back to back on one machine.

    MNIST_DATA_DIR=... python benchmarks/bench_stroke_cpu.py --roots /tmp/old12,. [--strokes 60] [--rounds 2]

Each root is a source checkout (e.g. ``git worktree add /tmp/old12 HEAD``); its own
``streamlit_app.py`` runs with ``PYTHONPATH`` at that checkout, while the client is this
tree's :mod:`mnist_app.testing.load_client`. Per server: one warm-up answer, a quiet
second, then ``--strokes`` strokes one at a time by one student, then Clear (its two
reruns) and a look at another page and back, each ``--others`` times. CPU is the server
process's own: its CPU clock (``clock_gettime`` on the process's CPU-time clock: every
thread's run time in ns, threads that ended included), and, for comparison with earlier
rounds, /proc/PID/stat in 10 ms clock ticks. The canvas values are recorded once in a
real Chromium and kept in ``--recording`` (JSON) for the next runs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from mnist_app import models
from mnist_app.testing import browser, handwriting, load_client, processes
from mnist_app.testing.processes import server_usage, wait_until_quiet


@contextlib.contextmanager
def server_at(root: Path, log: Path) -> Iterator[tuple[str, int]]:
    """``streamlit run`` of ``root``'s app (its own package first on the path); (url, pid)."""
    port = browser.free_port()
    env = {**browser.SERVER_ENV, **os.environ, "PYTHONPATH": str(root)}
    command = [sys.executable, "-m", "streamlit", "run", str(root / "streamlit_app.py"),
               "--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
               "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"]
    url = f"http://127.0.0.1:{port}/"
    with open(log, "wb") as out:
        server = subprocess.Popen(command, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        for _ in range(300):
            with contextlib.suppress(OSError), urllib.request.urlopen(f"{url}_stcore/health", timeout=2):
                break
            time.sleep(0.2)
        yield url, server.pid
    finally:
        processes.stop(server)


@dataclasses.dataclass
class Costs:
    """Per rerun: ns CPU, tick CPU (s) and ForwardMsgs, by kind of rerun."""

    ns: dict[str, list[int]] = dataclasses.field(default_factory=dict)
    ticks: dict[str, list[float]] = dataclasses.field(default_factory=dict)
    messages: dict[str, list[int]] = dataclasses.field(default_factory=dict)

    def add(self, kind: str, ns: int, ticks: float, messages: int) -> None:
        self.ns.setdefault(kind, []).append(ns)
        self.ticks.setdefault(kind, []).append(ticks)
        self.messages.setdefault(kind, []).append(messages)


async def measure(url: str, pid: int, recording: handwriting.Recording, strokes: int, others: int) -> Costs:
    """One student's reruns, one at a time, each timed on the server's own CPU clock."""
    costs = Costs()
    session = load_client.AppSession(url)
    await session.open()
    values = [stroke for digit in recording.digits for stroke in digit.strokes]
    model = session.widget("model", text=recording.model)

    async def timed(kind: str, pending: object) -> None:
        await asyncio.sleep(0.3)  # the previous run's loose ends settle
        before, before_ticks = processes.cpu_clock(pid), server_usage(pid)[0]
        run = await pending  # type: ignore[misc]
        spent_ns = round((processes.cpu_clock(pid) - before) * 1e9)
        costs.add(kind, spent_ns, server_usage(pid)[0] - before_ticks, run.messages)

    for index in range(strokes):
        stroke = session.widget("canvas", json=values[index % len(values)])
        await timed("stroke", _later(session.draw, [model, stroke]))
    for _ in range(others):
        await timed("Clear", _later(session.draw, [model, session.widget("clear")]))
        blank = session.widget("canvas", json=recording.blank)
        await timed("blank canvas", _later(session.draw, [model, blank]))
        other = next(page for page in sorted(session.pages) if page != "draw")
        await timed("other page", _later(session.rerun, [], page=other))
        await timed("back to drawing", _later(session.rerun, [], page="draw"))
    await session.close()
    return costs


async def _later(function: object, *args: object, **kwargs: object) -> load_client.Run:
    return await function(*args, **kwargs)  # type: ignore[operator]


def load_recording(path: Path, model: str, log_dir: Path) -> handwriting.Recording:
    """The canvas values a real Chromium sent (recorded once, then read from ``path``)."""
    if path.exists():
        data = json.loads(path.read_text())
        digits = tuple(handwriting.RecordedDigit(d["digit"], tuple(d["strokes"]), d["answer"])
                       for d in data.pop("digits"))
        return handwriting.Recording(digits=digits, **data)
    recording = handwriting.record_in_chromium(model, log_dir)
    path.write_text(json.dumps(dataclasses.asdict(recording)))
    return recording


def rows(label: str, costs: Costs, load: float) -> list[str]:
    """Markdown rows: median / mean ms on the CPU clock and in ticks, ForwardMsgs per rerun."""
    out = []
    for kind, values in costs.ns.items():
        ticks = costs.ticks[kind]
        out.append(f"| {label} | {kind} | {len(values)} | {load:.2f} | "
                   f"{statistics.median(values) / 1e6:.1f} / {statistics.mean(values) / 1e6:.1f} | "
                   f"{statistics.median(ticks) * 1000:.0f} / {statistics.mean(ticks) * 1000:.1f} | "
                   f"{statistics.median(costs.messages[kind]):.0f} |")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--roots", default=".", help="comma-separated source checkouts to compare")
    parser.add_argument("--strokes", type=int, default=60)
    parser.add_argument("--others", type=int, default=10, help="Clears and page switches measured")
    parser.add_argument("--rounds", type=int, default=2, help="times each root is measured, alternating")
    parser.add_argument("--recording", type=Path,
                        default=Path(tempfile.gettempdir()) / "stroke-cpu-recording.json")
    args = parser.parse_args()
    trained = [name for name in models.available_models() if models.is_trained(name)]
    name = "cnn" if "cnn" in trained else trained[0]
    log_dir = Path(tempfile.mkdtemp(prefix="bench-stroke-cpu-"))
    recording = load_recording(args.recording, models.get_spec(name).display_name, log_dir)
    print(f"model {recording.model}; {args.strokes} strokes; logs in {log_dir}\n")
    print("| code | rerun | count | load average | CPU clock median / mean ms | clock ticks median / mean ms "
          "| ForwardMsgs per rerun |\n|---|---|---|---|---|---|---|", flush=True)
    for round_ in range(args.rounds):
        for root in (Path(r).resolve() for r in args.roots.split(",")):
            with server_at(root, log_dir / f"{root.name}-{round_}.log") as (url, pid):
                asyncio.run(_warm(url, recording))
                wait_until_quiet(pid)
                load = os.getloadavg()[0]
                costs = asyncio.run(measure(url, pid, recording, args.strokes, args.others))
            print("\n".join(rows(str(root), costs, load)), flush=True)


async def _warm(url: str, recording: handwriting.Recording, tries: int = 6) -> None:
    """One answer, so the models are loaded (a model being retrained meanwhile holds its lock)."""
    for attempt in range(tries):
        session = load_client.AppSession(url)
        try:
            await session.open()
            await session.draw([session.widget("model", text=recording.model),
                                session.widget("canvas", json=recording.digits[0].strokes[0])])
            return
        except TimeoutError:
            if attempt == tries - 1:
                raise
        finally:
            await session.close()


if __name__ == "__main__":
    main()
