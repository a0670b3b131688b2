"""What the report pages (models, confusion matrix, galleries) share: cached evaluations and digit grids.

Pages never compute an evaluation while rendering: they read it through
:func:`cached_evaluation` when ``evaluation.is_evaluated`` says it is ready, and
otherwise say so and offer a button that trains and tests the model with a progress bar.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import streamlit as st

from mnist_app import data, models
from mnist_app.evaluation import Evaluation, evaluate, is_evaluated
from mnist_app.report import gallery
from mnist_app.ui import common

#: Digits are shown this many times their 28 px, nearest-neighbour: crisp on a projector.
ZOOM = 4
#: Browsers smooth images they scale (e.g. on high-DPI screens); keep MNIST pixels square.
PIXELATED_CSS = "<style>[data-testid='stImage'] img { image-rendering: pixelated; }</style>"


def cached_evaluation(name: str) -> Evaluation:
    """The test-set evaluation of ``name`` (kept in memory by ``mnist_app.evaluation`` for all sessions).

    Only call it once ``is_evaluated`` says so: it then reads the cached results
    (milliseconds) instead of running 10,000 predictions.
    """
    return evaluate(name)


def test_images() -> np.ndarray:
    """The 10,000 MNIST test images, (n, 28, 28) uint8, read-only and shared (decoded once)."""
    images, _ = data.load_mnist("test")
    return images


def evaluated_models() -> list[str]:
    """The available models whose evaluation is ready, in the registry's order."""
    return [name for name in common.model_names() if is_evaluated(name)]


def evaluate_with_progress(names: Sequence[str]) -> bool:
    """Train (if needed) and test ``names`` with a progress bar (see ``common.run_with_progress``)."""

    return common.run_with_progress(list(names), lambda name, progress: evaluate(name, progress=progress),
                                    doing="Training and testing", done="Tested")


def offer_evaluation(names: Sequence[str], *, key: str, why: str) -> None:
    """Say that ``names`` are not tested yet (``why``) and offer a button that tests them, then reruns."""
    hint = sum(models.get_spec(name).fit_seconds_hint for name in names if not models.is_trained(name))
    estimate = (f" Training takes roughly {hint:.0f} s (longer on a busy computer), then each model "
                "answers the 10,000 test digits." if hint else "")
    st.info(f"{why}{estimate}")
    plural = "these models" if len(names) > 1 else common.display_name(names[0])
    if st.button(f"Train and test {plural}", key=key, type="primary", icon=":material/play_arrow:"):
        if evaluate_with_progress(list(names)):
            st.rerun()


def evaluation_or_offer(name: str) -> Evaluation | None:
    """The cached evaluation of ``name``, or None after offering to compute it (never computes here)."""
    if is_evaluated(name):
        return cached_evaluation(name)
    offer_evaluation(
        [name], key=f"evaluate-{name}",
        why=f"{common.display_name(name)} is not tested yet on the 10,000 MNIST test digits.",
    )
    return None


def show_digits(indices: np.ndarray, captions: Sequence[str], *, zoom: int = ZOOM) -> None:
    """Show test digits ``indices`` as a wrapping grid of crisp enlarged images with captions."""
    if len(indices) == 0:
        return
    st.html(PIXELATED_CSS)
    images = gallery.upscale_nearest(test_images()[np.asarray(indices)], zoom)
    # PNG: Streamlit would send arrays as JPEG, whose artefacts blur the square pixels.
    st.image(list(images), caption=list(captions), width=28 * zoom, output_format="PNG")


def answer_captions(evaluation: Evaluation, indices: np.ndarray) -> list[str]:
    """The ✓/✗ caption of each digit: the model's answer, its confidence and the test-set index."""
    confidence = gallery.confidence(evaluation)
    return [
        gallery.answer_caption(int(i), int(evaluation.labels[i]), int(evaluation.predicted[i]),
                               float(confidence[i]))
        for i in indices
    ]
