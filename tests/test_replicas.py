"""Two `streamlit run` replicas behind a real nginx (sticky sessions, websockets proxied) sharing one
PostgreSQL: a digit saved through the proxy (on one replica) shows on the other replica's class page."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

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
from mnist_app.testing.nginx import NGINX, Proxy, nginx_proxy
from mnist_app.testing.postgres import new_database

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def replicas(trained_for_browser, mnist_dir: Path, postgres_server_url: str,
             tmp_path_factory) -> Iterator[tuple[Proxy, list[str], str]]:
    """nginx in front of two replicas on one PostgreSQL database: (proxy, replica URLs, database URL)."""
    if not NGINX.is_file():
        message = f"nginx not found at {NGINX}: apt-get install -y nginx (scripts/ensure-system-packages.sh)"
        pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)
    folder = tmp_path_factory.mktemp("replicas")
    database = new_database(postgres_server_url)
    env = {paths.DATA_DIR_ENV: str(mnist_dir), classroom.DATABASE_URL_ENV: database}
    with (streamlit_server(folder / "a.log", env=env) as replica_a,
          streamlit_server(folder / "b.log", env=env) as replica_b):
        with nginx_proxy([urlsplit(u).port for u in (replica_a, replica_b)]) as proxy:
            yield proxy, [replica_a, replica_b], database


def new_page(browser: Any) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(45_000)
    return context.new_page()


def test_a_save_through_the_proxy_shows_on_the_other_replica(browser, replicas) -> None:
    proxy, replica_urls, database = replicas
    code, _ = classroom.open_store(database).create_class("7B maths")

    student = new_page(browser)
    student.goto(f"{proxy.url}?class={code}")
    expect(student.get_by_role("textbox", name="Class code")).to_have_value(code, timeout=30_000)
    student.get_by_role("textbox", name="Your nickname").fill("Ada")
    student.get_by_role("button", name="Join").click()
    student.locator(CANVAS).wait_for()
    wait_until_idle(student)
    mouse_stroke(student, vertical_line())
    expect(student.locator(ANSWER)).to_contain_text("says 1", timeout=30_000)
    student.locator(".st-key-class_save_digits").get_by_role("button", name="7", exact=True).click()
    # Saved over the proxied websocket.
    expect(student.locator(".st-key-class_save")).to_contain_text("Saved as a 7", timeout=30_000)
    student.context.close()

    used = proxy.upstreams_used()
    assert len(used) == 1, f"one client's requests must all reach one replica (sticky), not {used}"
    [serving] = used
    [other] = [url for url in replica_urls if urlsplit(url).netloc != serving]

    teacher = new_page(browser)
    teacher.goto(f"{other}our-class")
    teacher.get_by_role("textbox", name="Class code").fill(code)
    teacher.get_by_role("textbox", name="Class code").press("Enter")
    expect(teacher.get_by_text("1 digit from 1 student")).to_be_visible(timeout=30_000)
    expect(teacher.get_by_text(re.compile(r"meant 7: fooled \d+ of \d+ · Ada"))).to_be_visible(timeout=30_000)
    teacher.context.close()
