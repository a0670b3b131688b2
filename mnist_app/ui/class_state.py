"""What the class pages share: the store, this session's class membership and teacher keys, the join link.

The store is one per database URL and server process (``st.cache_resource``). A student's
membership (class code, class name, nickname) and a teacher's keys live in the session;
the join link is the app's address with ``?class=CODE`` (``st.query_params``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import streamlit as st

from mnist_app import classroom

#: Session-state keys.
MEMBERSHIP_KEY = "class_membership"
TEACHER_KEYS_KEY = "class_teacher_keys"
CREATED_KEY = "class_created"  # the class this session created last (its code stays on screen)
#: The query parameter of the join link.
CLASS_PARAM = "class"
FALLBACK_ADDRESS = "http://localhost:8501"


@dataclass(frozen=True)
class Membership:
    """This session's class: its code and name, and the student's nickname."""

    code: str
    name: str
    student: str


@st.cache_resource(show_spinner=False)
def _store(url: str) -> classroom.ClassroomStore:
    return classroom.open_store(url)


def store() -> classroom.ClassroomStore:
    """The classroom store of this server process (``$MNIST_APP_DATABASE_URL`` or the SQLite file)."""
    return _store(classroom.default_url())


def membership() -> Membership | None:
    """The class this session has joined, if any."""
    return st.session_state.get(MEMBERSHIP_KEY)


def join(code: str, student: str) -> Membership:
    """Join class ``code`` as ``student``; raises ClassroomError (bad code or nickname, no such class)."""
    from mnist_app.classroom import codes

    clean_code = codes.clean_class_code(code)
    nickname = codes.clean_nickname(student)
    joined = Membership(clean_code, store().class_name(clean_code), nickname)
    st.session_state[MEMBERSHIP_KEY] = joined
    st.query_params[CLASS_PARAM] = clean_code
    return joined


def leave() -> None:
    """Leave the class (the drawings saved stay with it)."""
    st.session_state.pop(MEMBERSHIP_KEY, None)
    st.query_params.pop(CLASS_PARAM, None)


def code_in_link() -> str:
    """The ``?class=`` code of the address, as typed (may be malformed), or ''."""
    return str(st.query_params.get(CLASS_PARAM, "")).strip()[:20]


def arriving_with_code() -> bool:
    """Whether this session came through a join link and has not joined yet (then the join form opens)."""
    return bool(code_in_link()) and membership() is None


def remember_teacher_key(code: str, key: str) -> None:
    """Keep a teacher key for this session (it is shown once; the teacher's own tab keeps using it)."""
    st.session_state.setdefault(TEACHER_KEYS_KEY, {})[code] = key


def teacher_key(code: str) -> str:
    """The teacher key this session knows for class ``code``, or ''."""
    return st.session_state.get(TEACHER_KEYS_KEY, {}).get(code, "")


def join_link(code: str) -> str:
    """The app's address (as this browser reached it) with ``?class=CODE``."""
    address = getattr(st.context, "url", None) or FALLBACK_ADDRESS
    parts = urlsplit(address)
    return f"{parts.scheme}://{parts.netloc}/?{CLASS_PARAM}={code}"


_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!<>|~$:])")


def plain(text: object) -> str:
    """``text`` escaped for st.markdown: nicknames and class names show as typed, never as formatting."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", str(text))
