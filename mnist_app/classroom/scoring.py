"""How the models do on a class's own digits: per-model scores, a confusion matrix, the hardest digits.

A drawing carries every model's answer from the moment it was saved; a model trained
later has no answer there, so its answers are computed now (through the one prediction
path, ``models.predict_digits``) for just those drawings.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.metrics import confusion_matrix

from mnist_app import models
from mnist_app.classroom.store import Drawing


@dataclass(frozen=True)
class ModelScore:
    """One model on the class's digits."""

    model: str
    correct: int
    total: int

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else float("nan")


def model_answers(drawings: Sequence[Drawing], name: str) -> np.ndarray:
    """Model ``name``'s digit for each drawing (int array); saved answers, else computed now.

    Returns -1 for drawings it has no saved answer for while it is not trained.
    """
    answers = np.array([drawing.answers.get(name, -1) for drawing in drawings], dtype=int)
    missing = np.flatnonzero(answers < 0)
    if len(missing) and models.is_trained(name):
        digits = np.stack([drawings[i].digit for i in missing])
        answers[missing] = np.argmax(models.predict_digits(digits, name), axis=1)
    return answers


def all_answers(drawings: Sequence[Drawing], names: Sequence[str]) -> dict[str, np.ndarray]:
    """``model_answers`` for every model in ``names`` that answered every drawing."""
    found = {name: model_answers(drawings, name) for name in names}
    return {name: answers for name, answers in found.items() if np.all(answers >= 0)}


def labels(drawings: Sequence[Drawing]) -> np.ndarray:
    """The digit each drawing shows (what the student meant)."""
    return np.array([drawing.label for drawing in drawings], dtype=int)


def scores(drawings: Sequence[Drawing], answers: dict[str, np.ndarray]) -> list[ModelScore]:
    """Each model's right answers on the class's digits, best first."""
    truth = labels(drawings)
    found = [ModelScore(name, int(np.sum(predicted == truth)), len(truth))
             for name, predicted in answers.items()]
    return sorted(found, key=lambda score: -score.correct)


def confusion(drawings: Sequence[Drawing], predicted: np.ndarray) -> np.ndarray:
    """10x10 counts: rows the digit meant, columns the model's answer."""
    return confusion_matrix(labels(drawings), predicted, labels=list(range(10)))


def cell(drawings: Sequence[Drawing], predicted: np.ndarray, true: int, answer: int) -> list[Drawing]:
    """The drawings of one confusion cell (meant ``true``, answered ``answer``), newest first."""
    truth = labels(drawings)
    return [drawings[i] for i in np.flatnonzero((truth == true) & (predicted == answer))[::-1]]


def fooled_most(drawings: Sequence[Drawing], answers: dict[str, np.ndarray]) -> list[tuple[Drawing, int]]:
    """Drawings at least one model got wrong, with how many models it fooled, most fooled first."""
    if not answers or not drawings:
        return []
    truth = labels(drawings)
    wrong = np.sum([predicted != truth for predicted in answers.values()], axis=0)
    order = sorted(np.flatnonzero(wrong > 0), key=lambda i: (-wrong[i], -i))
    return [(drawings[i], int(wrong[i])) for i in order]


def per_digit(drawings: Sequence[Drawing]) -> np.ndarray:
    """How many drawings of each digit 0-9."""
    return np.bincount(labels(drawings), minlength=10)[:10]


def per_student(drawings: Sequence[Drawing]) -> dict[str, int]:
    """How many drawings each student saved, most first."""
    return dict(Counter(drawing.student for drawing in drawings).most_common())
