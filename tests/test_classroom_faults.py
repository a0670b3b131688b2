"""A classroom database that is locked, unreachable, read-only or corrupt: a clear error, retry works."""

from __future__ import annotations

import sqlite3
import threading

import pytest
import sqlalchemy as sa

from mnist_app import classroom
from mnist_app.classroom.store import ClassroomStore
from mnist_app.testing.drawings import canvas_digit
from mnist_app.testing.postgres import PostgresServer, PostgresUnavailable, new_database


def test_a_locked_sqlite_file_fails_the_save_clearly_and_a_retry_saves(tmp_path) -> None:
    path = tmp_path / "classes.sqlite3"
    store = ClassroomStore(f"sqlite:///{path}", busy_timeout=0.3)
    code, _ = store.create_class("7B")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another program holds the write lock
    with pytest.raises(classroom.StorageUnavailableError, match="busy.*try again"):
        store.save_drawing(code, canvas_digit(7), 7, student="Ada")
    holder.execute("ROLLBACK")
    holder.close()
    store.save_drawing(code, canvas_digit(7), 7, student="Ada")  # the retry
    assert [d.label for d in store.drawings(code)] == [7]


def test_a_locked_postgresql_table_fails_the_save_clearly_and_a_retry_saves(postgres_server_url) -> None:
    url = new_database(postgres_server_url)
    store = ClassroomStore(url, busy_timeout=0.3)
    code, _ = store.create_class("7B")
    engine = sa.create_engine(url)
    with engine.connect() as holder, holder.begin():
        holder.exec_driver_sql("LOCK TABLE drawings IN ACCESS EXCLUSIVE MODE")
        with pytest.raises(classroom.StorageUnavailableError, match="busy.*try again"):
            store.save_drawing(code, canvas_digit(7), 7, student="Ada")
    engine.dispose()
    store.save_drawing(code, canvas_digit(7), 7, student="Ada")
    assert [d.label for d in store.drawings(code)] == [7]


def test_sqlite_writers_wait_for_a_short_lock_instead_of_failing(tmp_path) -> None:
    path = tmp_path / "classes.sqlite3"
    store = ClassroomStore(f"sqlite:///{path}", busy_timeout=10)
    code, _ = store.create_class("7B")
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")
    threading.Timer(0.5, lambda: holder.execute("ROLLBACK")).start()
    store.save_drawing(code, canvas_digit(1), 1, student="Ada")  # waits for the lock, then saves
    holder.close()
    assert len(store.drawings(code)) == 1


def test_an_unreachable_postgresql_fails_clearly_and_the_same_store_retries_when_it_is_back() -> None:
    try:
        server = PostgresServer()
    except PostgresUnavailable as error:
        pytest.skip(str(error))
    try:
        server.start()
        store = classroom.open_store(server.url)
        code, _ = store.create_class("7B")
        store.save_drawing(code, canvas_digit(7), 7, student="Ada")
        server.stop()
        with pytest.raises(classroom.StorageUnavailableError, match=f"Cannot reach.*127.0.0.1:{server.port}"):
            store.save_drawing(code, canvas_digit(1), 1, student="Ada")
        with pytest.raises(classroom.StorageUnavailableError, match="Cannot reach"):
            store.drawings(code)
        server.start()
        store.save_drawing(code, canvas_digit(1), 1, student="Ada")  # the retry, same store object
        assert [d.label for d in store.drawings(code)] == [7, 1]
        store.close()
    finally:
        server.remove()


def test_a_read_only_sqlite_file_refuses_saves_clearly_and_still_reads(tmp_path) -> None:
    path = tmp_path / "classes.sqlite3"
    writable = classroom.open_store(f"sqlite:///{path}")
    code, _ = writable.create_class("7B")
    writable.save_drawing(code, canvas_digit(7), 7, student="Ada")
    writable.close()
    read_only = classroom.open_store(f"sqlite:///file:{path}?mode=ro&uri=true")
    with pytest.raises(classroom.StorageUnavailableError, match="read-only"):
        read_only.save_drawing(code, canvas_digit(1), 1, student="Bo")
    assert [d.student for d in read_only.drawings(code)] == ["Ada"]


def test_a_read_only_postgresql_database_refuses_saves_clearly_and_still_reads(postgres_server_url) -> None:
    url = new_database(postgres_server_url)
    store = classroom.open_store(url)
    code, _ = store.create_class("7B")
    store.save_drawing(code, canvas_digit(7), 7, student="Ada")
    store.close()
    admin = sa.create_engine(postgres_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        database = sa.engine.make_url(url).database
        connection.exec_driver_sql(f'ALTER DATABASE "{database}" SET default_transaction_read_only = on')
    admin.dispose()
    read_only = classroom.open_store(url)
    with pytest.raises(classroom.StorageUnavailableError, match="read-only"):
        read_only.save_drawing(code, canvas_digit(1), 1, student="Bo")
    assert [d.student for d in read_only.drawings(code)] == ["Ada"]
    read_only.close()


def test_a_corrupt_sqlite_file_gives_one_clear_message_naming_the_file(tmp_path) -> None:
    path = tmp_path / "classes.sqlite3"
    path.write_bytes(b"this is not a database, just some text\n" * 200)
    store = classroom.open_store(f"sqlite:///{path}")
    for call in (store.classes, lambda: store.create_class("7B"),
                 lambda: store.save_drawing("ACDEFG", canvas_digit(7), 7, student="Ada")):
        with pytest.raises(classroom.CorruptDatabaseError) as caught:
            call()
        message = str(caught.value)
        assert str(path) in message and "not a usable class database" in message
        assert "\n" not in message and "Traceback" not in message
    assert path.read_bytes().startswith(b"this is not a database"), "the file is left as it was"


def test_a_database_from_a_newer_app_is_refused(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'classes.sqlite3'}"
    classroom.open_store(url).classes()
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    engine.dispose()
    with pytest.raises(classroom.ClassroomError, match="newer than this app"):
        classroom.open_store(url).classes()
