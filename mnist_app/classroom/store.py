"""The classroom store: classes, their students' saved digits, and the teacher's controls.

One ``ClassroomStore`` per database URL and process; it is thread-safe (SQLAlchemy's pool).
Every write is one short transaction, so nothing is half-saved; every input is checked
before anything is written; database failures come out as ``StorageUnavailableError`` (retry)
or ``CorruptDatabaseError`` (the message names the file).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sqlalchemy as sa

from mnist_app import models, preprocess
from mnist_app.classroom import archive, codes, database, pictures, schema
from mnist_app.classroom.errors import BadInputError, UnknownClassError, WrongTeacherKeyError

#: {model: {"digit": d, "confidence": c}}: every trained model's answer when the digit was saved.
Answers = dict[str, dict[str, float]]
_CODE_ATTEMPTS = 20


@dataclass(frozen=True)
class Drawing:
    """One saved digit of a class."""

    id: str
    class_code: str
    student: str
    label: int
    digit: np.ndarray  # (28, 28) float32 in [0, 1], as to_mnist made it
    png: bytes  # the original drawing
    created_at: dt.datetime
    preprocess_version: str
    answers: dict[str, int] = field(default_factory=dict)  # {model: its digit}
    confidences: dict[str, float] = field(default_factory=dict)  # {model: how sure}


@dataclass(frozen=True)
class ClassInfo:
    """A class as ``classes()`` lists it."""

    code: str
    name: str
    created_at: dt.datetime
    drawings: int
    students: int


def open_store(url: str | None = None) -> ClassroomStore:
    """The store at ``url``; None: ``$MNIST_APP_DATABASE_URL``, else the SQLite file in the data folder."""
    return ClassroomStore(url or database.default_url())


class ClassroomStore:
    """Classes and their drawings in one database (see the module docstring)."""

    def __init__(self, url: str, *, busy_timeout: float = database.BUSY_TIMEOUT_SECONDS) -> None:
        self.url = url
        self._engine = database.make_engine(url, busy_timeout=busy_timeout)
        self._schema_ready = False
        self._schema_lock = threading.Lock()
        # SQLite lets one writer in at a time and its busy handler is not fair: under load, one
        # of twenty threads can lose every retry until the timeout. Queue this process's writers
        # here instead; the busy timeout then only covers other processes.
        sqlite = self._engine.dialect.name == "sqlite"
        self._write_lock: contextlib.AbstractContextManager[Any] = (
            threading.Lock() if sqlite else contextlib.nullcontext())

    def close(self) -> None:
        """Close the pooled connections."""
        self._engine.dispose()

    # --- classes -------------------------------------------------------------------------------

    def create_class(self, name: str) -> tuple[str, str]:
        """A new class called ``name``: returns its join code and its teacher key (shown once)."""
        name = codes.clean_class_name(name)
        key = codes.new_teacher_key()
        for _ in range(_CODE_ATTEMPTS):
            code = codes.new_class_code()
            try:
                with self._writing() as connection:
                    connection.execute(sa.insert(schema.classes).values(
                        code=code, name=name, teacher_key_hash=codes.hash_teacher_key(key),
                        created_at=_now()))
                return code, key
            except sa.exc.IntegrityError:
                continue  # the code is taken (one in 244 million): draw another
        raise BadInputError("Could not find a free class code; delete old classes and try again.")

    def class_name(self, code: str) -> str:
        """The name of class ``code``; UnknownClassError / BadInputError when there is none."""
        return self._class_row(code).name

    def classes(self) -> list[ClassInfo]:
        """Every class, newest first, with its number of drawings and students."""
        d = schema.drawings
        counts = (sa.select(d.c.class_code, sa.func.count().label("drawings"),
                            sa.func.count(sa.distinct(d.c.student)).label("students"))
                  .group_by(d.c.class_code).subquery())
        query = (sa.select(schema.classes.c.code, schema.classes.c.name, schema.classes.c.created_at,
                           counts.c.drawings, counts.c.students)
                 .outerjoin(counts, counts.c.class_code == schema.classes.c.code)
                 .order_by(schema.classes.c.created_at.desc()))
        with self._reading() as connection:
            rows = connection.execute(query).all()
        return [ClassInfo(row.code, row.name, _utc(row.created_at), row.drawings or 0, row.students or 0)
                for row in rows]

    def check_teacher_key(self, code: str, teacher_key: str) -> None:
        """Raise WrongTeacherKeyError unless ``teacher_key`` is class ``code``'s."""
        row = self._class_row(code)
        if not codes.teacher_key_matches(teacher_key, row.teacher_key_hash):
            raise WrongTeacherKeyError("That is not this class's teacher key: nothing was changed.")

    # --- drawings ------------------------------------------------------------------------------

    def save_drawing(self, code: str, image: object, label: int, student: str,
                     *, answers: Mapping[str, Mapping[str, float]] | None = None) -> str:
        """Save a student's drawing with the digit they meant; returns the drawing's id.

        ``image``: anything ``to_mnist`` accepts. ``answers`` defaults to every trained
        model's answer now (tools that import drawings pass theirs). Checks everything
        (class code, label, nickname, a drawing with ink) before writing.
        """
        code = codes.clean_class_code(code)
        label = codes.clean_label(label)
        student = codes.clean_nickname(student)
        try:
            digit = preprocess.to_mnist(image)
            png = pictures.drawing_png(image)
        except preprocess.EmptyDrawingError as error:
            raise BadInputError(f"Nothing to save: {error}") from None
        except ValueError as error:
            raise BadInputError(str(error)) from None
        row = {"id": uuid.uuid4().hex, "class_code": code, "student": student, "label": label,
               "digit": np.ascontiguousarray(digit, dtype=np.float32).tobytes(), "png": png,
               "answers": dict(answers) if answers is not None else answers_now(digit),
               "preprocess_version": preprocess.PREPROCESS_VERSION, "created_at": _now()}
        with self._writing() as connection:
            self._require_class(connection, code)
            connection.execute(sa.insert(schema.drawings).values(**row))
        return row["id"]

    def drawings(self, code: str) -> list[Drawing]:
        """Class ``code``'s drawings, oldest first."""
        code = codes.clean_class_code(code)
        query = sa.select(schema.drawings).where(schema.drawings.c.class_code == code)
        with self._reading() as connection:
            self._require_class(connection, code)
            order = (schema.drawings.c.created_at, schema.drawings.c.id)
            rows = connection.execute(query.order_by(*order)).all()
        return [_drawing(row) for row in rows]

    def delete_drawing(self, code: str, drawing_id: str, teacher_key: str) -> None:
        """Delete one drawing (teacher key needed)."""
        if self._delete(code, teacher_key, schema.drawings.c.id == str(drawing_id)) == 0:
            raise BadInputError(f"Class {code} has no drawing {str(drawing_id)[:40]!r}.")

    def delete_student(self, code: str, student: str, teacher_key: str) -> int:
        """Delete every drawing of one student (teacher key needed); returns how many."""
        count = self._delete(code, teacher_key, schema.drawings.c.student == str(student))
        if count == 0:
            raise BadInputError(f"Class {code} has no drawings by {str(student)[:40]!r}.")
        return count

    def delete_class(self, code: str, teacher_key: str) -> None:
        """Delete the class and all its drawings (teacher key needed)."""
        self.check_teacher_key(code, teacher_key)
        code = codes.clean_class_code(code)
        with self._writing() as connection:
            connection.execute(sa.delete(schema.drawings).where(schema.drawings.c.class_code == code))
            connection.execute(sa.delete(schema.classes).where(schema.classes.c.code == code))

    # --- export and import ---------------------------------------------------------------------

    def export_zip(self, code: str, teacher_key: str) -> bytes:
        """The class as a ZIP: drawings.csv, png/<id>.png, digits.npz and class.json (teacher key needed)."""
        self.check_teacher_key(code, teacher_key)
        row = self._class_row(code)
        return archive.build(archive.ClassRecord(row.code, row.name, row.teacher_key_hash,
                                                 _utc(row.created_at)), self.drawings(code))

    def import_zip(self, data: bytes) -> str:
        """Add the class of an exported ZIP under a new code (its teacher key stays valid); returns it."""
        record, rows = archive.read(data)  # BadArchiveError before anything is written
        for _ in range(_CODE_ATTEMPTS):
            code = codes.new_class_code()
            try:
                with self._writing() as connection:
                    connection.execute(sa.insert(schema.classes).values(
                        code=code, name=record.name, teacher_key_hash=record.teacher_key_hash,
                        created_at=record.created_at))
                    if rows:
                        fresh = [{**row, "id": uuid.uuid4().hex, "class_code": code} for row in rows]
                        connection.execute(sa.insert(schema.drawings), fresh)
                return code
            except sa.exc.IntegrityError:
                continue
        raise BadInputError("Could not find a free class code; try again.")

    # --- helpers -------------------------------------------------------------------------------

    def _delete(self, code: str, teacher_key: str, which: Any) -> int:
        self.check_teacher_key(code, teacher_key)
        code = codes.clean_class_code(code)
        with self._writing() as connection:
            result = connection.execute(
                sa.delete(schema.drawings).where(schema.drawings.c.class_code == code, which))
        return result.rowcount

    def _class_row(self, code: str) -> Any:
        code = codes.clean_class_code(code)
        with self._reading() as connection:
            return self._require_class(connection, code)

    @staticmethod
    def _require_class(connection: sa.Connection, code: str) -> Any:
        row = connection.execute(sa.select(schema.classes).where(schema.classes.c.code == code)).first()
        if row is None:
            raise UnknownClassError(f"There is no class with the code {code}: check the code on the "
                                    "teacher's screen (the class may have been deleted).")
        return row

    def _writing(self) -> contextlib.AbstractContextManager[sa.Connection]:
        return self._transaction(write=True)

    def _reading(self) -> contextlib.AbstractContextManager[sa.Connection]:
        return self._transaction(write=False)

    @contextlib.contextmanager
    def _transaction(self, *, write: bool) -> Iterator[sa.Connection]:
        """One transaction (the schema made first), database failures turned into plain errors."""
        with database.plain_errors(self.url):
            self._ensure_schema()
            queue = self._write_lock if write else contextlib.nullcontext()
            with queue, self._engine.connect() as connection:
                connection.execution_options(**{database.WRITE: write})
                with connection.begin():
                    yield connection

    def _ensure_schema(self) -> None:
        with self._schema_lock:
            if self._schema_ready:
                return
            with self._engine.connect() as connection:
                connection.execution_options(**{database.WRITE: True})
                with connection.begin():
                    if connection.dialect.name == "postgresql":  # replicas starting together
                        connection.execute(sa.text("SELECT pg_advisory_xact_lock(1313)"))
                    try:
                        schema.create(connection)
                    except schema.NewerSchemaError as error:
                        raise BadInputError(str(error)) from None
            self._schema_ready = True


def answers_now(digit: np.ndarray) -> Answers:
    """Every trained model's answer and confidence for ``digit`` (untrained models are left out)."""
    found: Answers = {}
    for name in models.available_models():
        if models.is_trained(name):
            answer = models.predict_digit(digit, name)
            found[name] = {"digit": answer.label, "confidence": round(float(answer.confidence), 4)}
    return found


def _drawing(row: Any) -> Drawing:
    answers = row.answers or {}
    return Drawing(
        id=row.id, class_code=row.class_code, student=row.student, label=int(row.label),
        digit=np.frombuffer(row.digit, dtype=np.float32).reshape(28, 28).copy(), png=bytes(row.png),
        created_at=_utc(row.created_at), preprocess_version=row.preprocess_version,
        answers={name: int(value["digit"]) for name, value in answers.items()},
        confidences={name: float(value["confidence"]) for name, value in answers.items()},
    )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)
