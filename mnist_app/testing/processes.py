"""Stopping the servers the tests start (streamlit, nginx): politely, then for sure."""

from __future__ import annotations

import subprocess


def stop(process: subprocess.Popen[bytes], timeout: float = 10) -> None:
    """Terminate ``process`` and wait for it; kill it if it has not ended within ``timeout`` s."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
