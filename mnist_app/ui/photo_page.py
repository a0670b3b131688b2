"""The photo page: a photo (upload or the phone's camera) of a digit or a number written on paper.

One digit gets the drawing page's answer panel (verdict, answer, every model's card) and "what
the model sees", with the photo's own steps first (paper and light estimated, ink
thresholded, ruled lines removed). A number gets the number, a box over each digit and
each digit's answer.
"""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from mnist_app import numbers, photos
from mnist_app.preprocess.photo_files import MAX_UPLOAD_BYTES, load_photo
from mnist_app.ui import answer_panel, common, draw_page, number_view, verdict_panel

PHOTO_TYPES = ["png", "jpg", "jpeg", "webp"]
UPLOAD, CAMERA = "Upload a photo", "Camera"
ONE_DIGIT, NUMBER = "One digit", "A number"
ICON = ":material/photo_camera:"
PROMPT = ("Write a digit (or a number) on paper in pen or pencil, then upload a photo of it "
          "or take one with the camera.")
MAX_UPLOAD_MB = MAX_UPLOAD_BYTES // (1024 * 1024)


def render() -> None:
    """The whole page (the entry point ``st.Page`` runs)."""
    st.html(answer_panel.STYLE)
    st.title(":material/photo_camera: Photo of a digit")
    photo_column, answer_column = st.columns([1, 1], gap="large")
    with photo_column:
        mode = st.segmented_control("Read", [ONE_DIGIT, NUMBER], default=ONE_DIGIT, key="photo_mode",
                                    required=True)
        data = photo_input()
    with answer_column:
        # A digit's answer panel says what the model does; the prompt and a number need the picker to.
        name = common.model_picker(describe=data is None or mode == NUMBER)
    if data is None:
        with answer_column:
            st.info(PROMPT, icon=ICON)
        return
    if mode == NUMBER:
        show_number(data, name, photo_column, answer_column)
    else:
        show_digit(data, name, photo_column, answer_column)


def photo_input() -> bytes | None:
    """The upload or the camera (the user picks); the photo's bytes, or None (after saying why)."""
    source = st.segmented_control("Photo from", [UPLOAD, CAMERA], default=UPLOAD, key="photo_source",
                                  required=True)
    if source == CAMERA:
        photo = st.camera_input("Take a photo of the digit", key="photo_camera")
    else:
        photo = st.file_uploader(f"A photo (PNG, JPEG or WebP, at most {MAX_UPLOAD_MB} MB)", type=PHOTO_TYPES,
                                 key="photo_upload", max_upload_size=MAX_UPLOAD_MB)
    if photo is None:
        return None
    if photo.size > MAX_UPLOAD_BYTES:
        st.error(f"This file is {photo.size / 1024 / 1024:.1f} MB: at most {MAX_UPLOAD_MB} MB, please.",
                 icon=":material/error:")
        return None
    return photo.getvalue()


def show_digit(data: bytes, name: str, photo_column: DeltaGenerator, answer_column: DeltaGenerator) -> None:
    """One digit, as the drawing page answers a drawing: the answer panel (the verdict, the chosen
    model's answer, every model's card) beside the photo, what the model sees under it."""
    with answer_column:
        pipeline = common.or_say_why(lambda: photos.photo_steps(data), PROMPT, ICON)
        if pipeline is None:
            return
        answers = draw_page.every_answer(pipeline)
        verdict = verdict_panel.decide(pipeline, answers)
        if answer_panel.show(pipeline, PROMPT, name, answers, verdict) is None:
            draw_page.offer_training(name)
        else:
            draw_page.untrained_models(answers)
    with photo_column:
        draw_page.show_steps_figure(pipeline)


def show_number(data: bytes, name: str, photo_column: DeltaGenerator,
                answer_column: DeltaGenerator) -> None:
    """A number: read with the chosen model, boxes over the photo, each digit's answer."""
    with answer_column:
        if not common.is_trained(name):
            draw_page.offer_training(name)
            return
        if not number_view.scorer_ready():
            return
        reading = common.or_say_why(lambda: numbers.read_number(data, name), PROMPT, ICON)
        if reading is None:
            return
    with photo_column:
        picture, scale = load_photo(data)  # upright and shrunk, as it was read
        number_view.show_reading(picture, reading, scale)
