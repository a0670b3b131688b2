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

``MNIST_APP_GC_FREEZE=0`` leaves the heap unfrozen (the load benchmark compares both).
"""

from __future__ import annotations

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
    if _started.is_set() or not under_streamlit_run():
        return
    with _start_lock:
        if _started.is_set():
            return
        _started.set()
        threading.Thread(target=_warm_up_all, name="mnist-app-warm-up", daemon=True).start()


def under_streamlit_run() -> bool:
    """Whether this process is a `streamlit run` server (its bootstrap module is loaded)."""
    return "streamlit.web.bootstrap" in sys.modules


def _warm_up_all() -> None:
    names = common.model_names()
    warm_up(warm_up_order(names, common.default_model(names)))


def warm_up_order(names: Sequence[str], first: str | None) -> list[str]:
    """``names`` with ``first`` moved to the front and the CNN (PyTorch: seconds to import) last."""
    ordered = sorted(names, key=lambda name: (name != first, name == "cnn"))
    return list(ordered)


def warm_up(names: Sequence[str], *, load: Callable[[str], object] = models.get_model) -> list[str]:
    """Load each trained model of ``names`` (never trains one), then freeze the heap.

    Returns the names loaded. A model that fails to load is logged and skipped: the page
    that needs it will say why.
    """
    loaded = []
    for name in names:
        try:
            if models.is_trained(name):
                load(name)
                loaded.append(name)
        except Exception:  # a broken cache file must not stop the other models loading
            _log.exception("warm-up: could not load model %s", name)
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
