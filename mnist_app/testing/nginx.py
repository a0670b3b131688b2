"""nginx in front of several ``streamlit run`` replicas, on loopback (Debian's ``nginx`` package).

The same proxy settings as docs/deploy.md: sticky sessions by client address (``ip_hash``:
a Streamlit session lives in one server process) and websockets proxied (Streamlit talks
over one). Everything nginx writes goes into a temporary folder.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from mnist_app.testing import processes
from mnist_app.testing.browser import free_port

NGINX = Path("/usr/sbin/nginx")
START_SECONDS = 20

CONFIG = """\
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 512; }}
http {{
    log_format upstreams '$remote_addr $upstream_addr "$request" $status';
    access_log {folder}/access.log upstreams;
    client_body_temp_path {folder}/client_body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
{body}
}}
"""

#: The part of the configuration a school copies (docs/deploy.md shows it).
SITE = """\
    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ''      close;
    }}
    upstream mnist_app {{
        ip_hash;  # sticky: one student's session stays on one replica
{servers}
    }}
    server {{
        listen {listen};
        client_max_body_size 120m;  # class ZIP imports
        # What a new student's browser fetches before the page can run (index.html, ~100 files,
        # 3 MB of Streamlit's JavaScript and CSS, the canvas component's) comes straight from
        # disk, compressed: the replicas' Python, busy with strokes, never serves it.
        types {{
            text/html html;
            application/javascript js;
            text/css css;
            font/woff2 woff2;
            image/png png;
            image/gif gif;
            image/svg+xml svg;
        }}
        gzip on;
        gzip_types application/javascript text/css image/svg+xml;
        location = / {{
            root {frontend};
            try_files /index.html =404;
            add_header Cache-Control no-cache;
        }}
        location /static/ {{
            alias {frontend}/static/;
            expires 7d;  # the file names carry a content hash
        }}
        location /_stcore/bidi-components/streamlit-drawable-canvas.streamlit_drawable_canvas/ {{
            alias {canvas}/;
            add_header Cache-Control no-cache;
        }}
        location / {{
            proxy_pass http://mnist_app;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_read_timeout 1h;
            proxy_buffering off;
        }}
    }}"""


@dataclass(frozen=True)
class Proxy:
    """A running nginx: its base URL, and its access log (client, upstream replica, request, status)."""

    url: str
    access_log: Path

    def upstreams_used(self) -> set[str]:
        """The replica addresses (``host:port``) nginx has sent requests to so far."""
        lines = self.access_log.read_text().splitlines() if self.access_log.exists() else []
        return {line.split()[1] for line in lines if len(line.split()) > 1 and line.split()[1] != "-"}


class NginxUnavailable(RuntimeError):
    """nginx is not installed or would not start; the message says why."""


def site_config(listen: str, upstreams: Sequence[str]) -> str:
    """The ``upstream`` and ``server`` blocks for replicas at ``upstreams`` (``host:port``)."""
    servers = "\n".join(f"        server {address};" for address in upstreams)
    frontend, canvas = frontend_dirs()
    return SITE.format(listen=listen, servers=servers, frontend=frontend, canvas=canvas)


def frontend_dirs() -> tuple[Path, Path]:
    """The installed Streamlit's built frontend (index.html, static/) and the canvas component's."""
    import importlib.util

    # Found, not imported: the package outside mnist_app/ui never imports Streamlit.
    found = {name: importlib.util.find_spec(name) for name in ("streamlit", "streamlit_drawable_canvas")}
    missing = [name for name, spec in found.items() if spec is None or spec.origin is None]
    if missing:
        raise NginxUnavailable(f"{', '.join(missing)} not installed")
    streamlit, canvas = (Path(found[name].origin).resolve().parent for name in found)
    return streamlit / "static", canvas / "frontend" / "build"


@contextlib.contextmanager
def nginx_proxy(upstream_ports: Sequence[int]) -> Iterator[Proxy]:
    """nginx on a free loopback port in front of ``upstream_ports``; yields it, then stops it."""
    if not NGINX.is_file():
        raise NginxUnavailable(f"nginx not found at {NGINX}: apt-get install -y nginx "
                               "(scripts/ensure-system-packages.sh)")
    folder = Path(tempfile.mkdtemp(prefix="mnist-app-nginx-"))
    port = free_port()
    body = site_config(f"127.0.0.1:{port}", [f"127.0.0.1:{p}" for p in upstream_ports])
    config = folder / "nginx.conf"
    config.write_text(CONFIG.format(folder=folder, body=body))
    server = subprocess.Popen([str(NGINX), "-c", str(config), "-p", str(folder), "-g", "daemon off;"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait(server, url, folder)
        yield Proxy(url, folder / "access.log")
    finally:
        processes.stop(server)
        shutil.rmtree(folder, ignore_errors=True)


def _wait(server: subprocess.Popen[bytes], url: str, folder: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            error = server.stderr.read().decode() if server.stderr else ""
            raise NginxUnavailable(f"nginx exited with {server.returncode}: {error[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    log = (folder / "error.log").read_text() if (folder / "error.log").exists() else ""
    raise NginxUnavailable(f"nginx did not answer within {START_SECONDS} s: {log[-2000:]}")
