"""The model cache: keyed files, atomic writes under a file lock, code-free formats.

Every cached artefact lives in :func:`mnist_app.paths.cache_dir` under a name that
includes a key (see :func:`cache_key`): a hash of everything that decides what a
trained model is (model name, hyperparameters, library versions, training-data
checksum, preprocessing version). Change any of them and the key changes, so the
app retrains instead of loading something stale.

Safety rules:

- Files are written to a temporary file in the same folder and moved into place
  with ``os.replace``, so nobody ever reads a half-written file.
- Training and writing happen under a per-model :class:`filelock.FileLock`, so two
  processes that start together train once: the second waits and then loads.
- Models are pickled and signed: each model file starts with an HMAC-SHA256 of the
  pickle made with a secret key that lives outside the cache (see
  :func:`mnist_app.paths.signing_key_file`). A file whose signature does not verify -
  copied in, shared, tampered with - is deleted and retrained, never unpickled. The
  JSON sidecar, written after the model, holds the file's SHA-256 and marks it complete.
  (Why pickles and not skops: docs/benchmarks.md, "Warm start with signed pickles".) Pickles are only
  readable by the library versions that wrote them; those versions are part of the key.
- Evaluations are a ``.npz`` (loaded with ``allow_pickle=False``) plus JSON.
- Anything unreadable, truncated or inconsistent is deleted with a warning and the
  caller rebuilds it; it never crashes the app.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import importlib.metadata
import io
import json
import logging
import os
import pickle
import platform
import secrets
import tempfile
import warnings
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import filelock
import numpy as np

from mnist_app import paths

log = logging.getLogger(__name__)

#: Bump when the layout of the cached files changes.
FORMAT_VERSION = 1

#: Longest wait for another process's training before giving up (seconds).
LOCK_TIMEOUT = 30 * 60

_KEY_LENGTH = 20  # hex characters of the SHA-256 used in file names


class CacheFileError(ValueError):
    """A cache file is unreadable, inconsistent or was not written by this app."""


class CacheWarning(UserWarning):
    """A cache file was broken and has been deleted; it will be rebuilt."""


# --- keys ---------------------------------------------------------------------------------------


def cache_key(parts: Mapping[str, Any]) -> str:
    """A stable hex digest of ``parts`` (JSON-serialisable; keys sorted)."""
    text = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:_KEY_LENGTH]


@functools.lru_cache(maxsize=16)
def _installed_versions(modules: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    # Reading package metadata takes milliseconds; versions cannot change in a running process.
    return tuple(_read_library_versions(modules).items())


def library_versions(modules: tuple[str, ...]) -> dict[str, str]:
    """Installed versions of the named distributions plus the Python version (memoised)."""
    return dict(_installed_versions(tuple(modules)))


def _read_library_versions(modules: tuple[str, ...]) -> dict[str, str]:
    """Installed versions of the named distributions plus the Python version."""
    distributions = {"sklearn": "scikit-learn"}
    versions = {"python": platform.python_version(), "cache-format": str(FORMAT_VERSION)}
    for module in modules:
        name = distributions.get(module, module)
        try:
            versions[module] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[module] = "missing"
    return versions


def array_checksum(*arrays: np.ndarray) -> str:
    """SHA-256 of the arrays' shapes, dtypes and bytes."""
    digest = hashlib.sha256()
    for array in arrays:
        array = np.ascontiguousarray(array)
        digest.update(f"{array.dtype.str}{array.shape}".encode())
        digest.update(memoryview(array).cast("B"))
    return digest.hexdigest()


# --- paths and locks ----------------------------------------------------------------------------


def models_dir() -> Path:
    """Folder of the cached models and evaluations (created on demand)."""
    folder = paths.cache_dir() / "models"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def model_path(name: str, key: str) -> Path:
    """The serialised model of ``name`` for ``key``."""
    return models_dir() / f"{name}-{key}.model"


def meta_path(name: str, key: str) -> Path:
    """The JSON sidecar of the model file (checksum, fit time, ...)."""
    return models_dir() / f"{name}-{key}.json"


