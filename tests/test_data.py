"""The MNIST data layer: IDX decoding, validation, the real files, verified downloads."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import shutil
import struct
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from mnist_app import data
from mnist_app.data import (
    MnistFileError,
    MnistUnavailableError,
    load_mnist,
    read_idx_images,
    read_idx_labels,
    write_idx,
)

TRAIN_IMAGES, TRAIN_LABELS = data.SPLIT_FILES["train"]
TEST_IMAGES, TEST_LABELS = data.SPLIT_FILES["test"]


def _write_split(folder: Path, split: str, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=n, dtype=np.uint8)
    image_name, label_name = data.SPLIT_FILES[split]
    write_idx(folder / image_name, images)
    write_idx(folder / label_name, labels)
    return images, labels


def _write_raw_gzip(path: Path, payload: bytes) -> None:
    with gzip.open(path, "wb") as handle:
        handle.write(payload)


# --- round trip and validation on small files the test writes itself ---------------


def test_idx_round_trip(tmp_path: Path) -> None:
    images, labels = _write_split(tmp_path, "test", n=7)
    got_images, got_labels = load_mnist("test", tmp_path, download=False)
    assert got_images.dtype == np.uint8 and got_images.shape == (7, 28, 28)
    assert got_labels.dtype == np.uint8 and got_labels.shape == (7,)
    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, labels)


def test_bad_magic(tmp_path: Path) -> None:
    path = tmp_path / TEST_IMAGES
    _write_raw_gzip(path, struct.pack(">IIII", 0x0803 + 1, 1, 28, 28) + bytes(784))
    with pytest.raises(MnistFileError, match=rf"{TEST_IMAGES}: bad magic number"):
        read_idx_images(path)


def test_labels_file_with_image_magic(tmp_path: Path) -> None:
    path = tmp_path / TEST_LABELS
    _write_raw_gzip(path, struct.pack(">IIII", 0x0803, 1, 28, 28) + bytes(784))
    with pytest.raises(MnistFileError, match="is this an MNIST label file"):
        read_idx_labels(path)


def test_truncated_payload(tmp_path: Path) -> None:
    path = tmp_path / TEST_IMAGES
    _write_raw_gzip(path, struct.pack(">IIII", 0x0803, 3, 28, 28) + bytes(784 * 2))
    with pytest.raises(MnistFileError, match=rf"{TEST_IMAGES}: header says 3 images.*truncated"):
        read_idx_images(path)


def test_truncated_gzip_stream(tmp_path: Path) -> None:
    good = tmp_path / "good.gz"
    write_idx(good, np.zeros((50, 28, 28), np.uint8))
    path = tmp_path / TEST_IMAGES
    path.write_bytes(good.read_bytes()[:-20])
    with pytest.raises(MnistFileError, match=rf"{TEST_IMAGES}: not a readable gzip file"):
        read_idx_images(path)


def test_header_too_short(tmp_path: Path) -> None:
    path = tmp_path / TEST_LABELS
    _write_raw_gzip(path, b"\x00\x00")
    with pytest.raises(MnistFileError, match="truncated"):
        read_idx_labels(path)


def test_wrong_image_size(tmp_path: Path) -> None:
    path = tmp_path / TEST_IMAGES
    _write_raw_gzip(path, struct.pack(">IIII", 0x0803, 1, 32, 32) + bytes(32 * 32))
    with pytest.raises(MnistFileError, match="32x32, expected 28x28"):
        read_idx_images(path)


def test_count_mismatch_between_images_and_labels(tmp_path: Path) -> None:
    write_idx(tmp_path / TEST_IMAGES, np.zeros((5, 28, 28), np.uint8))
    write_idx(tmp_path / TEST_LABELS, np.zeros(4, np.uint8))
    with pytest.raises(MnistFileError, match="has 5 images but .* has 4 labels"):
        load_mnist("test", tmp_path, download=False)


def test_label_eleven(tmp_path: Path) -> None:
    path = tmp_path / TEST_LABELS
    write_idx(path, np.array([1, 2, 11, 3], np.uint8))
    with pytest.raises(MnistFileError, match=rf"{TEST_LABELS}: label 11 at index 2"):
        read_idx_labels(path)


def test_not_gzip(tmp_path: Path) -> None:
    path = tmp_path / TEST_LABELS
    path.write_bytes(b"this is plain text, not gzip")
    with pytest.raises(MnistFileError, match=rf"{TEST_LABELS}: not a readable gzip file"):
        read_idx_labels(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(MnistFileError, match=rf"{TEST_IMAGES}: file not found"):
        read_idx_images(tmp_path / TEST_IMAGES)


def test_missing_without_download_says_where_and_how(tmp_path: Path) -> None:
    with pytest.raises(MnistUnavailableError) as info:
        load_mnist("test", tmp_path, download=False)
    message = str(info.value)
    assert str(tmp_path) in message and "MNIST_DATA_DIR" in message


def test_offline_message_says_where_it_looked_and_how_to_fix(tmp_path: Path) -> None:
    # Port 9 on loopback has no server: the same failure as having no network.
    dead = ("http://127.0.0.1:9/mnist/",)
    with pytest.raises(MnistUnavailableError) as info:
        data.download_mnist(tmp_path, [TEST_LABELS], mirrors=dead, progress=False)
    message = str(info.value)
    assert str(tmp_path) in message
    assert "127.0.0.1:9" in message and "MNIST_DATA_DIR" in message
    assert list(tmp_path.iterdir()) == []


def test_unknown_split() -> None:
    with pytest.raises(ValueError, match="'train' or 'test'"):
        load_mnist("validation")  # type: ignore[arg-type]


def test_data_dir_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    images, _ = _write_split(tmp_path, "test", n=3, seed=5)
    monkeypatch.setenv("MNIST_DATA_DIR", str(tmp_path))
    got, _ = load_mnist("test", download=False)
    np.testing.assert_array_equal(got, images)


def test_replaced_file_is_read_again(tmp_path: Path) -> None:
    _write_split(tmp_path, "test", n=3, seed=1)
    first, _ = load_mnist("test", tmp_path, download=False)
    _write_split(tmp_path, "test", n=4, seed=2)
    second, _ = load_mnist("test", tmp_path, download=False)
    assert len(first) == 3 and len(second) == 4


# --- the real MNIST -----------------------------------------------------------------


def test_real_mnist_shapes_counts_and_mean(mnist_dir: Path) -> None:
    x_train, y_train = load_mnist("train", mnist_dir, download=False)
    x_test, y_test = load_mnist("test", mnist_dir, download=False)
    assert x_train.shape == (60000, 28, 28) and x_train.dtype == np.uint8
    assert x_test.shape == (10000, 28, 28) and y_test.shape == (10000,)
    assert np.bincount(y_train).tolist() == [
        5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert np.bincount(y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert abs(float(x_train.mean()) - 33.3) <= 0.1


def test_real_mnist_second_load_is_shared_and_read_only(mnist_dir: Path) -> None:
    first = load_mnist("train", mnist_dir, download=False)
    second = load_mnist("train", mnist_dir, download=False)
    assert first[0] is second[0] and first[1] is second[1]
    with pytest.raises(ValueError):
        first[0][0, 0, 0] = 1


# --- downloads against a local HTTP server ------------------------------------------


class _Handler(http.server.SimpleHTTPRequestHandler):
    cut_files: set[str] = set()

    def log_message(self, *args: object) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        name = self.path.rsplit("/", 1)[-1]
        if name in self.cut_files:
            body = (Path(self.directory) / name).read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.connection.shutdown(2)  # cut the connection mid-file
            return
        self.path = "/" + name  # serve every mirror prefix from the folder's root
        super().do_GET()


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    root = tmp_path / "served"
    root.mkdir()

    def handler(*args: object, **kwargs: object) -> _Handler:
        return _Handler(*args, directory=str(root), **kwargs)  # type: ignore[arg-type]

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/mnist/", root
    finally:
        _Handler.cut_files = set()
        httpd.shutdown()
        httpd.server_close()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_download_good_files_verify_and_load(server: tuple[str, Path], tmp_path: Path) -> None:
    url, root = server
    images, labels = _write_split(root, "test", n=6, seed=3)
    sums = {name: _sha256(root / name) for name in data.SPLIT_FILES["test"]}
    dest = tmp_path / "dest"
    data.download_mnist(dest, data.SPLIT_FILES["test"], mirrors=[url], checksums=sums,
                        progress=False)
    got_images, got_labels = load_mnist("test", dest, download=False)
    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, labels)


def test_download_official_file_matches_official_checksum(
    server: tuple[str, Path], tmp_path: Path, mnist_dir: Path
) -> None:
    url, root = server
    shutil.copy(mnist_dir / TEST_LABELS, root / TEST_LABELS)  # byte for byte the official file
    dest = tmp_path / "dest"
    data.download_mnist(dest, [TEST_LABELS], mirrors=[url], progress=False)
    assert _sha256(dest / TEST_LABELS) == data.OFFICIAL_SHA256[TEST_LABELS]


def test_download_wrong_checksum_rejected_nothing_left(
    server: tuple[str, Path], tmp_path: Path
) -> None:
    url, root = server
    _write_split(root, "test", n=2)
    dest = tmp_path / "dest"
    with pytest.raises(MnistUnavailableError, match="(?i)hash"):
        data.download_mnist(dest, [TEST_LABELS], mirrors=[url], checksums={TEST_LABELS: "0" * 64},
                            progress=False)
    assert list(dest.iterdir()) == []


def test_download_falls_back_to_next_mirror(server: tuple[str, Path], tmp_path: Path) -> None:
    url, root = server
    _write_split(root, "test", n=2)
    sums = {TEST_LABELS: _sha256(root / TEST_LABELS)}
    dest = tmp_path / "dest"
    data.download_mnist(dest, [TEST_LABELS], mirrors=["http://127.0.0.1:9/", url],
                        checksums=sums, progress=False)
    assert (dest / TEST_LABELS).is_file()


def test_download_cut_mid_file_clear_error_nothing_left(
    server: tuple[str, Path], tmp_path: Path
) -> None:
    url, root = server
    _write_split(root, "test", n=2000)
    sums = {TEST_IMAGES: _sha256(root / TEST_IMAGES)}
    _Handler.cut_files = {TEST_IMAGES}
    dest = tmp_path / "dest"
    with pytest.raises(MnistUnavailableError) as info:
        data.download_mnist(dest, [TEST_IMAGES], mirrors=[url], checksums=sums, progress=False)
    assert TEST_IMAGES in str(info.value) and "Downloading failed" in str(info.value)
    assert list(dest.iterdir()) == []


def test_load_mnist_downloads_missing_files(
    server: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, root = server
    images, _ = _write_split(root, "test", n=4, seed=9)
    sums = {name: _sha256(root / name) for name in data.SPLIT_FILES["test"]}
    monkeypatch.setattr(data, "MIRRORS", (url,))
    monkeypatch.setattr(data, "OFFICIAL_SHA256", sums)
    got, _ = load_mnist("test", tmp_path / "fresh", progress=False)
    np.testing.assert_array_equal(got, images)
