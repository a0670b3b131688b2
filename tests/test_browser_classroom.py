"""A class in a real browser: the teacher creates it and watches Our class; a student joins through the
``?class=`` link, draws, corrects the answer, and the digit appears live on the teacher's page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mnist_app import classroom, paths
from mnist_app.testing.browser import (
    ANSWER,
    CANVAS,
    expect,
    mouse_stroke,
    streamlit_server,
    vertical_line,
    wait_until_idle,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def class_server(trained_for_browser, mnist_dir: Path, tmp_path_factory) -> Iterator[tuple[str, str]]:
    """`streamlit run` with its own classroom database; yields (base URL, database URL)."""
    folder = tmp_path_factory.mktemp("class-server")
    database = f"sqlite:///{folder / 'classes.sqlite3'}"
    env = {paths.DATA_DIR_ENV: str(mnist_dir), classroom.DATABASE_URL_ENV: database}
    with streamlit_server(folder / "server.log", env=env) as url:
        yield url, database


def new_page(browser: Any) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(45_000)
    return context.new_page()


def test_join_by_link_draw_correct_and_see_it_live_on_our_class(browser, class_server, screenshot_dir):
    url, database = class_server
    teacher = new_page(browser)
    teacher.goto(f"{url}classroom")
    teacher.get_by_role("textbox", name="Class name").fill("7B maths")
    teacher.get_by_role("button", name="Create the class").click()
    code = teacher.locator(".class-code").inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9]{6}", code)
    expect(teacher.get_by_text("Teacher key:")).to_be_visible()
    expect(teacher.locator("[data-testid=stImage] img").first).to_be_visible()  # the QR code
    caption = teacher.get_by_text("Scan to join, or open").inner_text()
    link = re.search(r"open (\S+)", caption).group(1)
    assert link == f"{url}?class={code}", "the QR code's link is this app's address with ?class="
    teacher.locator("[data-testid=stSidebarNav]").get_by_text("Our class").click()
    expect(teacher.get_by_text("No digits saved yet")).to_be_visible(timeout=30_000)

    student = new_page(browser)
    student.goto(link)  # what scanning the QR code opens
    code_box = student.get_by_role("textbox", name="Class code")
    expect(code_box).to_have_value(code, timeout=30_000)
    student.get_by_role("textbox", name="Your nickname").fill("Ada")
    student.get_by_role("button", name="Join").click()
    student.locator(CANVAS).wait_for()  # the drawing page opened
    wait_until_idle(student)
    mouse_stroke(student, vertical_line())
    expect(student.locator(ANSWER)).to_contain_text("says 1", timeout=30_000)
    save = student.locator(".st-key-class_save")
    expect(save).to_contain_text("Was it a 1?", timeout=30_000)
    save.locator(".st-key-class_save_digits").get_by_role("button", name="7", exact=True).click()
    expect(save).to_contain_text("Saved as a 7", timeout=30_000)
    student.screenshot(path=screenshot_dir / "class-student-saved.png", full_page=True)

    [saved] = classroom.open_store(database).drawings(code)
    assert (saved.label, saved.student) == (7, "Ada")
    # The teacher's page updates by itself (the live fragment), without a reload.
    expect(teacher.get_by_text("1 digit from 1 student")).to_be_visible(timeout=30_000)
    expect(teacher.get_by_text(re.compile(r"meant 7: fooled \d+ of \d+ · Ada"))).to_be_visible(timeout=30_000)
    teacher.screenshot(path=screenshot_dir / "class-teacher-live.png", full_page=True)
    teacher.context.close()
    student.context.close()
