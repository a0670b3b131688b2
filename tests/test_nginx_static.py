"""The proxy of docs/deploy.md serves the page's files itself, compressed: the replicas never do."""

from __future__ import annotations

import contextlib
import functools
import gzip
import http.server
import os
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from mnist_app.testing.nginx import NGINX, frontend_dirs, nginx_proxy


@contextlib.contextmanager
def health_only_upstream(folder: Path) -> Iterator[int]:
    """A stand-in replica that only knows ``/_stcore/health``: anything else it would 404."""
    (folder / "_stcore").mkdir()
    (folder / "_stcore" / "health").write_text("ok")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()


def fetch(url: str) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and the (uncompressed) body of a GET that accepts gzip."""
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=10) as response:
        body, headers = response.read(), dict(response.headers)
    if headers.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    return response.status, headers, body


def test_index_streamlit_files_and_the_canvas_component_come_from_nginx_gzipped(tmp_path: Path) -> None:
    if not NGINX.is_file():
        message = f"nginx not installed at {NGINX}"
        pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)
    frontend, canvas = frontend_dirs()
    script = next((frontend / "static" / "js").glob("index.*.js"))
    component = next(canvas.glob("*.js"))
    with health_only_upstream(tmp_path) as port, nginx_proxy([port]) as proxy:
        status, headers, body = fetch(proxy.url)
        assert status == 200 and body == (frontend / "index.html").read_bytes()
        status, headers, body = fetch(f"{proxy.url}static/js/{script.name}")
        assert status == 200 and headers["Content-Type"] == "application/javascript"
        assert headers.get("Content-Encoding") == "gzip" and body == script.read_bytes()
        name = "streamlit-drawable-canvas.streamlit_drawable_canvas"
        status, headers, body = fetch(f"{proxy.url}_stcore/bidi-components/{name}/{component.name}")
        assert status == 200 and headers.get("Content-Encoding") == "gzip" and body == component.read_bytes()
        # Everything else still goes to the replicas.
        assert fetch(f"{proxy.url}_stcore/health")[2] == b"ok"
