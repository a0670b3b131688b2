"""A throwaway PostgreSQL server for tests and benchmarks: Debian's ``postgresql`` package, on loopback.

``initdb`` refuses to run as root (CI runs as root), so as root the server's folder is
given to the ``postgres`` user and the tools run through ``runuser -u postgres``. Trust
authentication on 127.0.0.1 only; the folder is removed afterwards.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

from mnist_app.testing.browser import free_port

POSTGRES_ROOT = Path("/usr/lib/postgresql")
USER = "app"
START_SECONDS = 60


class PostgresUnavailable(RuntimeError):
    """PostgreSQL's server programs are not installed (or it would not start); the message says why."""


def server_bin() -> Path:
    """The newest installed PostgreSQL's bin folder (``initdb``, ``pg_ctl``)."""
    found = sorted(POSTGRES_ROOT.glob("*/bin/initdb"), key=lambda path: int(path.parts[-3]))
    if not found:
        raise PostgresUnavailable(f"PostgreSQL is not installed (no {POSTGRES_ROOT}/*/bin/initdb): "
                                  "apt-get install -y postgresql (scripts/ensure-system-packages.sh)")
    return found[-1].parent


class PostgresServer:
    """One server in its own temporary folder: ``start``/``stop`` (also to test outages), ``remove``."""

    def __init__(self) -> None:
        self.bin_dir = server_bin()
        self.folder = Path(tempfile.mkdtemp(prefix="mnist-app-pg-"))
        self.port = free_port()
        self.url = f"postgresql+psycopg://{USER}@127.0.0.1:{self.port}/postgres"
        self._as_postgres = _as_postgres(self.folder)
        self._data = self.folder / "data"
        _run(self._as_postgres + [str(self.bin_dir / "initdb"), "-D", str(self._data), "-A", "trust",
                                  "-U", USER, "-E", "UTF8", "--no-sync"], self.folder)

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        _run(self._as_postgres + [str(self.bin_dir / "pg_ctl"), "-D", str(self._data), "-o", options,
                                  "-l", str(self.folder / "server.log"), "-w", "-t", str(START_SECONDS),
                                  "start"], self.folder)

    def stop(self) -> None:
        """Stop the server at once (connections are cut)."""
        if (self._data / "postmaster.pid").exists():
            subprocess.run(self._as_postgres + [str(self.bin_dir / "pg_ctl"), "-D", str(self._data),
                                                "-m", "immediate", "-w", "stop"],
                           capture_output=True, check=False)

    def remove(self) -> None:
        """Stop the server and delete its folder."""
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """A started ``PostgresServer``; yields its ``postgresql+psycopg://`` URL, then removes it."""
    server = PostgresServer()
    try:
        server.start()
        yield server.url
    finally:
        server.remove()


def new_database(server_url: str) -> str:
    """A new empty database on the server at ``server_url``; returns its URL."""
    import sqlalchemy as sa

    name = f"test_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    return server_url.rsplit("/", 1)[0] + f"/{name}"


def _as_postgres(folder: Path) -> list[str]:
    if os.geteuid() != 0:
        return []
    shutil.chown(folder, user="postgres", group="postgres")
    return ["runuser", "-u", "postgres", "--"]


def _run(command: list[str], folder: Path) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False, cwd=folder)
    if result.returncode != 0:
        log = (folder / "server.log").read_text() if (folder / "server.log").exists() else ""
        program = Path(next(part for part in command if part.startswith("/"))).name
        raise PostgresUnavailable(f"{program} failed: "
                                  f"{result.stderr.strip()[-1500:]}\n{log[-1500:]}")
