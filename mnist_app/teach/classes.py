"""A class's teaching: every chosen model taught the class's digits, stored, and compared.

Part of the class's digits is held out (:mod:`mnist_app.teach.holdout`) and never taught, so
the before/after figures are honest; the stored taught model is the one measured. Each
model is taught under its cache lock (threads of this process and other processes), and a
teaching already stored for the same digits is loaded, not repeated: two teachers pressing
the button at once train once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from mnist_app import models
from mnist_app.classroom.store import Drawing
from mnist_app.models import store
from mnist_app.models.registry import Progress
from mnist_app.teach import compare, methods, storage
from mnist_app.teach.compare import Comparison
from mnist_app.teach.digits import TeachingError, check_teaching_data
from mnist_app.teach.holdout import held_out_mask

#: Share of a model's progress bar spent teaching (the rest measures before/after).
TEACH_SHARE = 0.8

_thread_locks: dict[str, threading.Lock] = {}
_locks_lock = threading.Lock()


@dataclass(frozen=True)
class ClassTeaching:
    """What one teaching of a class did: per model its comparison, the models that failed and why."""

    code: str
    held_out_ids: tuple[str, ...]
    n_taught: int
    comparisons: dict[str, Comparison] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)


def teach_class(code: str, drawings: Sequence[Drawing], names: Sequence[str], *,
                progress: Progress | None = None) -> ClassTeaching:
    """Teach models ``names`` class ``code``'s ``drawings``; store them; compare before and after.

    Raises :class:`TeachingError` when the class's digits cannot teach (none, one, one label).
    A model that fails (e.g. its optional dependency is missing) is listed in ``failures``.
    """
    report = progress or (lambda fraction, message: None)
    digits, labels = check_teaching_data(np.stack([d.digit for d in drawings]) if drawings else
                                         np.zeros((0, 28, 28), np.float32), [d.label for d in drawings])
    mask = held_out_mask(labels, [d.student for d in drawings])
    held_out_ids = tuple(d.id for d, held in zip(drawings, mask, strict=True) if held)
    try:
        check_teaching_data(digits[~mask], labels[~mask])
    except TeachingError:
        raise TeachingError(f"The class has {len(digits)} digits: with {int(mask.sum())} held out to measure "
                            "the teaching honestly, too few are left to teach. Save a few more (of at least "
                            "two different digits) first.") from None
    result = ClassTeaching(code, held_out_ids, int((~mask).sum()))
    for index, name in enumerate(names):
        def model_progress(fraction: float, message: str, index: int = index) -> None:
            report((index + fraction) / len(names), message)

        try:
            taught = teach_one(code, name, digits, labels, mask, held_out_ids, model_progress)
        except (models.ModelUnavailableError, models.UnknownModelError) as error:
            result.failures[name] = str(error)
            continue
        result.comparisons[name] = taught.comparison
    report(1.0, "Teaching done")
    return result


def teach_one(code: str, name: str, digits: np.ndarray, labels: np.ndarray, mask: np.ndarray,
              held_out_ids: tuple[str, ...], report: Progress) -> storage.Taught:
    """Class ``code``'s taught model ``name``: loaded when already taught on these digits, else taught."""
    spec = models.get_spec(name)
    if not spec.is_available():
        raise models.ModelUnavailableError(f"{spec.display_name} needs an optional dependency "
                                           "that is not installed")
    key = storage.teaching_key(code, name, digits, labels, mask)
    cache_name = storage.store_name(code, name)
    with _locks_lock:
        lock = _thread_locks.setdefault(cache_name, threading.Lock())
    with lock, store.locked(cache_name):
        found = storage.load(code, name, key)
        if found is not None:
            report(1.0, f"{spec.display_name} was already taught these digits")
            return found
        started = time.perf_counter()
        model = methods.teach(name, digits[~mask], labels[~mask],
                              progress=lambda f, m: report(TEACH_SHARE * f, m))
        seconds = time.perf_counter() - started
        comparison = compare.compare(name, model, digits[mask], labels[mask], method=methods.method_of(name),
                                     n_taught=int((~mask).sum()), seconds=seconds,
                                     progress=lambda f, m: report(TEACH_SHARE + (1 - TEACH_SHARE) * f, m))
        return storage.save(code, name, key, model, comparison, held_out_ids)


def taught_for_class(code: str, name: str) -> storage.Taught | None:
    """Class ``code``'s taught model ``name`` (taught from the current MNIST model), else None."""
    return storage.latest(code, name)


__all__ = ["ClassTeaching", "TeachingError", "taught_for_class", "teach_class", "teach_one"]
