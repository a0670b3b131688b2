"""Connecting to the classes' database (SQLite file or PostgreSQL); its failures as plain messages.

SQLite (the default, one file in the per-user data folder) runs in WAL mode with a busy
timeout, so readers never wait for a writer and writers queue up instead of failing;
a write transaction starts with ``BEGIN IMMEDIATE``, taking the write lock at once, so two
writers never deadlock half-way (SQLite would then fail one at once, ignoring the timeout).
PostgreSQL is used when ``$MNIST_APP_DATABASE_URL`` names it (``postgresql+psycopg://...``).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from mnist_app import paths
from mnist_app.classroom.errors import CorruptDatabaseError, StorageUnavailableError

DATABASE_URL_ENV = "MNIST_APP_DATABASE_URL"
SQLITE_FILE_NAME = "classes.sqlite3"
BUSY_TIMEOUT_SECONDS = 10.0
CONNECT_TIMEOUT_SECONDS = 5
#: Execution option that marks a connection's transactions as writes (``BEGIN IMMEDIATE`` on SQLite).
WRITE = "mnist_app_write"
_RETRY = "Nothing was saved or changed; try again in a moment."


def default_url() -> str:
    """``$MNIST_APP_DATABASE_URL``, else the SQLite file in the app's data folder."""
    return os.environ.get(DATABASE_URL_ENV) or f"sqlite:///{paths.app_data_dir() / SQLITE_FILE_NAME}"


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None for PostgreSQL or an in-memory database)."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    database = parsed.database
    return Path(database.removeprefix("file:") if parsed.query.get("uri") else database)


def make_engine(url: str, *, busy_timeout: float = BUSY_TIMEOUT_SECONDS) -> sa.Engine:
    """An engine for ``url``; a SQLite file's folder is created. Connects lazily."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "sqlite":
        # lock_timeout: a table locked by another program fails the save (retry) instead of hanging.
        options = f"-c lock_timeout={int(busy_timeout * 1000)}"
        return sa.create_engine(url, pool_pre_ping=True,
                                connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS, "options": options})
    file = sqlite_file(url)
    if file is not None and not parsed.query.get("uri"):
        file.parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, connect_args={"timeout": busy_timeout})
    sa.event.listen(engine, "connect", _sqlite_connect)
    sa.event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # we issue BEGIN ourselves (see _sqlite_begin)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    with contextlib.suppress(Exception):  # a read-only file keeps its journal mode
        cursor.execute("PRAGMA journal_mode = WAL")
    cursor.close()


def _sqlite_begin(connection: sa.Connection) -> None:
    write = connection.get_execution_options().get(WRITE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


@contextlib.contextmanager
def plain_errors(url: str) -> Iterator[None]:
    """Re-raise database failures as StorageUnavailableError / CorruptDatabaseError with a clear message."""
    try:
        yield
    except sa.exc.IntegrityError:
        raise  # a constraint, not a failure: the caller handles it (e.g. a taken class code)
    except sa.exc.DBAPIError as error:
        raise describe(error, url) from error


def describe(error: sa.exc.DBAPIError, url: str) -> Exception:
    """The error a person sees for a failed database call."""
    text = str(error.orig).strip().splitlines()[0] if error.orig is not None else str(error)
    lowered = text.lower()
    file = sqlite_file(url)
    where = str(file) if file is not None else sa.engine.make_url(url).render_as_string(hide_password=True)
    if "file is not a database" in lowered or "malformed" in lowered:
        return CorruptDatabaseError(
            f"{where} is not a usable class database ({text}). Move the file away (the app then "
            "starts a new, empty one) or put a backup in its place.")
    if "locked" in lowered or "busy" in lowered or "lock timeout" in lowered:
        return StorageUnavailableError(f"The class database is busy (locked by another program). {_RETRY}")
    if "read-only" in lowered or "readonly" in lowered:
        return StorageUnavailableError(f"The class database {where} is read-only, so nothing can be "
                                       "saved. Ask whoever runs the app to make it writable.")
    if file is not None:
        return StorageUnavailableError(f"The class database {where} cannot be used ({text}). {_RETRY}")
    return StorageUnavailableError(f"Cannot reach the class database at {where} ({text}). {_RETRY}")
