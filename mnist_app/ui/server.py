"""Once per server process: load the trained models in the background, then freeze the heap.

A classroom server answers thirty students' strokes on two cores, so the per-rerun cost
matters. Two things keep it low:

- The models are loaded by a background thread as soon as the first page runs (the page's
  default model first, PyTorch's CNN last), so the first stroke rarely waits for a disk
  read and PyTorch is never imported just to list or show the models.
- Once they are loaded, ``gc.freeze()`` moves every object alive at that point (the
  libraries' modules, the fitted models: a few hundred thousand objects) out of the
  garbage collector's sight. Python's collector keeps running for what sessions create, so
  memory stays flat, but a full collection no longer walks the whole heap. Streamlit's own
  collection after every rerun is switched off in ``.streamlit/config.toml``.

- Memory: Streamlit runs every rerun in a new thread, and glibc gives threads their own
  malloc arenas (up to 8 per core), each keeping its freed memory: with 30 students the
  server grew by ~7 MB per session. ``limit_malloc_arenas`` caps them at two (as
  ``MALLOC_ARENA_MAX=2`` would): +12 MB for 30 students instead of +210 MB, no CPU cost
  measured (docs/benchmarks.md, issue 12 round 3).

- A new replica is warm before it takes students: the script health check
  (``--server.scriptHealthCheckEnabled true``, ``GET /_stcore/script-health-check``) runs the
  app once without a browser, which starts the warm-up and, in that run only, waits for it to
  finish, so the check answers "ok" once the models are loaded and have each answered once
  (docs/deploy.md).

``MNIST_APP_GC_FREEZE=0`` leaves the heap unfrozen (the load benchmark compares both);
``MNIST_APP_MALLOC_ARENAS=0`` leaves glibc's arenas as they are.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
import os
import sys
import threading
from collections.abc import Callable, Sequence

from mnist_app import models
from mnist_app.ui import common

#: Set to 0 to skip ``gc.freeze()`` (to measure what it saves).
FREEZE_ENV = "MNIST_APP_GC_FREEZE"
#: The most malloc arenas the server's threads share (0: glibc's default, 8 per core).
ARENAS_ENV = "MNIST_APP_MALLOC_ARENAS"
DEFAULT_ARENAS = 2
#: The line the server logs once it is warm (operators and the load test read it).
WARM_LINE = "mnist-app warm"
#: How long the script health check waits for the warm-up (Streamlit gives the check 60 s).
HEALTH_CHECK_WAIT = 55.0
_M_ARENA_MAX = -8  # glibc's mallopt parameter number (malloc.h)

_log = logging.getLogger(__name__)
_started = threading.Event()
_ready = threading.Event()
_start_lock = threading.Lock()


def start_warm_up() -> None:
    """Start loading every trained model in a background thread; once per process.

    The pages' default model comes first. Cheap on every later call, so the app may call
    it on every rerun. Does nothing outside ``streamlit run`` (e.g. under AppTest, where
    tests swap model caches and a background loader would race them).
    """
    if not under_streamlit_run():
        return
    if not _started.is_set():
        with _start_lock:
            if not _started.is_set():
                _started.set()
                limit_malloc_arenas()
                threading.Thread(target=_warm_up_all, name="mnist-app-warm-up", daemon=True).start()
    if not _browser_behind_this_run():  # the script health check: "ok" only once warm
        wait_until_warm(HEALTH_CHECK_WAIT)


def _browser_behind_this_run() -> bool:
    """Whether a browser's request started this run (the script health check has no headers)."""
    import streamlit as st

    try:
        return len(st.context.headers) > 0
    except Exception:  # no script run context at all: nobody to make wait
        return True


def limit_malloc_arenas() -> bool:
    """Cap glibc's malloc arenas for the threads created from now on (``ARENAS_ENV``, default 2).

    Returns whether a cap was set: not when ``MALLOC_ARENA_MAX`` is set already (glibc read
    it at start), when ``ARENAS_ENV`` is 0, or without glibc.
    """
    arenas = int(os.environ.get(ARENAS_ENV, DEFAULT_ARENAS) or 0)
    if arenas <= 0 or "MALLOC_ARENA_MAX" in os.environ:
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(_M_ARENA_MAX, arenas))  # glibc returns 1 on success
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to cap
        return False


def under_streamlit_run() -> bool:
    """Whether this process is a `streamlit run` server (its bootstrap module is loaded)."""
    return "streamlit.web.bootstrap" in sys.modules


def _warm_up_all() -> None:
    names = common.model_names()
    loaded = warm_up(warm_up_order(names, common.default_model(names)), answer=first_answer)
    print(f"{WARM_LINE}: {len(loaded)} models loaded and answered once", file=sys.stderr, flush=True)


def first_answer(name: str) -> None:
    """Model ``name`` answers a blank digit once: its first call's one-off costs (PyTorch's first
    forward pass, the verdict's search space for the k-NN model) are paid before any student's."""
    import numpy as np

    from mnist_app.explain.neighbours import KNN_MODEL, knn_space

    with models.one_native_thread():
        models.predict_digits(np.zeros((28, 28), dtype=np.float32), name)
        if name == KNN_MODEL:
            knn_space()


def warm_up_order(names: Sequence[str], first: str | None) -> list[str]:
    """``names`` with ``first`` moved to the front and the CNN (PyTorch: seconds to import) last."""
    ordered = sorted(names, key=lambda name: (name != first, name == "cnn"))
    return list(ordered)


def warm_up(names: Sequence[str], *, load: Callable[[str], object] = models.get_model,
            answer: Callable[[str], object] | None = None) -> list[str]:
    """Load each trained model of ``names`` (never trains one), let each ``answer`` once if
    given, then freeze the heap.

    Returns the names loaded. A model that fails to load (or answer) is logged and skipped:
    the page that needs it will say why.
    """
    loaded = []
    for name in names:
        try:
            if models.is_trained(name):
                load(name)
                loaded.append(name)
        except Exception:  # a broken cache file must not stop the other models loading
            _log.exception("warm-up: could not load model %s", name)
    for name in loaded if answer is not None else []:
        try:
            answer(name)
        except Exception:
            _log.exception("warm-up: model %s could not answer", name)
    freeze_heap()
    _ready.set()
    return loaded


def freeze_heap() -> bool:
    """Collect once, then move every surviving object to the permanent generation.

    Returns False (and does nothing) when ``MNIST_APP_GC_FREEZE=0``.
    """
    if os.environ.get(FREEZE_ENV, "1") == "0":
        return False
    gc.collect()
    gc.freeze()
    return True


def wait_until_warm(timeout: float | None = None) -> bool:
    """Whether the warm-up has finished (waiting up to ``timeout`` seconds)."""
    return _ready.wait(timeout)
