"""The drawing page's answer as ONE HTML element per stroke: the chosen model's note, the verdict,
its answer (the digit, big, and a sentence) and every model's card; and the phone's one-line answer.

Every stroke of every student re-sends the drawing fragment's elements. As Streamlit elements
the note, the verdict box, the answer and the cards were six messages (a caption, a keyed
container and an alert, a keyed container and a Markdown answer, the cards); as one ``st.html``
they are one (docs/benchmarks.md, issue 12 round 7). The text is ours (model names and notes,
digits, percentages, the verdict's sentences), escaped all the same. Screen readers get a
labelled section, the verdict as a status and the digit as a heading; icons are hidden from them.
"""

from __future__ import annotations

import html
from collections.abc import Mapping

import streamlit as st

from mnist_app import models, preprocess
from mnist_app.explain.verdict import Verdict
from mnist_app.ui import common, model_cards, probability_chart, verdict_panel

#: The class of the answer's section (the browser tests find the answer by it).
PANEL_CLASS = "answer-panel"
#: Material Symbols (the font Streamlit ships) by verdict status; "prompt" is the blank canvas's.
ICONS = {"digit": "check_circle", "unsure": "help", "not_a_digit": "block", "prompt": "draw"}

# Boxes tinted in the status colour on either theme, with the theme's own text colour. The page
# sends this once (with its own style), outside the drawing's fragment: not on every stroke.
STYLE = """<style>
.answer-panel .model-about { font-size: 0.875rem; opacity: 0.7; margin: 0 0 1rem 0; }
.answer-panel .status-box { display: flex; gap: 0.75rem; align-items: flex-start; margin: 0 0 1rem 0;
  padding: 0.75rem 1rem; border-radius: 0.5rem; border-left: 0.25rem solid; }
.answer-panel .status-box p { margin: 0; }
.answer-panel .verdict-digit { background: rgba(33, 195, 84, 0.12); border-color: rgb(33, 195, 84); }
.answer-panel .verdict-unsure { background: rgba(255, 189, 69, 0.16); border-color: rgb(255, 189, 69); }
.answer-panel .verdict-not_a_digit { background: rgba(255, 43, 43, 0.12); border-color: rgb(255, 43, 43); }
.answer-panel .prompt { background: rgba(28, 131, 225, 0.12); border-color: rgb(28, 131, 225); }
.answer-panel .icon { font-family: "Material Symbols Rounded"; font-size: 1.25rem; line-height: 1.5;
  user-select: none; }
.answer-panel h1.answer-digit { font-size: 7rem; font-weight: 700; line-height: 1; padding: 0; margin: 0; }
.answer-panel .answer-sentence { margin: 0.5rem 0 1rem 0; }
</style>"""


def status_box(kind: str, icon: str, headline: str, text: str) -> str:
    """A box of CSS class(es) ``kind`` with a Material ``icon``, a bold ``headline`` (if any) and ``text``."""
    title = f"<strong>{html.escape(headline)}</strong><br>" if headline else ""
    return (f"<div class='status-box {kind}' role='status'>"
            f"<span class='icon' aria-hidden='true'>{icon}</span><p>{title}{html.escape(text)}</p></div>")


def verdict_box(result: Verdict) -> str:
    """The verdict ("It's a 4", "Not sure: 4 or 9?", ...) and its reason, tinted by its status."""
    status = result.status
    return status_box(f"verdict verdict-{status}", ICONS[status], result.headline, result.reason)


def sentence(title: str, answer: models.Prediction) -> str:
    """"<strong>CNN</strong> says <strong>7</strong>, 98% sure." (the load client reads the digit)."""
    return (f"<strong>{html.escape(title)}</strong> says <strong>{answer.label}</strong>, "
            f"{answer.confidence:.0%} sure.")


def panel_html(about: list[str], *, prompt: str | None = None, verdict: Verdict | None = None,
               title: str = "", answer: models.Prediction | None = None, cards: str = "") -> str:
    """The whole answer section: the model's notes (``about``), then the ``prompt`` (nothing to answer
    yet) or the ``verdict``, the chosen model's ``answer`` (shown as ``title``) and ``cards``."""
    parts = [f"<p class='model-about'>{html.escape(line)}</p>" for line in about]
    if prompt is not None:
        parts.append(status_box("prompt", ICONS["prompt"], "", prompt))
    if verdict is not None:
        parts.append(verdict_box(verdict))
    if answer is not None:
        parts.append(f"<h1 class='answer-digit'>{answer.label}</h1>"
                     f"<p class='answer-sentence'>{sentence(title, answer)}</p>")
    parts.append(cards)
    return f"<section class='{PANEL_CLASS}' aria-label='Answer'>{''.join(parts)}</section>"


def all_cards(answers: Mapping[str, models.Prediction], titles: Mapping[str, str], chosen: str,
              notes: Mapping[str, str | None]) -> str:
    """Every model's card under the heading "All models" (:func:`model_cards.cards_html`)."""
    return model_cards.cards_html(answers, titles, chosen, notes, heading="All models")


def quick_html(title: str, answer: models.Prediction) -> str:
    """The phone's one-line answer under the canvas (the page's style hides it on wider screens)."""
    return (f"<div class='quick-answer'><h3>Answer: {answer.label}</h3>"
            f"<p><small>{html.escape(title)}, {answer.confidence:.0%} sure. More below.</small></p></div>")


def show(pipeline: list[preprocess.Step] | None, prompt: str, name: str,
         answers: Mapping[str, models.Prediction], verdict: Verdict | None) -> models.Prediction | None:
    """The drawing page's answer column under the picker: the panel (one element), then the chosen
    model's probabilities (a plotly chart). Returns the chosen model's answer, or None: a blank
    canvas (the panel shows ``prompt``) or an untrained model (the caller offers training)."""
    about = common.model_notes(name)
    answer = None if pipeline is None else answers.get(name)
    if answer is None:
        st.html(panel_html(about, prompt=prompt) if pipeline is None else panel_html(about, verdict=verdict))
        return None
    consensus = verdict_panel.majority({model: found.label for model, found in answers.items()})
    titles = {model: common.display_name(model) for model in answers}
    notes = {model: verdict_panel.disagreement_text(found.label, consensus)
             for model, found in answers.items()}
    st.html(panel_html(about, verdict=verdict, title=titles[name], answer=answer,
                       cards=all_cards(answers, titles, name, notes)))
    chart = probability_chart.chart(answer.probabilities, f"How sure {titles[name]} is, for each digit (%)")
    st.plotly_chart(chart, config={"displayModeBar": False}, key="probabilities")
    return answer
