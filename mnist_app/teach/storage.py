"""Taught models in the model cache, apart from the MNIST-trained ones.

A class's taught model ``name`` is stored as ``taught-CODE-name-KEY.model`` (a signed pickle,
or the spec's own format, through :mod:`mnist_app.models.store`), its sidecar holding the
before/after comparison. The key covers the class, the model, the MNIST-trained model it
started from (its cache key) and a checksum of the class's digits, labels and held-out split.
Saving a new teaching of a class removes that class's older one for the same model; the
MNIST-trained model files are never written here.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from mnist_app import data, models
from mnist_app.models import store
from mnist_app.teach.compare import Comparison

#: Bump when the teaching changes: every class's models are then taught again on request.
TEACH_VERSION = "1"
#: A class's stored teachings are listed at most this often per process (every stroke of every
#: student asks); a teaching saved by this process shows at once, one saved by another within this.
LOOKUP_SECONDS = 2.0


@dataclass(frozen=True)
class Taught:
    """A class's taught model, ready to answer, with its before/after comparison."""

    code: str
    name: str
    key: str
    model: Any
    comparison: Comparison
    held_out_ids: tuple[str, ...]
    trained_at: str


_loaded: dict[tuple[str, str], Taught] = {}
_looked_up: dict[tuple[str, str], tuple[float, dict[str, Any] | None]] = {}
_loaded_lock = threading.Lock()


def store_name(code: str, name: str) -> str:
    """The cache name of class ``code``'s taught model ``name``."""
    return f"taught-{code}-{name}"


def teaching_key(code: str, name: str, digits: np.ndarray, labels: np.ndarray, held_out: np.ndarray) -> str:
    """The cache key of teaching model ``name`` the class's ``digits`` with this held-out split."""
    return store.cache_key({
        "class": code, "model": name, "base": models.model_key(name), "teach": TEACH_VERSION,
        "digits": store.array_checksum(np.asarray(digits, dtype=np.float32),
                                       np.asarray(labels, dtype=np.int64), np.asarray(held_out, dtype=bool)),
    })


def save(code: str, name: str, key: str, model: Any, comparison: Comparison,
         held_out_ids: tuple[str, ...]) -> Taught:
    """Store a taught model and its comparison (call under ``store.locked(store_name(...))``)."""
    trained_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    meta = {"class": code, "model": name, "base_key": models.model_key(name), "trained_at": trained_at,
            "comparison": comparison.to_json(), "held_out_ids": list(held_out_ids)}
    spec = models.get_spec(name)
    data = spec.dump(model)
    store.save_model(store_name(code, name), key, data, meta)
    # Answer with the model as loading makes it (e.g. the random forest's fast form), as elsewhere.
    taught = Taught(code, name, key, spec.load(data), comparison, tuple(held_out_ids), trained_at)
    with _loaded_lock:
        _loaded[(code, name)] = taught
        _looked_up.pop((code, name), None)
    return taught


def load(code: str, name: str, key: str) -> Taught | None:
    """The taught model stored under ``key``, or None (files are written whole: no lock needed)."""
    found = store.load_model(store_name(code, name), key, models.get_spec(name).load)
    if found is None:
        return None
    model, meta = found
    taught = Taught(code, name, key, model, Comparison.from_json(meta["comparison"]),
                    tuple(meta.get("held_out_ids", ())), str(meta.get("trained_at", "")))
    with _loaded_lock:
        _loaded[(code, name)] = taught
    return taught


def latest(code: str, name: str) -> Taught | None:
    """Class ``code``'s taught model ``name``, if one was taught from the current MNIST-trained model.

    Cheap when nothing changed: a folder listing, and the file is read once per process.
    """
    meta = _recent_meta(code, name)
    if meta is None:
        return None
    with _loaded_lock:
        hit = _loaded.get((code, name))
    if hit is not None and hit.key == meta["key"]:
        return hit
    # No lock: a teaching holds it for minutes and students' pages must not wait. Files are
    # written whole (atomic rename, sidecar last), and a file removed meanwhile reads as None.
    return load(code, name, meta["key"])


def _recent_meta(code: str, name: str) -> dict[str, Any] | None:
    """``_latest_meta``, listed again only when the last listing is older than ``LOOKUP_SECONDS``."""
    with _loaded_lock:
        hit = _looked_up.get((code, name))
    if hit is not None and time.monotonic() - hit[0] < LOOKUP_SECONDS:
        return hit[1]
    meta = _latest_meta(code, name)
    with _loaded_lock:
        _looked_up[(code, name)] = (time.monotonic(), meta)
    return meta


def _latest_meta(code: str, name: str) -> dict[str, Any] | None:
    try:
        base_key = models.model_key(name, download=False)
    except (data.MnistUnavailableError, data.MnistFileError, OSError):
        return None
    prefix = store_name(code, name) + "-"
    for path in sorted(store.models_dir().glob(prefix + "*.json")):
        key = path.name[len(prefix):-len(".json")]
        meta = store.read_meta(store_name(code, name), key)
        if meta is not None and meta.get("base_key") == base_key and store.model_path(
                store_name(code, name), key).exists():
            return meta
    return None


def forget_loaded() -> None:
    """Drop the taught models held in memory (they stay on disk): a fresh start, e.g. in tests."""
    with _loaded_lock:
        _loaded.clear()
        _looked_up.clear()
