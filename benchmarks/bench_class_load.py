"""A class drawing at once: N simulated students against one `streamlit run` server on loopback.

    MNIST_DATA_DIR=... python benchmarks/bench_class_load.py [--students 1,10,30,60] [--duration 180]

First a real Chromium draws eight handwritten digits and the canvas values it sent are
recorded (:mod:`mnist_app.testing.handwriting`). Then, for each N, a fresh server is
started and measured: the time from its start to the first answer, the server's CPU per
stroke rerun (one student, one stroke at a time), then, once every server is warm (its
script health check, docs/deploy.md) and has shown each page once, N students (:mod:`mnist_app.testing.
load_client`) each sending a stroke every ``--interval`` seconds for ``--duration`` seconds,
pressing Clear after each digit and now and then switching model or page. With 30 or more
students a real Chromium also opens the page and draws a digit halfway through.
Server CPU and memory are read from the server process itself (its CPU-time clock, in ns,
and /proc/PID). The results
are printed as Markdown rows for docs/benchmarks.md.

``--replicas 2`` starts two server processes and shares the students out between them,
as the sticky proxy of docs/deploy.md does (one Python process uses one core at most);
the real Chromium then comes through that nginx proxy, which serves the page's files.
``--streamlit-defaults`` measures Streamlit's defaults instead (a full garbage collection
after every rerun, no gc.freeze), to show what the project's settings save.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from mnist_app import models
from mnist_app.testing import browser, handwriting, load_client, load_timeline, nginx
from mnist_app.testing.processes import cpu_clock, server_usage, wait_until_quiet


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


async def first_answer(url: str, recording: handwriting.Recording) -> float:
    """Open the page and draw one stroke; seconds until its answer (or NaN)."""
    session = load_client.AppSession(url)
    await session.open()
    run = await session.draw([session.widget("model", text=recording.model),
                               session.widget("canvas", json=recording.digits[0].strokes[0])])
    await session.close()
    return run.answered_at if run.answered_at is not None else float("nan")


def wait_until_warm(url: str) -> None:
    """The script health check: it answers once the server has loaded its models and let each
    answer once (``mnist_app.ui.server``; the servers here run with the check enabled)."""
    with urllib.request.urlopen(f"{url}_stcore/script-health-check", timeout=120) as response:
        if response.read().strip() != b"ok":
            raise RuntimeError(f"{url}: the script health check failed")


async def visit_every_page(url: str) -> None:
    """Open the app and look at each page once: each page's first run in a process (its imports,
    its figures) is then paid before the class, as a teacher trying the app would."""
    session = load_client.AppSession(url)
    await session.open()
    for page in sorted(session.pages):
        await session.rerun([], page=page)
    await session.close()


async def cpu_per_rerun(url: str, pid: int, recording: handwriting.Recording,
                        strokes: int = 60) -> tuple[list[float], list[float]]:
    """Server CPU seconds of each of ``strokes`` stroke reruns, one at a time, with one student:
    on the process's CPU clock (ns) and, as measured before round 4, in 10 ms clock ticks."""
    session = load_client.AppSession(url)
    await session.open()
    precise, ticks = [], []
    values = [stroke for digit in recording.digits for stroke in digit.strokes]
    for index in range(strokes):
        await asyncio.sleep(0.3)  # let the previous run's loose ends settle
        before, before_ticks = cpu_clock(pid), server_usage(pid)[0]
        await session.draw([session.widget("model", text=recording.model),
                             session.widget("canvas", json=values[index % len(values)])])
        precise.append(cpu_clock(pid) - before)
        ticks.append(server_usage(pid)[0] - before_ticks)
    await session.close()
    return precise, ticks


class BrowserProbe(threading.Thread):
    """A real Chromium that, after ``delay`` s, opens the page and draws a 4 (two strokes).

    ``nice``: the niceness it runs at (it and the Playwright driver inherit it from this
    thread). A student's browser runs on the student's own device; here Chromium shares the
    servers' two cores, and rendering Streamlit's page took the replicas' CPU for ~20 s
    (docs/benchmarks.md, issue 12 round 5), so by default it yields to them.
    """

    def __init__(self, url: str, model: str, delay: float, nice: int = 0) -> None:
        super().__init__(daemon=True)
        self.url, self.model, self.delay, self.nice = url, model, delay, nice
        self.page_load = self.answer = float("nan")
        self.opened_at = self.drawn_at = float("nan")  # time.monotonic() of its visit
        self.error = ""

    def run(self) -> None:
        from playwright.sync_api import sync_playwright

        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), self.nice)
            with sync_playwright() as playwright:
                chromium = playwright.chromium.launch(executable_path=str(browser.CHROMIUM),
                                                      args=browser.CHROMIUM_ARGS)
                page = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
                page.set_default_timeout(60_000)
                time.sleep(self.delay)
                self.opened_at = time.monotonic()
                self.page_load = self._timed(lambda: (page.goto(self.url),
                                                      page.locator(browser.CANVAS).wait_for()))
                browser.wait_until_idle(page)
                browser.select_model(page, self.model)
                browser.wait_until_idle(page)
                strokes = handwriting.DIGITS[4]
                browser.mouse_stroke(page, strokes[0])
                browser.expect(page.locator(browser.ANSWER)).to_contain_text(" says ", timeout=60_000)
                browser.wait_until_idle(page)
                answer = browser.expect(page.locator(browser.ANSWER))
                self.drawn_at = time.monotonic()
                self.answer = self._timed(lambda: (browser.mouse_stroke(page, strokes[1]),
                                                   answer.to_contain_text(" says 4", timeout=60_000)))
                chromium.close()
        except AssertionError:  # Playwright's expect timed out
            self.error = "no answer within 60 s"
        except Exception as error:  # reported in the results, not raised from a thread
            self.error = repr(error)[:200]

    @staticmethod
    def _timed(action: Any) -> float:
        started = time.monotonic()
        action()
        return time.monotonic() - started


