"""A small MNIST folder made from the real one, so tests train models in seconds."""

from __future__ import annotations

from pathlib import Path

from mnist_app.data import SPLIT_FILES, load_mnist, write_idx


def build_tiny_mnist(folder: Path, source: Path, n_train: int = 500, n_test: int = 200) -> Path:
    """Write a small MNIST (the first digits of the real one) as IDX files into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for split, count in (("train", n_train), ("test", n_test)):
        images, labels = load_mnist(split, source, download=False)
        image_name, label_name = SPLIT_FILES[split]
        write_idx(folder / image_name, images[:count])
        write_idx(folder / label_name, labels[:count])
    return folder
