"""What the drawing page's answer panel (:mod:`mnist_app.ui.answer_panel`) says, read from an AppTest.

The panel is one HTML element (the model's note, the verdict, the big digit and its sentence,
every model's card); these helpers give tests its parts as plain text.
"""

from __future__ import annotations

import html
import re
from typing import Any

from mnist_app.ui import answer_panel

_TAG = re.compile(r"<[^>]+>")
_STYLE = re.compile(r"<style>.*?</style>", re.S)
_ANSWER = re.compile(r"<h1 class='answer-digit'>(\d)</h1><p class='answer-sentence'>(.*?)</p>")
_NOTE = re.compile(r"<p class='model-about'>(.*?)</p>")
_BOX = re.compile(r"<div class='status-box ([\w -]+)' role='status'>.*?<p>(.*?)</p></div>")


def plain(markup: str) -> str:
    """``markup`` without its style and tags, entities decoded."""
    return html.unescape(_TAG.sub("", _STYLE.sub("", markup)))


def panels(at: Any) -> list[str]:
    """The HTML of every answer panel on the page (one on the drawing page)."""
    marker = f"class='{answer_panel.PANEL_CLASS}'"
    return [block.proto.body for block in at.get("html") if marker in block.proto.body]


def answer_sentences(at: Any) -> list[str]:
    """The chosen model's sentence in each panel ("CNN says 7, 98% sure."), checked to follow the
    big digit it names."""
    sentences = []
    for panel in panels(at):
        for digit, sentence in _ANSWER.findall(panel):
            text = plain(sentence)
            assert f" says {digit}," in text, (digit, text)
            sentences.append(text)
    return sentences


def boxes(at: Any) -> list[tuple[str, str]]:
    """Each panel's boxes: (their CSS classes, their text), e.g. ("verdict verdict-digit", "It's a 1 ...")."""
    return [(kind, plain(text.replace("<br>", " ")))
            for panel in panels(at) for kind, text in _BOX.findall(panel)]


def verdicts(at: Any) -> list[tuple[str, str]]:
    """Each panel's verdict: (its status, its text), e.g. ("digit", "It's a 1 The models agree: ...")."""
    return [(kind.removeprefix("verdict verdict-"), text)
            for kind, text in boxes(at) if kind.startswith("verdict ")]


def prompts(at: Any) -> list[str]:
    """The prompt (what to do) that a panel shows instead of an answer, if any."""
    return [text for kind, text in boxes(at) if kind == "prompt"]


def notes(at: Any) -> list[str]:
    """The model's notes at the top of each panel (what it does)."""
    return [plain(note) for panel in panels(at) for note in _NOTE.findall(panel)]