def measure(students: int, args: argparse.Namespace, recording: handwriting.Recording,
            log_dir: Path) -> tuple[str, str]:
    """Fresh server(s), N students: one Markdown row, and the run second by second (a table)."""
    defaults = {"STREAMLIT_RUNNER_POST_SCRIPT_GC": "true", "MNIST_APP_GC_FREEZE": "0"}
    health_check = {"STREAMLIT_SERVER_SCRIPT_HEALTH_CHECK_ENABLED": "true"}  # wait_until_warm
    env = {**(defaults if args.streamlit_defaults else {}), **health_check}
    logs = [log_dir / f"server-{students}-{replica}.log" for replica in range(args.replicas)]
    started = time.monotonic()
    with contextlib.ExitStack() as stack:
        servers = [stack.enter_context(browser.streamlit_process(log, env)) for log in logs]
        urls, pids = [url for url, _ in servers], [server.pid for _, server in servers]
        answered = asyncio.run(first_answer(urls[0], recording)) - started
        # The students come once every replica is warm (docs/deploy.md: a replica takes students
        # once its script health check says so) and has answered and shown each page once.
        for url in urls:
            wait_until_warm(url)
        for url in urls[1:]:
            asyncio.run(first_answer(url, recording))
        for url in urls:
            asyncio.run(visit_every_page(url))
        for pid in pids:
            wait_until_quiet(pid)
        per_rerun, per_rerun_ticks = asyncio.run(cpu_per_rerun(urls[0], pids[0], recording))
        behaviour = load_client.Behaviour(duration=args.duration, interval=args.interval,
                                          models=tuple(args.switch_models))
        # Replicas are deployed behind nginx (docs/deploy.md), which serves the page's files
        # itself: the real browser comes through it. Students are shared out directly, as
        # ip_hash would share out a class's browsers (here they all have one address).
        probe_url = stack.enter_context(nginx.nginx_proxy(_ports(urls))).url if len(urls) > 1 else urls[-1]
        probe = (BrowserProbe(probe_url, recording.model, args.duration / 2, args.browser_nice)
                 if students >= 30 else None)
        cpu_start, rss_start = total_usage(pids)
        samples: list[int] = []
        sampler = threading.Thread(target=_sample_rss, args=(pids, samples, args.duration + 30), daemon=True)
        sampler.start()
        if probe:
            probe.start()
        client_cpu = time.process_time()
        timeline = load_timeline.Sampler(pids).start()
        class_started = time.monotonic()
        reports = asyncio.run(load_client.class_of(urls, recording, behaviour, students))
        client_cpu = time.process_time() - client_cpu
        timeline.stop()
        cpu_end, rss_end = total_usage(pids)
        if probe:
            probe.join(120)
    log = "".join(path.read_text() for path in logs)
    latencies = [latency for report in reports for _, latency in report.latencies]
    strokes = sum(report.strokes for report in reports)
    runs = sum(report.runs for report in reports)
    errors = [error for report in reports for error in report.errors]
    loads = [load for report in reports for load in report.page_loads]
    warm = samples[len(samples) // 6] if samples else rss_start  # after the first sixth of the run
    cpu = cpu_end - cpu_start
    row = (f"| {students} | {strokes} | {len(latencies)} | {percentile(latencies, .5) * 1000:.0f} | "
           f"{percentile(latencies, .95) * 1000:.0f} | {max(latencies, default=float('nan')) * 1000:.0f} | "
           f"{len(errors)} | {sum(r.unsent for r in reports)} | {sum(r.mismatches for r in reports)} | "
           f"{cpu / max(strokes, 1) * 1000:.0f} | {cpu / max(runs, 1) * 1000:.0f} | "
           f"{cpu / args.duration:.2f} | "
           f"{rss_start / 2**20:.0f} → {rss_end / 2**20:.0f} ({(rss_end - warm) / warm:+.1%}) | "
           f"{percentile(loads, .95):.2f} | {_probe_cell(probe)} | "
           f"{statistics.median(per_rerun) * 1000:.1f} / {statistics.mean(per_rerun) * 1000:.1f} | "
           f"{statistics.median(per_rerun_ticks) * 1000:.0f} / "
           f"{statistics.mean(per_rerun_ticks) * 1000:.0f} | "
           f"{answered:.1f} | {client_cpu / args.duration:.2f} | {'Traceback' in log} |")
    for error in sorted(set(errors))[:5]:
        print(f"  error ({errors.count(error)}x): {error}")
    marks = {"browser opens the page": probe.opened_at, "browser draws": probe.drawn_at} if probe else {}
    seconds = load_timeline.table([report.latencies for report in reports],
                                  [index % len(urls) for index in range(students)],
                                  timeline.samples, class_started, marks=marks)
    return row, seconds


def _ports(urls: list[str]) -> list[int]:
    return [int(url.rstrip("/").rsplit(":", 1)[1]) for url in urls]


def _probe_cell(probe: BrowserProbe | None) -> str:
    if probe is None:
        return "-"
    if probe.error:
        return f"failed: {probe.error}"
    return f"{probe.page_load:.2f} / {probe.answer:.2f}"


def total_usage(pids: list[int]) -> tuple[float, int]:
    """``server_usage`` summed over several server processes."""
    usages = [server_usage(pid) for pid in pids]
    return sum(cpu for cpu, _ in usages), sum(rss for _, rss in usages)


def _sample_rss(pids: list[int], samples: list[int], limit: float) -> None:
    end = time.monotonic() + limit
    while time.monotonic() < end:
        try:
            samples.append(total_usage(pids)[1])
        except OSError:
            return
        time.sleep(5)


HEADER = (
    "| students | strokes | answered | p50 ms | p95 ms | max ms | errors | not sent in time | "
    "unlike browser | server CPU ms / stroke | ms / rerun | server cores busy | "
    "RSS MiB start → end (growth after warm-up) | "
    "page load p95 s | real Chromium: page load / answer s | "
    "CPU per stroke rerun alone (CPU clock, 60 strokes), median / mean ms | same in 10 ms ticks | "
    "start → first answer s | client cores | traceback in server log |\n"
    "|" + "---|" * 20
)


def record(model: str, log_dir: Path, tries: int = 3) -> handwriting.Recording:
    """``handwriting.record_in_chromium``, tried again when a rerun did not finish in time (on a
    busy machine it failed once in five here: the benchmark must not end before it starts)."""
    for attempt in range(1, tries + 1):
        try:
            return handwriting.record_in_chromium(model, log_dir)
        except TimeoutError as error:
            if attempt == tries:
                raise
            print(f"recording failed ({error}), again ({attempt + 1} of {tries})", flush=True)
    raise AssertionError("unreachable")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", default="1,10,30,60", help="comma-separated class sizes")
    parser.add_argument("--duration", type=float, default=180.0, help="seconds of drawing per class size")
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between a student's strokes")
    parser.add_argument("--model", default=None, help="registry name of the model the students use")
    parser.add_argument("--replicas", type=int, default=1,
                        help="server processes; students are shared out in turn, as a sticky proxy does")
    parser.add_argument("--browser-nice", type=int, default=10,
                        help="niceness of the real Chromium under load (0: as the servers)")
    parser.add_argument("--streamlit-defaults", action="store_true",
                        help="Streamlit's default post-run gc.collect and no gc.freeze")
    args = parser.parse_args()
    trained = [name for name in models.available_models() if models.is_trained(name)]
    if not trained:
        raise SystemExit("no trained model: run `mnist-app train` first")
    name = args.model or ("cnn" if "cnn" in trained else trained[0])
    args.switch_models = [models.get_spec(other).display_name for other in trained]
    log_dir = Path(tempfile.mkdtemp(prefix="bench-class-load-"))
    load = os.getloadavg()
    recording = record(models.get_spec(name).display_name, log_dir)
    print(f"recorded {len(recording.digits)} digits, browser answers "
          f"{[(d.digit, d.answer) for d in recording.digits]}; model {recording.model}; "
          f"{'Streamlit defaults' if args.streamlit_defaults else 'project settings'}; "
          f"{args.replicas} server process(es); real Chromium at nice {args.browser_nice}; "
          f"{args.duration:.0f} s, a stroke every {args.interval:.1f} s; logs in {log_dir}")
    print(f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}\n")
    print(HEADER, flush=True)
    timelines = []
    for students in (int(count) for count in args.students.split(",")):
        row, seconds = measure(students, args, recording, log_dir)
        print(row, flush=True)
        timelines.append((students, seconds))
    for students, seconds in timelines:
        if students > 1:
            print(f"\n{students} students, by when each stroke was due (s from the class's start):")
            print(seconds)
    load = os.getloadavg()
    print(f"\nload average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
