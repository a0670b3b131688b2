"""The servers the tests and benchmarks start (streamlit, nginx): their CPU and memory, and
stopping them politely, then for sure."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def server_usage(pid: int) -> tuple[float, int]:
    """The process's CPU seconds so far (user + system, all threads, in clock ticks) and its
    resident bytes."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime (fields 14, 15)
    rss = int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
    return cpu, rss


def cpu_clock(pid: int) -> float:
    """The process's CPU seconds so far, to the nanosecond: every thread's run time, ended threads
    included (``clock_gettime`` on the process's CPU-time clock; /proc/PID/stat counts 10 ms ticks)."""
    return time.clock_gettime_ns(((~pid) << 3) | 2) / 1e9  # MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED)


def wait_until_quiet(pid: int, limit: float = 180.0) -> float:
    """Wait until the server uses under 5% of a core for a second (its warm-up is over); seconds waited."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        before = server_usage(pid)[0]
        time.sleep(1.0)
        if server_usage(pid)[0] - before < 0.05:
            break
    return time.monotonic() - started


def stop(process: subprocess.Popen[bytes], timeout: float = 10) -> None:
    """Terminate ``process`` and wait for it; kill it if it has not ended within ``timeout`` s."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
