"""``mnist-app class create | list | export | import`` (in-process, through the real parser)."""

from __future__ import annotations

import re
import zipfile

import pytest

from mnist_app import classroom
from mnist_app.cli import main
from mnist_app.testing.drawings import canvas_digit


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_create_list_export_import(tmp_path, capsys, database_url) -> None:
    status, out, _ = run(capsys, "class", "--database", database_url, "create", "7B maths")
    assert status == 0
    code = re.search(r"class code:\s+(\w{6})", out).group(1)
    key = re.search(r"teacher key:\s+(\S+)", out).group(1)
    store = classroom.open_store(database_url)
    store.check_teacher_key(code, key)
    store.save_drawing(code, canvas_digit(7), 7, student="Ada", answers={})

    status, out, _ = run(capsys, "class", "--database", database_url, "list")
    assert status == 0 and re.search(rf"{code} .* 1 +1  7B maths", out)

    zip_file = tmp_path / "7b.zip"
    status, out, _ = run(capsys, "class", "--database", database_url, "export", code, str(zip_file),
                         "--teacher-key", key)
    assert status == 0 and zipfile.is_zipfile(zip_file)
    status, _, err = run(capsys, "class", "--database", database_url, "export", code, str(zip_file),
                         "--teacher-key", key)
    assert status == 1 and "exists already" in err

    other = f"sqlite:///{tmp_path / 'other.sqlite3'}"
    status, out, _ = run(capsys, "class", "--database", other, "import", str(zip_file))
    new_code = re.search(r"imported as class (\w{6})", out).group(1)
    assert status == 0 and [d.student for d in classroom.open_store(other).drawings(new_code)] == ["Ada"]


@pytest.mark.parametrize(("args", "words"), [
    (["create", "<b>7B</b>"], "Class names may use"),
    (["export", "QQQQQQ", "out.zip", "--teacher-key", "k"], "no class with the code QQQQQQ"),
    (["export", "nope", "out.zip", "--teacher-key", "k"], "not a class code"),
    (["import", "missing.zip"], "no such file"),
])
def test_errors_are_one_clear_line(tmp_path, capsys, monkeypatch, args, words) -> None:
    monkeypatch.chdir(tmp_path)
    status, out, err = run(capsys, "class", "--database", f"sqlite:///{tmp_path / 'c.sqlite3'}", *args)
    assert status == 1 and words in err and "Traceback" not in err
    assert len([line for line in err.splitlines() if line.startswith("mnist-app: error:")]) == 1


def test_a_wrong_teacher_key_exports_nothing(tmp_path, capsys) -> None:
    url = f"sqlite:///{tmp_path / 'c.sqlite3'}"
    code, _ = classroom.open_store(url).create_class("7B")
    status, _, err = run(capsys, "class", "--database", url, "export", code, str(tmp_path / "x.zip"),
                         "--teacher-key", "wrong")
    assert status == 1 and "not this class's teacher key" in err and not (tmp_path / "x.zip").exists()


def test_import_of_a_file_that_is_not_a_zip_says_so(tmp_path, capsys) -> None:
    bogus = tmp_path / "notes.zip"
    bogus.write_text("hello")
    status, _, err = run(capsys, "class", "--database", f"sqlite:///{tmp_path / 'c.sqlite3'}", "import",
                         str(bogus))
    assert status == 1 and "not a class exported by this app" in err
