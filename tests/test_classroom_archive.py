"""Exporting a class as a ZIP and importing it elsewhere; ZIPs that are not ours are refused."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import numpy as np
import pytest
from PIL import Image

from mnist_app import classroom
from mnist_app.classroom import archive
from mnist_app.testing.drawings import canvas_digit


@pytest.fixture
def store(database_url: str) -> classroom.ClassroomStore:
    opened = classroom.open_store(database_url)
    yield opened
    opened.close()


@pytest.fixture
def exported(tmp_path) -> tuple[bytes, list[classroom.Drawing], str]:
    """A class of three drawings exported from a SQLite store: (zip, its drawings, teacher key)."""
    source = classroom.open_store(f"sqlite:///{tmp_path / 'source.sqlite3'}")
    code, key = source.create_class("7B maths")
    source.save_drawing(code, canvas_digit(7), 7, student="Ada",
                        answers={"mlp": {"digit": 1, "confidence": 0.6}})
    source.save_drawing(code, canvas_digit(0), 0, student="Bo")
    source.save_drawing(code, canvas_digit(1, shift=30), 1, student="Zoë")
    drawings = source.drawings(code)
    data = source.export_zip(code, key)
    source.close()
    return data, drawings, key


def test_the_zip_holds_a_csv_of_everything_the_pngs_and_the_digits(exported) -> None:
    data, drawings, _ = exported
    with zipfile.ZipFile(io.BytesIO(data)) as zipped:
        names = set(zipped.namelist())
        assert names == {"class.json", "drawings.csv", "digits.npz"} | {f"png/{d.id}.png" for d in drawings}
        rows = list(csv.DictReader(io.StringIO(zipped.read("drawings.csv").decode())))
        assert [(r["id"], r["student"], int(r["label"])) for r in rows] == [
            (d.id, d.student, d.label) for d in drawings]
        assert rows[0]["answer_mlp"] == "1" and float(rows[0]["confidence_mlp"]) == 0.6
        with np.load(io.BytesIO(zipped.read("digits.npz"))) as saved:
            np.testing.assert_array_equal(saved["digits"], np.stack([d.digit for d in drawings]))
            assert saved["labels"].tolist() == [7, 0, 1]
        with Image.open(io.BytesIO(zipped.read(f"png/{drawings[0].id}.png"))) as png:
            np.testing.assert_array_equal(np.asarray(png.convert("RGBA")), canvas_digit(7))
        manifest = json.loads(zipped.read("class.json"))
        assert manifest["name"] == "7B maths" and "teacher_key" not in manifest


def test_an_import_into_another_installation_gives_the_same_class_under_a_new_code(store, exported) -> None:
    data, drawings, key = exported
    code = store.import_zip(data)
    imported = store.drawings(code)
    assert store.class_name(code) == "7B maths"
    assert [(d.student, d.label, d.png, d.answers, d.created_at) for d in imported] == [
        (d.student, d.label, d.png, d.answers, d.created_at) for d in drawings]
    for mine, theirs in zip(imported, drawings, strict=True):
        np.testing.assert_array_equal(mine.digit, theirs.digit)
    store.check_teacher_key(code, key)  # the class's teacher key still works there
    assert store.import_zip(data) != code, "importing twice makes a second class"


def zip_of(files: dict[str, bytes]) -> bytes:
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as zipped:
        for name, content in files.items():
            zipped.writestr(name, content)
    return output.getvalue()


def changed(data: bytes, **replace: bytes | None) -> bytes:
    """The ZIP with some files replaced (None: removed) or added."""
    with zipfile.ZipFile(io.BytesIO(data)) as zipped:
        files = {name: zipped.read(name) for name in zipped.namelist()}
    for name, content in replace.items():
        name = name.replace("__", "/").replace("DOTDOT", "..")
        if content is None:
            files.pop(name)
        else:
            files[name] = content
    return zip_of(files)


def relabelled(data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as zipped:
        text = zipped.read("drawings.csv").decode()
    return changed(data, **{"drawings.csv": text.replace(",7,", ",12,").encode()})


@pytest.mark.parametrize(("make", "words"), [
    (lambda data: b"", "empty"),
    (lambda data: b"PK\x03\x04 not really a zip", "not a class exported by this app"),
    (lambda data: zip_of({"notes.txt": b"hello"}), "unexpected file 'notes.txt'"),
    (lambda data: changed(data, DOTDOT__evil=b"x"), "unsafe path"),
    (lambda data: changed(data, **{"png__DOTDOT__DOTDOT__etc__passwd": b"x"}), "unsafe path"),
    (lambda data: changed(data, **{"class.json": None}), "class.json is missing"),
    (lambda data: changed(data, **{"class.json": b'{"format": "something else"}'}), "not ours"),
    (lambda data: changed(data, **{"digits.npz": b"garbage"}), "digits.npz cannot be read"),
    (relabelled, "label must be a digit"),
])
def test_zips_that_are_not_ours_are_refused_and_nothing_is_written(store, exported, make, words) -> None:
    before = store.classes()
    with pytest.raises(classroom.BadArchiveError, match=words):
        store.import_zip(make(exported[0]))
    assert store.classes() == before


def test_a_zip_that_is_too_big_is_refused(store, exported, monkeypatch) -> None:
    monkeypatch.setattr(archive, "MAX_ZIP_BYTES", len(exported[0]) - 1)
    with pytest.raises(classroom.BadArchiveError, match="too big"):
        store.import_zip(exported[0])
    monkeypatch.undo()
    monkeypatch.setattr(archive, "MAX_UNPACKED_BYTES", 1000)
    with pytest.raises(classroom.BadArchiveError, match="unpacks to"):
        store.import_zip(exported[0])
    assert store.classes() == []