def evaluation_paths(name: str, key: str) -> tuple[Path, Path]:
    """The arrays (``.npz``) and the figures (``.json``) of a model's evaluation."""
    folder = models_dir()
    return folder / f"{name}-{key}.eval.npz", folder / f"{name}-{key}.eval.json"


@contextlib.contextmanager
def locked(name: str) -> Iterator[None]:
    """Hold the cross-process lock of one model (or any other cached artefact ``name``)."""
    lock_dir = paths.cache_dir() / "locks"
    lock_dir.mkdir(parents=True, exist_ok=True)
    with filelock.FileLock(lock_dir / f"{name}.lock", timeout=LOCK_TIMEOUT):
        yield


# --- atomic writes ------------------------------------------------------------------------------


def write_atomic(path: Path, data: bytes, *, keep_existing: bool = False) -> None:
    """Write ``data`` to ``path`` so that readers see either nothing or all of it.

    ``keep_existing=True`` leaves a file that is already there alone: the first writer wins.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as tmp:
            tmp.write(data)
            tmp.flush()
            os.fsync(tmp.fileno())
        if keep_existing:
            # A hard link appears whole or not at all, and fails when the file exists.
            with contextlib.suppress(FileExistsError):
                os.link(tmp_name, path)
            os.unlink(tmp_name)
        else:
            os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise


def write_json_atomic(path: Path, payload: Mapping[str, Any]) -> None:
    """Write a JSON document atomically."""
    write_atomic(path, json.dumps(payload, indent=1, sort_keys=True).encode())


def discard(*files: Path, reason: str) -> None:
    """Delete broken cache files and warn once, naming them and why."""
    existing = [path for path in files if path.exists()]
    for path in existing:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    if existing:
        message = f"Deleted broken cache file(s) {', '.join(p.name for p in existing)}: {reason}; rebuilding"
        log.warning(message)
        warnings.warn(message, CacheWarning, stacklevel=3)


# --- signed pickles, the default model format ---------------------------------------------------

_SIGNED_MAGIC = b"mnist-app signed pickle 1\n"
_TAG_BYTES = 32  # HMAC-SHA256
_KEY_BYTES = 32


def signing_key() -> bytes:
    """This installation's secret key for model files, made on first use.

    A damaged key is replaced with a warning; the models it signed then fail to verify and
    are retrained, as after any other cache damage.
    """
    path = paths.signing_key_file()
    if not path.exists():
        write_atomic(path, secrets.token_bytes(_KEY_BYTES), keep_existing=True)  # private: mode 0600
    key = path.read_bytes()
    if len(key) != _KEY_BYTES:
        message = f"Replaced the damaged signing key {path}; cached models will be retrained"
        log.warning(message)
        warnings.warn(message, CacheWarning, stacklevel=2)
        write_atomic(path, secrets.token_bytes(_KEY_BYTES))
        key = path.read_bytes()
    return key


def signed_pickle_dump(model: Any) -> bytes:
    """Pickle ``model`` and put this installation's signature in front."""
    payload = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
    return _SIGNED_MAGIC + hmac.digest(signing_key(), payload, "sha256") + payload


def signed_pickle_load(data: bytes) -> Any:
    """Unpickle bytes from :func:`signed_pickle_dump`, only once their signature verifies."""
    if not data.startswith(_SIGNED_MAGIC):
        raise CacheFileError("not a model file of this app")
    signed = memoryview(data)[len(_SIGNED_MAGIC):]  # a view: no copy of a 60 MB file
    tag, payload = signed[:_TAG_BYTES], signed[_TAG_BYTES:]
    if not hmac.compare_digest(tag, hmac.digest(signing_key(), payload, "sha256")):
        raise CacheFileError("the model file was not written by this installation (bad signature)")
    return pickle.loads(payload)


# --- models -------------------------------------------------------------------------------------


def save_model(name: str, key: str, data: bytes, meta: Mapping[str, Any]) -> dict[str, Any]:
    """Store serialised model bytes and their sidecar; returns the sidecar written.

    Call under :func:`locked`. Older cache entries of the same model are removed.
    """
    sidecar = dict(meta, name=name, key=key, sha256=hashlib.sha256(data).hexdigest(),
                   size_bytes=len(data), format=FORMAT_VERSION)
    write_atomic(model_path(name, key), data)
    write_json_atomic(meta_path(name, key), sidecar)  # last: its presence means "complete"
    remove_stale(name, key, training_data=meta.get("training_data"))
    return sidecar


