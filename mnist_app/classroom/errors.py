"""What can go wrong with a class, each as an error whose message a student or teacher can act on.

Every error is a ``ClassroomError`` (a ``ValueError``, so the command line reports it as one
clear line). ``StorageUnavailableError`` means the database could not be used right now
(locked, unreachable, read-only): nothing was written and the same call can be retried.
"""

from __future__ import annotations


class ClassroomError(ValueError):
    """Base class: the message says what happened and what to do."""


class BadInputError(ClassroomError):
    """A nickname, class name, label, drawing or code that cannot be accepted; nothing written."""


class UnknownClassError(ClassroomError):
    """A well-formed class code that no class has (or no longer has)."""


class WrongTeacherKeyError(ClassroomError):
    """The teacher key does not match the class's."""


class BadArchiveError(ClassroomError):
    """A ZIP that is not a class export of this app, is too big or holds unsafe paths."""


class StorageUnavailableError(ClassroomError):
    """The database cannot be used right now (locked, unreachable, read-only): retry later."""


class CorruptDatabaseError(ClassroomError):
    """The SQLite file is not a usable database; the message names the file."""
