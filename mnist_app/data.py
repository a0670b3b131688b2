"""MNIST: find it, download it (verified), validate it, decode it once.

``load_mnist("train")`` looks in ``data_dir``, else ``$MNIST_DATA_DIR``, else a
per-user data folder. Missing files are downloaded with pooch from public
mirrors and checked against the official SHA-256 checksums. Files already on
disk are validated by content (IDX headers, shapes, label range), not by
checksum, so re-encoded but equivalent copies load too.
"""

from __future__ import annotations

import functools
import gzip
import logging
import os
import struct
import zlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import pooch

from mnist_app import paths

Split = Literal["train", "test"]

IMAGE_SIDE = 28
IMAGES_MAGIC = 0x00000803  # unsigned bytes, 3 dimensions
LABELS_MAGIC = 0x00000801  # unsigned bytes, 1 dimension

SPLIT_FILES: dict[str, tuple[str, str]] = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
ALL_FILES: tuple[str, ...] = SPLIT_FILES["train"] + SPLIT_FILES["test"]

#: SHA-256 of the files as published; downloads must match these exactly.
OFFICIAL_SHA256: dict[str, str] = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}

#: Public mirrors of the original files, tried in order.
MIRRORS: tuple[str, ...] = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)

log = logging.getLogger(__name__)


class MnistFileError(ValueError):
    """A data file is there but is not a valid MNIST IDX file."""


class MnistUnavailableError(RuntimeError):
    """The data is not on disk and could not be downloaded."""


