"""The honest answer the drawing and photo pages' answer panel shows first: "It's a 4", "Not sure:
4 or 9?", "not a digit"; and the majority the models' cards are compared with.

The verdict (:mod:`mnist_app.explain.verdict`) is remembered per drawing in the session,
so reruns that do not change the drawing (switching models, opening a popover) cost nothing.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping

import numpy as np
import streamlit as st

from mnist_app import models, preprocess
from mnist_app.explain.verdict import PANEL, Verdict, verdict_from_steps
from mnist_app.ui import common

#: Session-state key of the last drawing's verdict: (digest of its digit, verdict).
MEMO_KEY = "verdict_memo"


def decide(pipeline: list[preprocess.Step], answers: Mapping[str, models.Prediction] | None = None
           ) -> Verdict | None:
    """The verdict on the drawing (from its ``preprocess.steps``), None while no panel model is trained.

    ``answers``: models' ``Prediction``s for this drawing already computed (name -> answer),
    so the verdict does not ask those models again (the answer panel shows it)."""
    offered = set(common.model_names())
    panel = [name for name in PANEL if name in offered and common.is_trained(name)]
    if not panel:
        return None
    known = {name: answer.probabilities for name, answer in (answers or {}).items()}
    return remembered_verdict(pipeline, panel, known)


def remembered_verdict(pipeline: list[preprocess.Step], panel: list[str],
                       probabilities: dict[str, np.ndarray] | None = None) -> Verdict:
    """``verdict_from_steps(pipeline, panel=panel)``, computed once per drawing and panel."""
    trained = tuple(panel)
    digest = hashlib.blake2b(np.ascontiguousarray(pipeline[-1].image).tobytes(), digest_size=16).hexdigest()
    memo = st.session_state.get(MEMO_KEY)
    if memo is not None and memo[0] == (digest, trained):
        return memo[1]
    result = verdict_from_steps(pipeline, panel=panel, probabilities=probabilities or None)
    st.session_state[MEMO_KEY] = ((digest, trained), result)
    return result


def majority(answers: dict[str, int]) -> int | None:
    """The digit most models answer, or None when there is no strict majority (or no answer)."""
    if not answers:
        return None
    digit, count = Counter(answers.values()).most_common(1)[0]
    return digit if count > len(answers) / 2 else None


def disagreement_text(answer: int, consensus: int | None) -> str | None:
    """The note a model's card gets when it disagrees with the majority (None when it agrees)."""
    if consensus is None:
        return "no majority"
    if answer != consensus:
        return f"disagrees (most say {consensus})"
    return None
