"""The photo page under AppTest: upload and camera, one digit and a number, bad files.

Synthetic paper photos (``mnist_app.synth.photos``) stand in for the phone's photos.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from mnist_app import models, numbers, photos, synth
from mnist_app.explain.verdict import PANEL, verdict_from_steps
from mnist_app.testing import answer_text
from mnist_app.ui import common, photo_page, steps_strip

PAGE = "from mnist_app.ui import photo_page\nphoto_page.render()"
MODEL = "knn"


@pytest.fixture(scope="module")
def trained(mnist_dir: Path) -> str:
    models.get_model(MODEL, data_dir=mnist_dir)
    return MODEL


def page() -> AppTest:
    at = AppTest.from_string(PAGE, default_timeout=120)
    at.session_state[common.MODEL_KEY] = MODEL
    return at.run()


def photo(digits: int, index: int = 0) -> synth.photos.PaperPhoto:
    return list(synth.photos.iter_paper_photos(index + 1, seed=7, digits=digits))[index]


def says(at: AppTest) -> list[str]:
    """The answers on the page: a digit's (its answer panel's sentence) and a number's (Markdown)."""
    numbers_read = [block.value for block in at.markdown if " reads " in block.value]
    return answer_text.answer_sentences(at) + numbers_read


def errors(at: AppTest) -> list[str]:
    return [element.value for element in at.error]


def test_the_page_prompts_and_offers_upload_and_camera(trained: str) -> None:
    at = page()
    assert not at.exception
    assert at.title[0].value == ":material/photo_camera: Photo of a digit"
    uploader = at.file_uploader(key="photo_upload")
    assert set(uploader.allowed_type) >= {".png", ".jpg", ".jpeg", ".webp"} or \
        set(uploader.allowed_type) >= {"png", "jpg", "jpeg", "webp"}
    assert "10 MB" in uploader.label
    assert any(photo_page.PROMPT in info.value for info in at.info)
    at.segmented_control(key="photo_source").set_value(photo_page.CAMERA).run()
    assert not at.exception
    assert len(at.camera_input) == 1 and len(at.file_uploader) == 0


def test_an_uploaded_photo_gets_the_drawing_pages_answer_and_steps(trained: str) -> None:
    sample = photo(1)
    at = page()
    at.file_uploader(key="photo_upload").upload("digit.jpg", sample.jpeg, "image/jpeg").run()
    assert not at.exception, at.exception
    expected = models.predict_digit(photos.photo_to_mnist(sample.jpeg), MODEL)
    # The drawing page's answer panel: the verdict, the answer, every trained model's card.
    [panel] = answer_text.panels(at)
    name = common.display_name(MODEL)
    assert says(at) == [f"{name} says {expected.label}, {expected.confidence:.0%} sure."]
    trained_panel = [model for model in PANEL if models.is_trained(model)]
    verdict = verdict_from_steps(photos.photo_steps(sample.jpeg), panel=trained_panel)
    assert answer_text.verdicts(at) == [(verdict.status, f"{verdict.headline} {verdict.reason}")]
    assert f"card_{MODEL}" in panel and "All models" in panel
    # What the model sees: the drawing page's figure, one element, each photo step in order.
    [figure] = [block.proto.body for block in at.get("html") if "steps-figure" in block.proto.body]
    assert figure == steps_strip.figure_html(photos.photo_steps(sample.jpeg), heading="What the model sees")
    assert "Adaptive threshold" in figure and not at.image


def test_a_camera_photo_is_answered(trained: str) -> None:
    sample = photo(1, index=1)
    at = page()
    at.segmented_control(key="photo_source").set_value(photo_page.CAMERA).run()
    at.camera_input(key="photo_camera").upload("photo.jpg", sample.jpeg).run()
    assert not at.exception, at.exception
    expected = models.predict_digit(photos.photo_to_mnist(sample.jpeg), MODEL)
    assert f"says {expected.label}," in " ".join(says(at))


def test_a_number_is_read_with_boxes_and_each_digits_confidence(trained: str) -> None:
    sample = photo(3)
    at = page()
    at.segmented_control(key="photo_mode").set_value(photo_page.NUMBER).run()
    at.file_uploader(key="photo_upload").upload("number.jpg", sample.jpeg, "image/jpeg").run()
    assert not at.exception, at.exception
    reading = numbers.read_number(sample.jpeg, MODEL)
    assert f"reads **{reading.text}**" in " ".join(says(at))
    figure = at.get("plotly_chart")[0].proto.spec
    assert figure.count('"type":"rect"') == len(reading.digits)
    sure = [caption.value for caption in at.caption if caption.value.endswith("% sure")]
    assert sure == [f"{confidence:.0%} sure" for confidence in reading.confidences]


def test_the_first_number_learns_what_one_digit_looks_like_with_progress(
        trained: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from mnist_app import digit_or_not

    real = digit_or_not.get_scorer
    reported: list[float] = []

    def first_use(**kwargs: object) -> object:  # as on a new computer: progress, then the scorer
        progress = kwargs.get("progress")
        for fraction in (0.0, 0.5, 1.0) if progress else ():
            progress(fraction, "Cutting numbers into pieces")
            reported.append(fraction)
        return real()

    monkeypatch.setattr(digit_or_not, "is_trained", lambda data_dir=None: False)
    monkeypatch.setattr(digit_or_not, "get_scorer", first_use)
    sample = photo(3)
    at = page()
    at.segmented_control(key="photo_mode").set_value(photo_page.NUMBER).run()
    at.file_uploader(key="photo_upload").upload("number.jpg", sample.jpeg, "image/jpeg").run()
    assert not at.exception, at.exception
    assert reported == [0.0, 0.5, 1.0]
    assert [status.label for status in at.status] == ["Ready to read numbers"]
    monkeypatch.setattr(digit_or_not, "get_scorer", real)
    assert f"reads **{numbers.read_number(sample.jpeg, MODEL).text}**" in " ".join(says(at))


@pytest.mark.parametrize("content, message", [
    (b"not an image at all", "not an image"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, "not an image"),
])
def test_a_corrupt_file_gets_a_clear_message(trained: str, content: bytes, message: str) -> None:
    at = page()
    at.file_uploader(key="photo_upload").upload("broken.png", content, "image/png").run()
    assert not at.exception
    assert any(message in text for text in errors(at))


def test_a_photo_of_blank_paper_says_there_is_no_digit(trained: str) -> None:
    rng = np.random.default_rng(0)
    paper = np.clip(rng.normal(235, 4, (480, 640, 3)), 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(paper).save(buffer, format="JPEG", quality=80)
    at = page()
    at.file_uploader(key="photo_upload").upload("paper.jpg", buffer.getvalue(), "image/jpeg").run()
    assert not at.exception
    assert not says(at)
    assert any("No ink found" in info.value or "No digit" in info.value for info in at.info)


def test_a_file_over_10_mb_is_refused(trained: str) -> None:
    at = page()
    big = photo(1).jpeg + b"\x00" * (10 * 1024 * 1024)
    at.file_uploader(key="photo_upload").upload("huge.jpg", big, "image/jpeg").run()
    assert not at.exception
    assert not says(at)
    assert any("at most 10 MB" in text for text in errors(at))
