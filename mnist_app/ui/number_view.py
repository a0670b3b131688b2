"""A number read from a drawing or a photo: the number, a box over each digit, each digit's answer.

Shared by the wide "number" canvas on the drawing page and the photo page.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from PIL import Image

from mnist_app import digit_or_not, numbers
from mnist_app.report.gallery import upscale_nearest
from mnist_app.ui import common
from mnist_app.ui.model_cards import HIGHLIGHT

#: The picture under the boxes is shown at most this wide (pixels sent to the browser).
FIGURE_WIDTH = 720
DIGIT_TILE = 72


def scorer_ready() -> bool:
    """The one-digit-or-not scorer numbers are read with: trained on first use with a progress
    bar (well under a minute, once per computer). False (and why) if it cannot be trained."""
    if digit_or_not.is_trained():
        return True
    with st.status("Learning what one digit looks like (once, under a minute)…", expanded=True) as status:
        bar = st.progress(0.0, text="Starting…")
        try:
            digit_or_not.get_scorer(progress=lambda fraction, message: bar.progress(
                min(max(fraction, 0.0), 1.0), text=message))
        except (OSError, ValueError) as error:
            status.update(label="Could not learn what one digit looks like", state="error")
            st.error(str(error))
            return False
        status.update(label="Ready to read numbers", state="complete", expanded=False)
    return True


def show_reading(picture: np.ndarray, reading: numbers.NumberReading, picture_scale: float = 1.0) -> None:
    """The number, big; the picture with a labelled box over each digit; each digit's answer.

    ``picture_scale``: the picture's pixels per input pixel (a big photo is shown shrunk).
    """
    with st.container(key="number_answer"):
        st.markdown(f"## {reading.text}")
        sure = min(reading.confidences)
        st.markdown(f"**{common.display_name(reading.model)}** reads **{reading.text}** "
                    f"({len(reading.digits)} digit{'s' if len(reading.digits) != 1 else ''}; "
                    f"the least sure digit {sure:.0%}).")
    st.plotly_chart(boxes_figure(picture, reading, picture_scale), config={"displayModeBar": False},
                    key="number_boxes")
    with st.container(horizontal=True, key="number_digits"):
        for position, (digit, confidence, image) in enumerate(
            zip(reading.digits, reading.confidences, reading.digit_images, strict=True)
        ):
            with st.container(width=DIGIT_TILE + 16, key=f"number_digit_{position}"):
                st.image(upscale_nearest(image, 3), width=DIGIT_TILE)
                st.markdown(f"**{digit}**")
                st.caption(f"{confidence:.0%} sure")


def boxes_figure(picture: np.ndarray, reading: numbers.NumberReading, picture_scale: float = 1.0
                 ) -> go.Figure:
    """The picture (scaled to ``FIGURE_WIDTH`` at most) with a box and the answer over each digit."""
    height, width = picture.shape[:2]
    shrink = min(1.0, FIGURE_WIDTH / width)
    scale = shrink * picture_scale  # input pixels -> figure pixels
    shown = Image.fromarray(np.ascontiguousarray(picture)).convert("RGB")
    if shrink < 1.0:
        shown = shown.resize((max(1, round(width * shrink)), max(1, round(height * shrink))))
    figure = go.Figure(go.Image(z=np.asarray(shown), hoverinfo="skip"))
    for (x0, y0, x1, y1), digit, confidence in zip(reading.boxes, reading.digits, reading.confidences,
                                                     strict=True):
        figure.add_shape(type="rect", x0=x0 * scale, y0=y0 * scale, x1=x1 * scale, y1=y1 * scale,
                         line={"color": HIGHLIGHT, "width": 3})
        figure.add_annotation(x=(x0 + x1) / 2 * scale, y=y0 * scale, text=f"{digit} ({confidence:.0%})",
                              showarrow=False, yshift=12, font={"color": HIGHLIGHT, "size": 16},
                              bgcolor="rgba(255,255,255,0.8)")
    figure.update_layout(margin={"l": 0, "r": 0, "t": 24, "b": 0}, height=max(200, shown.height + 30),
                         xaxis={"visible": False}, yaxis={"visible": False})
    return figure
