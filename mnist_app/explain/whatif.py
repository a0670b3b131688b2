"""What-ifs on a drawing: every model's answer with preprocessing steps switched off and the
digit moved, turned, resized or re-inked (``preprocess.Switches``, ``preprocess.whatif``)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mnist_app import models, preprocess
from mnist_app.preprocess.whatif import Changes, apply_changes


@dataclass(frozen=True)
class WhatIf:
    """What the models see under the what-if, and what each answers."""

    steps: list[preprocess.Step]  # the preprocessing with the switches as set
    digit: np.ndarray  # float32 (28, 28): the last step's image with the changes applied
    predictions: dict[str, models.Prediction]  # model name -> answer


def what_if(image: object, switches: preprocess.Switches, changes: Changes, names: list[str]) -> WhatIf:
    """Preprocess ``image`` with ``switches``, apply ``changes``, and ask each model in ``names``.

    Raises like ``preprocess.to_mnist`` (``EmptyDrawingError`` for a blank drawing).
    """
    pipeline = preprocess.steps(image, switches)
    digit = apply_changes(pipeline[-1].image, changes)
    return WhatIf(pipeline, digit, {name: models.predict_digit(digit, name) for name in names})


def answers(image: object, switches: preprocess.Switches, changes: Changes,
            names: list[str]) -> dict[str, int]:
    """Each model's digit under the what-if (see :func:`what_if`)."""
    return {name: p.label for name, p in what_if(image, switches, changes, names).predictions.items()}
