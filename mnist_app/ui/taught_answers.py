"""The drawing page in a class: answers from the class's taught models, with a switch back.

When the student's class has taught models (``teach.taught_for_class``), the page answers
with them, and a switch goes back to the models "as trained on MNIST". The all-models cards
show both answers. Every answer comes through the one prediction path
(``models.predict_digit(..., model=taught)``), calibrated with the model's own temperature.
"""

from __future__ import annotations

import streamlit as st

from mnist_app import models, preprocess
from mnist_app.teach import classes, storage
from mnist_app.ui import class_state, common

#: Session-state key of the switch: True = the class's taught models answer.
USE_TAUGHT_KEY = "use_taught_models"


def class_models() -> dict[str, storage.Taught]:
    """The taught models of the class this session has joined (none outside a class).

    Cheap on every stroke: ``teach.storage`` lists a class's teachings at most every few seconds.
    """
    joined = class_state.membership()
    if joined is None:
        return {}
    found = {name: classes.taught_for_class(joined.code, name) for name in common.model_names()
             if common.is_trained(name)}
    return {name: taught for name, taught in found.items() if taught is not None}


def in_class(pipeline: list[preprocess.Step] | None,
             answers: dict[str, models.Prediction]) -> dict[str, models.Prediction]:
    """``answers`` (as trained on MNIST), replaced by the class's taught models' where they exist
    and the switch is on. Shows the switch only in a class that has taught models."""
    taught = class_models()
    if not taught:
        return answers
    use = st.toggle("Answer with our class's taught models", value=True, key=USE_TAUGHT_KEY,
                    help="Off: the models as trained on MNIST only.")
    if not use or pipeline is None:
        return answers
    digit = pipeline[-1].image
    return {name: models.predict_digit(digit, name, model=taught[name].model) if name in taught else answer
            for name, answer in answers.items()}


def both_answers(mnist_answers: dict[str, models.Prediction],
                 answers: dict[str, models.Prediction], digit: object) -> None:
    """Each taught model's answer next to the same model as trained on MNIST, as a small table.

    ``mnist_answers``: the page's answers as trained on MNIST; ``answers``: what
    :func:`in_class` returned for them (the taught answers when the switch is on), so a model
    is only asked again when the switch is off; ``digit``: the drawing's preprocessed digit.
    """
    taught = class_models()
    if not taught or not mnist_answers:
        return
    rows = []
    for name, found in taught.items():
        mnist = mnist_answers.get(name)
        if mnist is None:
            continue
        shown = answers.get(name)
        ours = shown if shown is not None and shown is not mnist else models.predict_digit(
            digit, name, model=found.model)
        rows.append({"model": common.display_name(name),
                     "as trained on MNIST": f"{mnist.label} ({mnist.confidence:.0%})",
                     "taught our handwriting": f"{ours.label} ({ours.confidence:.0%})"})
    st.markdown("**Our class's taught models, next to the MNIST ones**")
    st.dataframe(rows, hide_index=True, key="taught_answers")