def read_meta(name: str, key: str) -> dict[str, Any] | None:
    """The sidecar of a cached model, or None when there is none (or it is unreadable)."""
    try:
        meta = json.loads(meta_path(name, key).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(meta, dict) or meta.get("key") != key or meta.get("name") != name:
        return None
    return meta


def load_model(name: str, key: str, load: Callable[[bytes], Any]) -> tuple[Any, dict[str, Any]] | None:
    """Load a cached model with ``load`` after checking it is the file we wrote.

    Returns ``(model, sidecar)``, or None when nothing usable is cached. Broken files
    are deleted with a :class:`CacheWarning`. Call under :func:`locked`.
    """
    model_file, sidecar_file = model_path(name, key), meta_path(name, key)
    if not model_file.exists() and not sidecar_file.exists():
        return None
    try:
        meta = read_meta(name, key)
        if meta is None:
            raise CacheFileError("the sidecar is missing or unreadable")
        data = model_file.read_bytes()
        if hashlib.sha256(data).hexdigest() != meta.get("sha256"):
            raise CacheFileError("the model file is not the one this app wrote (checksum differs)")
        model = load(data)
    except Exception as error:  # any failure to read means: rebuild, never crash
        discard(model_file, sidecar_file, reason=f"{type(error).__name__}: {error}")
        return None
    return model, meta


def is_cached(name: str, key: str) -> bool:
    """Whether a complete model file for ``key`` is present (not verified)."""
    return read_meta(name, key) is not None and model_path(name, key).exists()


def remove_stale(name: str, keep_key: str, *, training_data: str | None = None) -> None:
    """Delete cache entries of ``name`` made for other keys (older versions or settings).

    With ``training_data`` (a checksum), only entries known to be trained on that same data
    are stale: a model trained on another data folder (e.g. a small test set), or one whose
    sidecar predates the checksum, is kept beside this one.
    """
    for path in models_dir().glob(f"{name}-*"):
        key = path.name[len(name) + 1:].split(".", 1)[0]
        if len(key) != _KEY_LENGTH or key == keep_key:
            continue
        if training_data is not None:
            meta = read_meta(name, key)
            if meta is not None and meta.get("training_data") != training_data:
                continue
        with contextlib.suppress(OSError):
            path.unlink()


# --- evaluations --------------------------------------------------------------------------------


def save_evaluation(
    name: str, key: str, arrays: Mapping[str, np.ndarray], figures: Mapping[str, Any]
) -> None:
    """Store an evaluation: arrays in an uncompressed ``.npz`` (fast to load), figures in JSON."""
    arrays_file, figures_file = evaluation_paths(name, key)
    buffer = _npz_bytes(arrays)
    write_atomic(arrays_file, buffer)
    write_json_atomic(figures_file, dict(figures, name=name, key=key,
                                         sha256=hashlib.sha256(buffer).hexdigest()))


def load_evaluation(name: str, key: str) -> tuple[dict[str, np.ndarray], dict[str, Any]] | None:
    """A cached evaluation ``(arrays, figures)``, or None; broken files are deleted with a warning."""
    arrays_file, figures_file = evaluation_paths(name, key)
    if not arrays_file.exists() and not figures_file.exists():
        return None
    try:
        figures = json.loads(figures_file.read_text())
        if figures.get("key") != key:
            raise CacheFileError("the figures belong to another model version")
        data = arrays_file.read_bytes()
        if hashlib.sha256(data).hexdigest() != figures.get("sha256"):
            raise CacheFileError("the arrays file is not the one this app wrote (checksum differs)")
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            arrays = {field: npz[field] for field in npz.files}
    except Exception as error:
        discard(arrays_file, figures_file, reason=f"{type(error).__name__}: {error}")
        return None
    return arrays, figures


def _npz_bytes(arrays: Mapping[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()
