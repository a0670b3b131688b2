"""A class as a ZIP: ``class.json``, ``drawings.csv`` (everything), ``png/<id>.png`` and ``digits.npz``.

``read`` accepts only what ``build`` writes: exactly those names (no folders, no ``../``),
within size limits, with every row checked like a fresh save; anything else is a
``BadArchiveError`` raised before the store writes anything.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from mnist_app.classroom import codes, pictures
from mnist_app.classroom.errors import BadArchiveError, BadInputError

if TYPE_CHECKING:
    from mnist_app.classroom.store import Drawing

FORMAT = "mnist-app-class"
VERSION = 1
MAX_ZIP_BYTES = 100_000_000
MAX_UNPACKED_BYTES = 300_000_000
MAX_DRAWINGS = 50_000
_PNG_NAME = re.compile(r"png/([0-9a-f]{32})\.png")
_MODEL_NAME = re.compile(r"[a-z0-9_]{1,40}")
_FIXED_COLUMNS = ["id", "student", "label", "created_at", "preprocess_version", "png"]
_NOT_OURS = "This ZIP is not a class exported by this app"


@dataclass(frozen=True)
class ClassRecord:
    """The class itself, as exported (the teacher key only as its hash)."""

    code: str
    name: str
    teacher_key_hash: str
    created_at: dt.datetime


def build(record: ClassRecord, drawings: Sequence[Drawing]) -> bytes:
    """The ZIP of a class and its drawings."""
    model_names = sorted({name for drawing in drawings for name in drawing.answers})
    table = io.StringIO()
    writer = csv.writer(table)
    writer.writerow(_FIXED_COLUMNS + [f"{kind}_{name}" for name in model_names
                                      for kind in ("answer", "confidence")])
    for drawing in drawings:
        writer.writerow([drawing.id, drawing.student, drawing.label, drawing.created_at.isoformat(),
                         drawing.preprocess_version, f"png/{drawing.id}.png"]
                        + [value for name in model_names
                           for value in (drawing.answers.get(name, ""), drawing.confidences.get(name, ""))])
    digits = io.BytesIO()
    np.savez_compressed(digits, ids=np.array([d.id for d in drawings], dtype="U32"),
                        digits=np.array([d.digit for d in drawings], dtype=np.float32).reshape(-1, 28, 28),
                        labels=np.array([d.label for d in drawings], dtype=np.uint8))
    manifest = {"format": FORMAT, "version": VERSION, "code": record.code, "name": record.name,
                "teacher_key_hash": record.teacher_key_hash, "created_at": record.created_at.isoformat(),
                "drawings": len(drawings)}
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("class.json", json.dumps(manifest, indent=2))
        archive.writestr("drawings.csv", table.getvalue())
        archive.writestr("digits.npz", digits.getvalue(), compress_type=zipfile.ZIP_STORED)
        for drawing in drawings:
            archive.writestr(f"png/{drawing.id}.png", drawing.png, compress_type=zipfile.ZIP_STORED)
    return output.getvalue()


def read(data: bytes) -> tuple[ClassRecord, list[dict[str, Any]]]:
    """The class and its drawings' rows (ready for the ``drawings`` table, minus id and class) from a ZIP."""
    if not isinstance(data, (bytes, bytearray)) or not data:
        raise BadArchiveError(f"{_NOT_OURS}: it is empty.")
    if len(data) > MAX_ZIP_BYTES:
        raise BadArchiveError(f"The ZIP is too big ({len(data):,} bytes; at most {MAX_ZIP_BYTES:,}).")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            files = _checked_members(archive)
            record = _manifest(archive.read("class.json"))
            rows = _rows(archive.read("drawings.csv"), files)
            digits = _digits(archive.read("digits.npz"), rows)
            for row, digit in zip(rows, digits, strict=True):
                row["digit"] = digit.tobytes()
                row["png"] = _png(archive.read(row.pop("png_file")))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, KeyError) as error:
        raise BadArchiveError(f"{_NOT_OURS} ({error}).") from None
    except BadInputError as error:
        raise BadArchiveError(f"{_NOT_OURS}: {error}") from None
    return record, rows


def _checked_members(archive: zipfile.ZipFile) -> set[str]:
    names = set()
    total = 0
    for info in archive.infolist():
        name = info.filename
        if name.startswith(("/", "\\")) or ".." in name or "\\" in name or ":" in name:
            raise BadArchiveError(f"The ZIP holds an unsafe path ({name[:80]!r}): not imported.")
        if name not in ("class.json", "drawings.csv", "digits.npz") and not _PNG_NAME.fullmatch(name):
            raise BadArchiveError(f"{_NOT_OURS}: unexpected file {name[:80]!r}.")
        total += info.file_size
        names.add(name)
    if total > MAX_UNPACKED_BYTES:
        raise BadArchiveError(f"The ZIP unpacks to {total:,} bytes, more than {MAX_UNPACKED_BYTES:,}.")
    if len(names) > MAX_DRAWINGS + 3:
        raise BadArchiveError(f"The ZIP holds more than {MAX_DRAWINGS:,} drawings.")
    for required in ("class.json", "drawings.csv", "digits.npz"):
        if required not in names:
            raise BadArchiveError(f"{_NOT_OURS}: {required} is missing.")
    return names