def load_mnist(
    split: Split,
    data_dir: str | os.PathLike[str] | None = None,
    *,
    download: bool = True,
    progress: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(images, labels)`` of one split as read-only uint8 arrays.

    ``images`` has shape (n, 28, 28), 0 = background and 255 = full ink;
    ``labels`` has shape (n,) with values 0-9. Arrays are decoded once per
    process and shared, so a second call costs nothing.
    """
    if split not in SPLIT_FILES:
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    folder = paths.data_dir(data_dir)
    names = SPLIT_FILES[split]
    missing = [name for name in names if not (folder / name).is_file()]
    if missing:
        if not download:
            raise MnistUnavailableError(_missing_message(folder, missing, reasons=None))
        download_mnist(folder, missing, progress=progress)
    image_path, label_path = (folder / name for name in names)
    return _decode_split(str(image_path.resolve()), str(label_path.resolve()), _stamp(image_path),
                         _stamp(label_path))


def split_stamp(split: Split, data_dir: str | os.PathLike[str] | None = None) -> tuple[object, ...] | None:
    """The identity of a split's two files on disk (paths, sizes, modification times), or None
    when one is missing. Costs two ``stat`` calls: a cheap way to tell whether the data changed."""
    folder = os.fspath(paths.data_dir(data_dir))
    stamp: list[object] = []
    for name in SPLIT_FILES[split]:  # os.path, not pathlib: this runs for every model on every rerun
        path = os.path.join(folder, name)
        try:
            stat = os.stat(path)
        except OSError:
            return None
        stamp += [path, stat.st_size, stat.st_mtime_ns]
    return tuple(stamp)


def download_mnist(
    folder: str | os.PathLike[str],
    names: Iterable[str] = ALL_FILES,
    *,
    mirrors: Sequence[str] | None = None,
    checksums: dict[str, str] | None = None,
    progress: bool = True,
) -> list[Path]:
    """Download the named MNIST files into ``folder``, verified by SHA-256.

    Each file is tried on every mirror in turn. pooch writes to a temporary
    file and moves it into place only once its checksum matches, so a failed,
    cut or corrupted download leaves nothing behind.
    """
    folder = Path(folder)
    mirrors = MIRRORS if mirrors is None else mirrors
    checksums = OFFICIAL_SHA256 if checksums is None else checksums
    names = list(names)
    folder.mkdir(parents=True, exist_ok=True)
    done: list[Path] = []
    for name in names:
        target = folder / name
        if target.is_file():
            done.append(target)
            continue
        reasons: list[str] = []
        for base in mirrors:
            url = base.rstrip("/") + "/" + name
            try:
                pooch.retrieve(
                    url,
                    known_hash=f"sha256:{checksums[name]}",
                    fname=name,
                    path=folder,
                    progressbar=progress,
                )
            except Exception as error:  # network, HTTP and checksum errors alike
                reasons.append(f"{url}: {_short_reason(error)}")
                log.warning("Download of %s failed: %s", url, _short_reason(error))
                continue
            done.append(target)
            break
        else:
            raise MnistUnavailableError(_missing_message(folder, [name], reasons))
    return done


def read_idx_images(path: str | os.PathLike[str]) -> np.ndarray:
    """Decode a gzip IDX image file into a (n, 28, 28) uint8 array, validating it."""
    path = Path(path)
    raw = _read_gzip(path)
    if len(raw) < 16:
        raise MnistFileError(f"{path.name}: file is truncated ({len(raw)} bytes, no full header)")
    magic, count, rows, cols = struct.unpack(">IIII", raw[:16])
    if magic != IMAGES_MAGIC:
        raise MnistFileError(
            f"{path.name}: bad magic number {magic:#010x}, expected {IMAGES_MAGIC:#010x} "
            "(is this an MNIST image file?)"
        )
    if (rows, cols) != (IMAGE_SIDE, IMAGE_SIDE):
        raise MnistFileError(f"{path.name}: images are {rows}x{cols}, expected 28x28")
    expected = 16 + count * rows * cols
    if len(raw) != expected:
        raise MnistFileError(
            f"{path.name}: header says {count} images ({expected} bytes) "
            f"but the file holds {len(raw)} bytes (truncated or wrong count)"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(count, rows, cols)


def read_idx_labels(path: str | os.PathLike[str]) -> np.ndarray:
    """Decode a gzip IDX label file into a (n,) uint8 array, validating it."""
    path = Path(path)
    raw = _read_gzip(path)
    if len(raw) < 8:
        raise MnistFileError(f"{path.name}: file is truncated ({len(raw)} bytes, no full header)")
    magic, count = struct.unpack(">II", raw[:8])
    if magic != LABELS_MAGIC:
        raise MnistFileError(
            f"{path.name}: bad magic number {magic:#010x}, expected {LABELS_MAGIC:#010x} "
            "(is this an MNIST label file?)"
        )
    if len(raw) != 8 + count:
        raise MnistFileError(
            f"{path.name}: header says {count} labels but the file holds {len(raw) - 8} "
            "(truncated or wrong count)"
        )
    labels = np.frombuffer(raw, dtype=np.uint8, offset=8)
    if count and labels.max() > 9:
        bad = int(np.argmax(labels > 9))
        raise MnistFileError(
            f"{path.name}: label {labels[bad]} at index {bad} is not a digit 0-9"
        )
    return labels


def write_idx(path: str | os.PathLike[str], array: np.ndarray) -> None:
    """Write a uint8 array as a gzip IDX file: (n, 28, 28) images or (n,) labels."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    magic = 0x00000800 | array.ndim
    header = struct.pack(">I" + "I" * array.ndim, magic, *array.shape)
    with gzip.open(path, "wb") as handle:
        handle.write(header + array.tobytes())


@functools.lru_cache(maxsize=4)
def _decode_split(
    image_path: str, label_path: str, image_stamp: tuple[int, int], label_stamp: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    # The stamps (size, mtime) are part of the cache key so a replaced file is re-read.
    images = read_idx_images(image_path)
    labels = read_idx_labels(label_path)
    if len(images) != len(labels):
        raise MnistFileError(
            f"{Path(image_path).name} has {len(images)} images but "
            f"{Path(label_path).name} has {len(labels)} labels"
        )
    images.flags.writeable = False
    labels.flags.writeable = False
    return images, labels


def _stamp(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns


def _read_gzip(path: Path) -> bytes:
    try:
        with gzip.open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        raise MnistFileError(f"{path.name}: file not found in {path.parent}") from None
    except (gzip.BadGzipFile, EOFError, zlib.error, OSError) as error:
        raise MnistFileError(
            f"{path.name}: not a readable gzip file ({error}); delete it and let the app "
            "download it again"
        ) from None


def _short_reason(error: BaseException) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {text}"[:300]


def _missing_message(folder: Path, missing: list[str], reasons: list[str] | None) -> str:
    lines = [f"MNIST data not found: {', '.join(missing)} missing in {folder}."]
    if reasons:
        lines.append("Downloading failed:")
        lines.extend(f"  - {reason}" for reason in reasons)
        lines.append("Connect to the internet and try again, or")
    else:
        lines.append("To fix it, let the app download it (needs internet), or")
    lines.append(
        f"set {paths.DATA_DIR_ENV} to a folder holding the four standard files "
        f"({', '.join(ALL_FILES)})."
    )
    return "\n".join(lines)
