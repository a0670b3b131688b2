"""Join codes, teacher keys and the checks on what people type (nicknames, class names, labels).

Join codes are 6 characters from an alphabet without look-alikes (no 0/O, 1/I/L, 5/S, 2/Z,
8/B), so a code read off a projector is typed right. Teacher keys are random secrets that
are stored only as a SHA-256 hash: they have 128 bits of entropy, so a fast hash is enough
(a slow password hash protects guessable secrets, which these are not).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata

from mnist_app.classroom.errors import BadInputError

CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
CODE_LENGTH = 6
NICKNAME_MAX = 30
CLASS_NAME_MAX = 60
#: Letters (any script), digits, spaces and - _ . ' : no markup of any kind.
_NICKNAME = re.compile(r"[\w][\w .'\-]*")
_CLASS_NAME = re.compile(r"[\w][\w .,'()#+\-/:]*")


def new_class_code() -> str:
    """A random 6-character join code."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def clean_class_code(text: object) -> str:
    """A typed code, upper-cased and without spaces or dashes; BadInputError when it cannot be a code."""
    if not isinstance(text, str):
        raise BadInputError("A class code is text, e.g. 'K7MXQ4'.")
    code = re.sub(r"[\s\-]", "", text).upper()
    if len(code) != CODE_LENGTH or any(char not in CODE_ALPHABET for char in code):
        shown = code[:20] + ("…" if len(code) > 20 else "")
        raise BadInputError(f"'{shown}' is not a class code: codes have {CODE_LENGTH} letters and digits "
                            "(for example K7MXQ4). Check it on the teacher's screen.")
    return code


def new_teacher_key() -> str:
    """A random teacher key (URL-safe text, 22 characters)."""
    return secrets.token_urlsafe(16)


def hash_teacher_key(key: str) -> str:
    """What is stored instead of the key."""
    return hashlib.sha256(key.strip().encode()).hexdigest()


def teacher_key_matches(key: object, stored_hash: str) -> bool:
    """Whether ``key`` is the teacher key whose hash is ``stored_hash`` (constant-time compare)."""
    if not isinstance(key, str) or not key.strip():
        return False
    return hmac.compare_digest(hash_teacher_key(key), stored_hash)


def clean_nickname(text: object) -> str:
    """A nickname, trimmed; BadInputError for empty, too long or anything with markup or symbols."""
    name = _clean_text(text, "nickname")
    if len(name) > NICKNAME_MAX:
        raise BadInputError(f"Nicknames are at most {NICKNAME_MAX} characters (this one has {len(name):,}).")
    if not _NICKNAME.fullmatch(name):
        raise BadInputError("Nicknames may use letters, digits, spaces and - _ . ' only (no markup "
                            "or symbols).")
    return name


def clean_class_name(text: object) -> str:
    """A class name, trimmed; BadInputError for empty, too long or markup."""
    name = _clean_text(text, "class name")
    if len(name) > CLASS_NAME_MAX:
        raise BadInputError(f"Class names are at most {CLASS_NAME_MAX} characters (this one has "
                            f"{len(name):,}).")
    if not _CLASS_NAME.fullmatch(name):
        raise BadInputError("Class names may use letters, digits, spaces and . , ' ( ) # + - / : only.")
    return name


def clean_label(label: object) -> int:
    """The digit a drawing shows: an int 0-9 (numpy ints too); BadInputError otherwise."""
    if isinstance(label, bool) or not hasattr(label, "__index__"):
        raise BadInputError(f"The label must be a digit from 0 to 9, not {label!r:.40}.")
    value = int(label.__index__())  # type: ignore[attr-defined]
    if not 0 <= value <= 9:
        raise BadInputError(f"The label must be a digit from 0 to 9, not {value}.")
    return value


def _clean_text(text: object, what: str) -> str:
    if not isinstance(text, str):
        raise BadInputError(f"The {what} must be text.")
    name = " ".join(unicodedata.normalize("NFC", text).split())
    if not name:
        raise BadInputError(f"Give a {what}.")
    return name
