"""The classes' database: SQLAlchemy Core tables, the schema version, and creating both on start.

One schema for SQLite and PostgreSQL. ``SCHEMA_VERSION`` is kept in the ``meta`` table: a
database made by a newer version of the app is refused with a clear message rather than
misread; an older one would be migrated here (there is none yet).
"""

from __future__ import annotations

import sqlalchemy as sa

SCHEMA_VERSION = 1

metadata = sa.MetaData()

meta = sa.Table(
    "meta", metadata,
    sa.Column("key", sa.String(40), primary_key=True),
    sa.Column("value", sa.String(200), nullable=False),
)

classes = sa.Table(
    "classes", metadata,
    sa.Column("code", sa.String(6), primary_key=True),
    sa.Column("name", sa.String(120), nullable=False),
    sa.Column("teacher_key_hash", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

drawings = sa.Table(
    "drawings", metadata,
    sa.Column("id", sa.String(32), primary_key=True),  # uuid4 hex: unique across replicas
    sa.Column("class_code", sa.String(6), sa.ForeignKey("classes.code", ondelete="CASCADE"),
              nullable=False, index=True),
    sa.Column("student", sa.String(60), nullable=False),
    sa.Column("label", sa.SmallInteger, nullable=False),
    sa.Column("digit", sa.LargeBinary, nullable=False),  # 28x28 float32, C order
    sa.Column("png", sa.LargeBinary, nullable=False),
    sa.Column("answers", sa.JSON, nullable=False),  # {model: {"digit": d, "confidence": c}}
    sa.Column("preprocess_version", sa.String(20), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("label BETWEEN 0 AND 9", name="label_is_a_digit"),
)


class NewerSchemaError(RuntimeError):
    """The database was made by a newer version of the app."""


def create(connection: sa.Connection) -> None:
    """Create the tables if missing and check (or record) the schema version, in the caller's transaction."""
    metadata.create_all(connection, checkfirst=True)
    row = connection.execute(sa.select(meta.c.value).where(meta.c.key == "schema_version")).first()
    if row is None:
        connection.execute(sa.insert(meta).values(key="schema_version", value=str(SCHEMA_VERSION)))
    elif int(row.value) > SCHEMA_VERSION:
        raise NewerSchemaError(f"the class database has schema version {row.value}, newer than this "
                               f"app's {SCHEMA_VERSION}: update the app")