def _manifest(raw: bytes) -> ClassRecord:
    try:
        manifest = json.loads(raw)
        if manifest.get("format") != FORMAT:
            raise BadArchiveError(f"{_NOT_OURS}: class.json is not ours.")
        if manifest.get("version") != VERSION:
            raise BadArchiveError(f"The ZIP has format version {manifest.get('version')!r}; this app "
                                  f"reads version {VERSION}.")
        key_hash = str(manifest["teacher_key_hash"])
        if not re.fullmatch(r"[0-9a-f]{64}", key_hash):
            raise BadArchiveError(f"{_NOT_OURS}: bad teacher key hash.")
        return ClassRecord(str(manifest.get("code", "")), codes.clean_class_name(manifest["name"]), key_hash,
                           _moment(manifest["created_at"]))
    except (ValueError, TypeError, AttributeError) as error:
        if isinstance(error, BadArchiveError):
            raise
        raise BadArchiveError(f"{_NOT_OURS}: class.json cannot be read ({error}).") from None


def _rows(raw: bytes, files: set[str]) -> list[dict[str, Any]]:
    try:
        table = list(csv.DictReader(io.StringIO(raw.decode("utf-8"))))
    except (UnicodeDecodeError, csv.Error) as error:
        raise BadArchiveError(f"{_NOT_OURS}: drawings.csv cannot be read ({error}).") from None
    if len(table) > MAX_DRAWINGS:
        raise BadArchiveError(f"The ZIP holds more than {MAX_DRAWINGS:,} drawings.")
    rows = []
    for number, line in enumerate(table, start=2):
        if any(line.get(column) is None for column in _FIXED_COLUMNS):
            raise BadArchiveError(f"{_NOT_OURS}: drawings.csv line {number} lacks columns.")
        if line["png"] not in files or line["png"] != f"png/{line['id']}.png":
            raise BadArchiveError(f"{_NOT_OURS}: drawings.csv line {number} names a missing picture.")
        try:
            label = codes.clean_label(int(line["label"]))
        except ValueError:
            raise BadArchiveError(f"drawings.csv line {number}: the label must be a digit 0-9.") from None
        rows.append({"source_id": line["id"], "student": codes.clean_nickname(line["student"]),
                     "label": label, "created_at": _moment(line["created_at"]),
                     "preprocess_version": line["preprocess_version"][:20], "png_file": line["png"],
                     "answers": _answers(line, number)})
    return rows


def _answers(line: dict[str, str], number: int) -> dict[str, dict[str, float]]:
    answers = {}
    for column, value in line.items():
        if column is None or not column.startswith("answer_") or value in ("", None):
            continue
        name = column.removeprefix("answer_")
        try:
            digit, confidence = int(value), float(line.get(f"confidence_{name}") or "nan")
        except ValueError:
            raise BadArchiveError(f"drawings.csv line {number}: a bad answer for {name[:40]!r}.") from None
        if not _MODEL_NAME.fullmatch(name) or not 0 <= digit <= 9 or not 0 <= confidence <= 1:
            raise BadArchiveError(f"drawings.csv line {number}: a bad answer for {name[:40]!r}.")
        answers[name] = {"digit": digit, "confidence": confidence}
    return answers


def _digits(raw: bytes, rows: list[dict[str, Any]]) -> np.ndarray:
    try:
        with np.load(io.BytesIO(raw), allow_pickle=False) as saved:
            ids, digits, labels = saved["ids"], saved["digits"], saved["labels"]
    except (ValueError, OSError, KeyError, EOFError, zipfile.BadZipFile) as error:
        raise BadArchiveError(f"{_NOT_OURS}: digits.npz cannot be read ({error}).") from None
    if (digits.shape != (len(rows), 28, 28) or [str(i) for i in ids] != [r.pop("source_id") for r in rows]
            or [int(label) for label in labels] != [r["label"] for r in rows]):
        raise BadArchiveError(f"{_NOT_OURS}: digits.npz does not match drawings.csv.")
    digits = np.asarray(digits, dtype=np.float32)
    if not np.all(np.isfinite(digits)) or digits.min(initial=0) < 0 or digits.max(initial=0) > 1:
        raise BadArchiveError(f"{_NOT_OURS}: digits.npz holds values outside 0-1.")
    return digits


def _png(raw: bytes) -> bytes:
    if not raw.startswith(b"\x89PNG\r\n\x1a\n") or len(raw) > pictures.MAX_PNG_BYTES:
        raise BadArchiveError(f"{_NOT_OURS}: a picture is not a PNG of a drawing.")
    return raw


def _moment(text: object) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(str(text))
    except ValueError:
        raise BadArchiveError(f"{_NOT_OURS}: {str(text)[:40]!r} is not a time.") from None
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment
