"""Classes: a teacher creates one, students join with a code and save their drawings with the digit
they meant; the models are then scored on the class's own digits.

    from mnist_app import classroom
    store = classroom.open_store()                  # $MNIST_APP_DATABASE_URL, else a SQLite file
    code, teacher_key = store.create_class("7B maths")
    drawing_id = store.save_drawing(code, image, 7, student="Ada")
    store.drawings(code)                            # [classroom.Drawing, ...]
    store.delete_drawing(code, drawing_id, teacher_key)
    data = store.export_zip(code, teacher_key);  new_code = store.import_zip(data)

Modules: ``schema`` (tables, version), ``database`` (engines, plain errors), ``codes`` (join
codes, teacher keys, input checks), ``pictures`` (the PNG kept), ``store`` (the API above),
``archive`` (the ZIP format), ``scoring`` (models on the class's digits), ``cli`` (``mnist-app class``).
"""

from mnist_app.classroom.database import DATABASE_URL_ENV, default_url
from mnist_app.classroom.errors import (
    BadArchiveError,
    BadInputError,
    ClassroomError,
    CorruptDatabaseError,
    StorageUnavailableError,
    UnknownClassError,
    WrongTeacherKeyError,
)
from mnist_app.classroom.store import ClassInfo, ClassroomStore, Drawing, open_store

__all__ = [
    "DATABASE_URL_ENV",
    "BadArchiveError",
    "BadInputError",
    "ClassInfo",
    "ClassroomError",
    "ClassroomStore",
    "CorruptDatabaseError",
    "Drawing",
    "StorageUnavailableError",
    "UnknownClassError",
    "WrongTeacherKeyError",
    "default_url",
    "open_store",
]
