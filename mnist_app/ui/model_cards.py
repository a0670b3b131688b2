"""Every model's answer as small cards, side by side: ONE HTML element for all of them.

The drawing page sends the cards on every stroke of every student; as Streamlit containers
they were about seventeen page elements, as one ``st.html`` they are one (docs/benchmarks.md,
issue 12 round 2). The text is ours (model names, digits, percentages), escaped all the same.
"""

from __future__ import annotations

import html
from collections.abc import Mapping

from mnist_app import models

#: Two cards side by side on a phone.
CARD_WIDTH = 170
HIGHLIGHT = "#ff4b4b"  # Streamlit's primary red, as the page's answer

STYLE = f"""<style>
.model-cards {{ display: flex; flex-wrap: wrap; gap: 0.5rem; }}
.model-card {{ width: {CARD_WIDTH}px; box-sizing: border-box; padding: 0.5rem 0.75rem;
  border: 1px solid rgba(128, 128, 128, 0.3); border-radius: 0.5rem; }}
.model-card.chosen {{ border: 2px solid {HIGHLIGHT}; }}
.model-card .card-name, .model-card .card-sure, .model-card .card-note {{
  font-size: 0.875rem; opacity: 0.7; }}
.model-card .card-digit {{ font-size: 2.25rem; font-weight: 700; line-height: 1.3; }}
</style>"""


def card(name: str, title: str, answer: models.Prediction, chosen: bool, note: str | None) -> str:
    """One model's card: its name (bold when chosen), its digit, big, how sure, and a note."""
    shown = f"<strong>{html.escape(title)}</strong>" if chosen else html.escape(title)
    parts = [
        f"<div class='card-name'>{shown}</div>",
        f"<div class='card-digit'>{answer.label}</div>",
        f"<div class='card-sure'>{answer.confidence:.0%} sure</div>",
    ]
    if note:
        parts.append(f"<div class='card-note'>{html.escape(note)}</div>")
    classes = f"model-card card_{html.escape(name)}" + (" chosen" if chosen else "")
    return f"<div class='{classes}'>{''.join(parts)}</div>"


def cards_html(answers: Mapping[str, models.Prediction], titles: Mapping[str, str], chosen: str,
               notes: Mapping[str, str | None], heading: str | None = None) -> str:
    """Every card of ``answers`` (name -> answer) in one flex row that wraps, with its style, under
    ``heading`` if given (in the same element: one message less per stroke than a subheader)."""
    cards = "".join(card(name, titles[name], answer, name == chosen, notes.get(name))
                    for name, answer in answers.items())
    title = "" if heading is None else f"<h3>{html.escape(heading)}</h3>"
    return f"{STYLE}{title}<div class='model-cards'>{cards}</div>"
