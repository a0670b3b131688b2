"""The optional CNN (extra ``cnn``) as a scikit-learn-style classifier, and its safe file format.

``CNNClassifier`` (``fit`` / ``predict_proba`` / ``predict`` / ``classes_``) takes the same
input as every other model: float32 (n, 784) in [0, 1], i.e. ``prepare_training`` or
``to_mnist`` output flattened. It knows nothing of the model registry; the network and its
augmentation are in :mod:`mnist_app.models.cnn_network`.

Training is deterministic given ``CNNConfig.seed``: the RNGs are seeded, torch is asked
for deterministic algorithms and the thread count is fixed (the order of floating-point
sums depends on it).

Stored format (``to_bytes`` / ``save``): a zip holding ``config.json`` (the config, the
class labels, the format version) and ``weights.pt``, a ``torch.save`` of the state dict,
tensors only. Loading uses ``torch.load(weights_only=True)``, which refuses anything but
tensors and plain containers, so a file can never run code; no module is ever pickled.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import threading
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import NotFittedError

from mnist_app.models import store
from mnist_app.models.cnn_network import (  # re-exported: the CNN's public names in one place
    INSTALL_HINT,
    SIDE,
    CNNConfig,
    CNNUnavailableError,
    augment,
    build_network,
    load_torch,
    missing_hint,
    torch_available,
    torch_installed,
    training_settings,
)

__all__ = [
    "FORMAT", "INSTALL_HINT", "CNNClassifier", "CNNConfig", "CNNUnavailableError", "augment",
    "build_network", "missing_hint", "torch_available", "torch_installed",
]

if TYPE_CHECKING:
    import torch

FORMAT = "mnist-app-cnn/1"
N_PIXELS = SIDE * SIDE
_CONFIG_FILE = "config.json"
_WEIGHTS_FILE = "weights.pt"
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_PREDICT_CHUNK = 2048  # rows per forward pass in predict_proba (bounds memory)
#: Up to this many rows predict_proba runs on one thread: for one drawing a second thread
#: saves nothing, and under load it made the slowest 5% of answers 10x slower here.
_SINGLE_THREAD_ROWS = 64
_threads_lock = threading.Lock()  # torch's thread count is process-wide
#: Test-time centring jitter: predict_proba averages the answers for the digit as given and
#: moved one pixel up, down, left and right (MNIST test 99.46% -> 99.52% for the same weights;
#: docs/benchmarks.md, "Writing styles MNIST lacks").
TEST_TIME_SHIFTS: tuple[tuple[int, int], ...] = ((0, 0), (1, 0), (-1, 0), (0, 1), (0, -1))

Progress = Callable[[float, str], None]


# --- the classifier ----------------------------------------------------------------------------


class CNNClassifier(ClassifierMixin, BaseEstimator):
    """A small CNN with the scikit-learn classifier interface; see the module docstring."""

    def __init__(self, config: CNNConfig | None = None) -> None:
        self.config = config

    @property
    def config_(self) -> CNNConfig:
        """The config in use (the default one when none was given)."""
        return self.config if self.config is not None else CNNConfig()

    def fit(self, X: np.ndarray, y: np.ndarray, progress: Progress | None = None) -> CNNClassifier:
        """Train from scratch on X float32 (n, 784) in [0, 1] and labels y (n,)."""
        torch = load_torch()
        config = self.config_
        features = _check_features(X)
        classes, targets = np.unique(np.asarray(y), return_inverse=True)
        if len(targets) != len(features):
            raise ValueError(f"X has {len(features)} rows but y has {len(targets)} labels")
        if len(classes) < 2:
            raise ValueError("the CNN needs at least two classes to learn from")
        report = progress or _ignore_progress
        images = torch.from_numpy(features).view(-1, 1, SIDE, SIDE)
        labels = torch.from_numpy(targets.astype(np.int64))
        batch_size = config.batch_size
        steps_per_epoch = math.ceil(len(images) / batch_size)
        total_steps = config.epochs * steps_per_epoch
        with training_settings(config):
            generator = torch.Generator().manual_seed(config.seed)
            network = build_network(config, len(classes)).to(memory_format=torch.channels_last)
            optimiser = torch.optim.AdamW(network.parameters(), lr=config.lr,
                                          weight_decay=config.weight_decay)
            schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=config.lr,
                                                           total_steps=max(total_steps, 1))
            network.train()
            report(0.0, f"Training the CNN: epoch 1 of {config.epochs}")
            for epoch in range(config.epochs):
                order = torch.randperm(len(images), generator=generator)
                for step in range(steps_per_epoch):
                    rows = order[step * batch_size:(step + 1) * batch_size]
                    batch = images[rows]
                    if config.augment:
                        batch = augment(batch, generator, config)
                    # channels_last: oneDNN's fast convolution layout on the CPU (1.6x here)
                    batch = batch.contiguous(memory_format=torch.channels_last)
                    loss = torch.nn.functional.cross_entropy(
                        network(batch), labels[rows], label_smoothing=config.label_smoothing)
                    optimiser.zero_grad(set_to_none=True)
                    loss.backward()
                    optimiser.step()
                    schedule.step()
                    done = epoch * steps_per_epoch + step + 1
                    if step % 25 == 0 or done == total_steps:
                        report(done / total_steps, f"Training the CNN: epoch {epoch + 1} of "
                                                   f"{config.epochs}, loss {loss.item():.3f}")
            network.eval()
        self.network_ = network
        self.classes_ = classes
        self.n_features_in_ = N_PIXELS
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities float32 (n, n_classes); columns follow ``classes_``."""
        torch = load_torch()
        network = self._fitted_network()
        features = _check_features(X)
        images = torch.from_numpy(features).view(-1, 1, SIDE, SIDE)
        few = len(images) <= _SINGLE_THREAD_ROWS
        with torch.inference_mode(), (_one_thread(torch) if few else contextlib.nullcontext()):
            parts = [_jittered_probabilities(torch, network, chunk)
                     for chunk in images.split(_PREDICT_CHUNK // len(TEST_TIME_SHIFTS))]
        if not parts:
            return np.zeros((0, len(self.classes_)), dtype=np.float32)
        return torch.cat(parts).numpy()

    def predict(self, X: np.ndarray) -> np.ndarray:
        """The most probable class of each row."""
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    # --- storage -------------------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        """The fitted model as a zip: ``config.json`` plus ``weights.pt`` (tensors only)."""
        torch = load_torch()
        network = self._fitted_network()
        weights = io.BytesIO()
        torch.save({name: tensor.detach().contiguous() for name, tensor in network.state_dict().items()},
                   weights)
        header = {"format": FORMAT, "config": self.config_.to_json(),
                  "classes": self.classes_.tolist(), "torch": torch.__version__}
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_STORED) as bundle:
            # A fixed timestamp: the same model always gives the same bytes (and checksum).
            for name, content in ((_CONFIG_FILE, json.dumps(header, indent=1, sort_keys=True).encode()),
                                  (_WEIGHTS_FILE, weights.getvalue())):
                bundle.writestr(zipfile.ZipInfo(name, date_time=_ZIP_TIME), content)
        return archive.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> CNNClassifier:
        """Rebuild a fitted model from :meth:`to_bytes` output; never unpickles code.

        Raises ``ValueError`` for anything that is not such a file, and torch's
        ``UnpicklingError`` if the weights hold anything but tensors.
        """
        torch = load_torch()
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as bundle:
                header = json.loads(bundle.read(_CONFIG_FILE))
                weights = bundle.read(_WEIGHTS_FILE)
        except (zipfile.BadZipFile, KeyError, ValueError) as error:
            raise ValueError(f"not a CNN model file: {error}") from None
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise ValueError(f"not a CNN model file of format {FORMAT}")
        config = CNNConfig.from_json(header["config"])
        classes = np.asarray(header["classes"])
        # weights_only=True: only tensors and plain containers are rebuilt, never objects.
        state = torch.load(io.BytesIO(weights), map_location="cpu", weights_only=True)
        if not isinstance(state, dict) or not all(isinstance(t, torch.Tensor) for t in state.values()):
            raise ValueError("CNN weights must be a dict of tensors")
        network = build_network(config, len(classes))
        network.load_state_dict(state, strict=True)
        network.to(memory_format=torch.channels_last).eval()
        model = cls(config)
        model.network_ = network
        model.classes_ = classes
        model.n_features_in_ = N_PIXELS
        return model

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the model to ``path`` atomically (see :meth:`to_bytes`)."""
        store.write_atomic(Path(path), self.to_bytes())

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> CNNClassifier:
        """Read a model written by :meth:`save`."""
        return cls.from_bytes(Path(path).read_bytes())

    def _fitted_network(self) -> torch.nn.Module:
        network = getattr(self, "network_", None)
        if network is None:
            raise NotFittedError("this CNNClassifier is not fitted yet: call fit first")
        return network


@contextlib.contextmanager
def _one_thread(torch: Any) -> Iterator[None]:
    with _threads_lock:
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            yield
        finally:
            torch.set_num_threads(threads)


def _jittered_probabilities(torch: Any, network: torch.nn.Module, images: torch.Tensor) -> torch.Tensor:
    """Softmax of ``images`` (n, 1, 28, 28) averaged over TEST_TIME_SHIFTS, in one forward pass."""
    moved = torch.cat([torch.roll(images, shifts=shift, dims=(2, 3)) for shift in TEST_TIME_SHIFTS])
    probabilities = torch.softmax(network(moved), dim=1)
    return probabilities.view(len(TEST_TIME_SHIFTS), len(images), probabilities.shape[1]).mean(dim=0)


def _check_features(X: np.ndarray) -> np.ndarray:
    features = np.asarray(X)
    if features.ndim != 2 or features.shape[1] != N_PIXELS:
        raise ValueError(f"the CNN expects X of shape (n, {N_PIXELS}), got {features.shape}")
    return np.ascontiguousarray(features, dtype=np.float32)


def _ignore_progress(fraction: float, message: str) -> None:
    return None
