"""A load run second by second: when strokes were slow, on which replica, and how busy the machine was.

The load benchmark's summary row says *how* slow the slowest strokes were; this says *when*:
slow strokes bunched at the start are the servers still warming up, slow strokes spread over
the run (or around the real browser's visit) are CPU contention. A sampler thread reads, once
a second, each server process's CPU clock and the whole machine's busy time (/proc/stat);
:func:`table` buckets the students' stroke latencies by when the stroke was due.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mnist_app.testing.processes import cpu_clock


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy (all cores, everything but idle and iowait)."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / 100.0  # USER_HZ is 100 on Linux


@dataclass
class Sample:
    at: float  # time.monotonic()
    servers: list[float]  # each server process's CPU seconds so far
    machine: float  # the machine's busy CPU seconds so far


@dataclass
class Sampler:
    """Samples the servers' and the machine's CPU once a ``period`` until stopped."""

    pids: Sequence[int]
    period: float = 1.0
    samples: list[Sample] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> Sampler:
        threading.Thread(target=self._run, daemon=True, name="load-timeline").start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.samples.append(Sample(time.monotonic(), [cpu_clock(pid) for pid in self.pids],
                                           machine_busy_seconds()))
            except OSError:  # a server has ended
                return
            self._stop.wait(self.period)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def _cores(samples: list[Sample], start: float, end: float, server: int | None) -> float:
    """Cores busy between ``start`` and ``end`` (a server's, or the machine's when ``server`` is None)."""
    inside = [sample for sample in samples if start <= sample.at <= end]
    if len(inside) < 2:
        return float("nan")
    first, last = inside[0], inside[-1]
    if server is None:
        return (last.machine - first.machine) / (last.at - first.at)
    used = last.servers[server] - first.servers[server]
    return used / (last.at - first.at)


def table(latencies: Sequence[Sequence[tuple[float, float]]], replica_of: Sequence[int],
          samples: list[Sample], started: float, bucket: float = 10.0,
          marks: dict[str, float] | None = None) -> str:
    """A Markdown table: per ``bucket`` seconds from ``started``, per replica, the strokes due then,
    their p50 / p95 / max seconds to the answer and the replica's cores busy; and the machine's
    cores busy. ``latencies[i]``: student i's (due time, seconds to answer); ``replica_of[i]``:
    its replica. ``marks``: events (e.g. the real browser's visit) named in their bucket."""
    replicas = max(replica_of, default=0) + 1
    last_due = max((due for student in latencies for due, _ in student), default=started)
    header = "| s | " + " | ".join(f"replica {r}: strokes, p50 / p95 / max s, cores" for r in range(replicas))
    lines = [header + " | machine cores | |", "|" + "---|" * (replicas + 3)]
    for low in range(0, int(last_due - started) + 1, int(bucket)):
        start, end = started + low, started + low + bucket
        cells = []
        for replica in range(replicas):
            times = [seconds for student, r in zip(latencies, replica_of, strict=True) if r == replica
                     for due, seconds in student if start <= due < end]
            busy = _cores(samples, start, end, replica)
            cells.append(f"{len(times)}, {_percentile(times, .5):.2f} / {_percentile(times, .95):.2f} / "
                         f"{max(times, default=float('nan')):.2f}, {busy:.2f}")
        events = ", ".join(name for name, at in (marks or {}).items() if start <= at < end)
        lines.append(f"| {low}-{low + int(bucket)} | " + " | ".join(cells)
                     + f" | {_cores(samples, start, end, None):.2f} | {events} |")
    return "\n".join(lines)
