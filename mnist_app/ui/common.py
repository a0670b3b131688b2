"""Widgets shared by the app's pages: the model picker and training with a progress bar.

The pages never hold model logic or caches of their own: ``mnist_app.models`` keeps the
loaded models in memory for the whole server process and answers "is it trained?" cheaply,
so switching models (or a rerun after every stroke) never reloads or retrains anything.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import streamlit as st

from mnist_app import data, evaluation, models, paths, preprocess
from mnist_app.models import cnn

Result = TypeVar("Result")

#: Session-state key under which every page's model picker shares its choice.
MODEL_KEY = "model"


def model_names() -> list[str]:
    """Every model the picker offers, in the registry's order."""
    return list(models.available_models())


def display_name(name: str) -> str:
    """A model's friendly name, for people."""
    return models.MODELS[name].display_name


def model_picker(key: str = MODEL_KEY, *, label: str = "Model", describe: bool = True) -> str:
    """A select box of every model (friendly names) with its one-line explanation below.

    Returns the chosen model's registry name. The choice survives page switches
    (``persist_state="session"``), so pages that use the same ``key`` share it.
    ``describe=False``: no explanation (the caller shows ``model_notes`` itself).
    """
    names = model_names()
    if st.session_state.get(key) not in names:
        # A stale or missing choice (e.g. the CNN was chosen but torch is gone): start over.
        st.session_state[key] = default_model(names)
    name = st.selectbox(label, names, format_func=display_name, key=key, persist_state="session")
    if describe:
        for note in model_notes(name):
            st.caption(note)
    return name


def model_notes(name: str) -> list[str]:
    """The picker's lines under it: what model ``name`` does and, without torch, how to add the CNN."""
    hint = cnn.missing_hint()
    return [models.MODELS[name].description, *([hint] if hint else [])]


def default_model(names: list[str]) -> str:
    """The model a page starts with: the most accurate trained one, else the registry's first.

    Accuracy is the model's MNIST test score when it has been tested; an untested trained
    model comes after the tested ones, in the registry's order.
    """
    trained = [name for name in names if is_trained(name)]
    if not trained:
        return names[0]
    return max(trained, key=lambda name: evaluation.known_accuracy(name) or -1.0)


def is_trained(name: str) -> bool:
    """Whether model ``name`` can answer without training (never downloads or trains anything)."""
    return models.is_trained(name)


def mnist_on_disk() -> bool:
    """Whether the four MNIST files are already in the data folder (else training downloads them)."""
    folder = paths.data_dir()
    return all((folder / file_name).is_file() for file_name in data.ALL_FILES)


def run_with_progress(
    names: list[str],
    work: Callable[[str, models.Progress], object],
    *,
    doing: str,
    done: str,
) -> bool:
    """Run ``work(name, progress)`` for each of ``names`` in an ``st.status`` box with a progress bar.

    ``doing``/``done`` word the box ("Training"/"Trained"). Returns True when every name
    is done; on a failure (e.g. MNIST cannot be downloaded) the box turns red, says why
    and returns False instead of raising.
    """
    label = ", ".join(display_name(name) for name in names)
    with st.status(f"{doing} {label}…", expanded=True) as status:
        if not mnist_on_disk():
            st.write(f"Downloading MNIST into `{paths.data_dir()}` first (about 11 MB)…")
        bar = st.progress(0.0, text="Starting…")
        for position, name in enumerate(names):

            def report(fraction: float, message: str, position: int = position, name: str = name) -> None:
                overall = (position + min(max(fraction, 0.0), 1.0)) / len(names)
                bar.progress(overall, text=f"{display_name(name)}: {message}")

            try:
                work(name, report)
            except (data.MnistUnavailableError, data.MnistFileError, models.ModelUnavailableError,
                    OSError) as error:
                status.update(label=f"{doing} {display_name(name)} failed", state="error")
                st.error(str(error))
                return False
        bar.progress(1.0, text="Done")
        status.update(label=f"{done} {label}", state="complete", expanded=False)
    return True


def train_with_progress(names: list[str]) -> bool:
    """Train ``names`` with a progress bar (see ``run_with_progress``)."""
    return run_with_progress(
        names, lambda name, progress: models.get_model(name, progress=progress),
        doing="Training", done="Trained",
    )


def or_say_why(work: Callable[[], Result], prompt: str, icon: str) -> Result | None:
    """``work()``, or None after telling the student why not: nothing to read (with ``prompt``),
    or an image that cannot be used (its plain message). Never a traceback."""
    try:
        return work()
    except preprocess.EmptyDrawingError as error:
        st.info(f"{error} {prompt}", icon=icon)
    except ValueError as error:
        st.error(str(error), icon=":material/error:")
    return None
