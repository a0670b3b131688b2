"""The optional CNN (extra ``cnn``): a small convolutional network in PyTorch, on the CPU.

``CNNClassifier`` is a scikit-learn-style classifier (``fit`` / ``predict_proba`` /
``predict`` / ``classes_``) on the same input as every other model: float32 (n, 784) in
[0, 1], i.e. ``preprocess.prepare_training`` or ``to_mnist`` output flattened.

The network is two convolution blocks (32 and 64 filters, each pooled to half size and
batch-normalised) and a 128-unit hidden layer with dropout. It trains with augmentation
that imitates how people draw: small rotations, shear, zoom, stretch and shifts, and
thinner or thicker strokes, all done in torch on each batch so it costs little.

Training is deterministic given ``CNNConfig.seed``: the RNGs are seeded, torch is asked
for deterministic algorithms and the thread count is fixed (the order of floating-point
sums depends on it).

Stored format (``to_bytes`` / ``save``): a zip holding ``config.json`` (the config, the
class labels, the format version) and ``weights.pt``, a ``torch.save`` of the state dict,
tensors only. Loading uses ``torch.load(weights_only=True)``, which refuses anything but
tensors and plain containers, so a file can never run code; no module is ever pickled.

Importing this module never needs torch: it registers ``cnn`` in :mod:`mnist_app.models`,
and ``available_models()`` lists it only when torch imports.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import io
import json
import math
import os
import threading
import zipfile
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import NotFittedError

from mnist_app import models, storage

if TYPE_CHECKING:  # torch is optional: imported inside the functions that need it
    import torch

#: One line for the app and the CLI when torch is missing.
INSTALL_HINT = 'To add the CNN model, install PyTorch (CPU): pip install ".[cnn]" (see the README)'
FORMAT = "mnist-app-cnn/1"
SIDE = 28
N_PIXELS = SIDE * SIDE
_CONFIG_FILE = "config.json"
_WEIGHTS_FILE = "weights.pt"
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_PREDICT_CHUNK = 2048  # rows per forward pass in predict_proba (bounds memory)
#: Up to this many rows predict_proba runs on one thread: for one drawing a second thread
#: saves nothing, and under load it made the slowest 5% of answers 10x slower here.
_SINGLE_THREAD_ROWS = 64
_threads_lock = threading.Lock()  # torch's thread count is process-wide

Progress = Callable[[float, str], None]

# Idle OpenMP threads sleep instead of spinning. On the shared 2-core machine spinning made
# two-thread training 5x slower (a spinning thread burns the core its partner waits for).
# OpenMP reads this once, when torch loads it, so it is set on import, before torch's.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


class CNNUnavailableError(ImportError):
    """PyTorch is not installed (or does not import)."""


@dataclass(frozen=True)
class CNNConfig:
    """Everything that decides what a trained CNN is (saved beside its weights)."""

    seed: int = 0
    epochs: int = 6
    batch_size: int = 128
    lr: float = 3e-3  # peak learning rate of the one-cycle schedule (AdamW)
    weight_decay: float = 5e-4
    label_smoothing: float = 0.05
    channels: tuple[int, int] = (32, 64)
    hidden: int = 128
    dropout: float = 0.25
    #: Torch threads while training; fixed because the sum order (so the result) depends on it.
    #: One: on the shared 2-core machine two threads ran 5-8x *slower* whenever other work
    #: was running (each of the hundreds of parallel regions per step waits for a descheduled
    #: partner thread), and one thread still trains in about 3.5 minutes on a quiet machine.
    threads: int = 1
    augment: bool = True
    max_rotation_degrees: float = 12.0
    max_shear: float = 0.25
    zoom_range: tuple[float, float] = (0.85, 1.15)
    max_stretch: float = 0.12  # log aspect-ratio change: tall/narrow or short/wide digits
    max_shift_pixels: float = 2.0
    stroke_probability: float = 0.5  # share of samples whose strokes get thinner or thicker

    def to_json(self) -> dict[str, Any]:
        """The config as JSON-ready values."""
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, values: dict[str, Any]) -> CNNConfig:
        """Inverse of :meth:`to_json`; unknown or missing keys raise ``ValueError``."""
        names = {item.name for item in dataclasses.fields(cls)}
        if set(values) != names:
            raise ValueError(f"CNN config keys differ: unexpected {sorted(set(values) - names)}, "
                             f"missing {sorted(names - set(values))}")
        return cls(**{key: tuple(value) if isinstance(value, list) else value
                      for key, value in values.items()})


@functools.cache
def torch_available() -> bool:
    """Whether PyTorch imports (checked once per process)."""
    try:
        import torch  # noqa: F401
    except Exception:  # not installed, or a broken install: either way no CNN
        return False
    return True


def missing_hint() -> str | None:
    """One line saying how to add the CNN, or None when torch imports."""
    return None if torch_available() else INSTALL_HINT


def _torch() -> Any:
    if not torch_available():
        raise CNNUnavailableError(INSTALL_HINT)
    import torch

    return torch


# --- the network and its augmentation ---------------------------------------------------------


def build_network(config: CNNConfig, n_classes: int) -> torch.nn.Module:
    """The untrained network for ``config`` (input (n, 1, 28, 28), output logits (n, n_classes))."""
    torch = _torch()
    nn = torch.nn
    first, second = config.channels
    # Pooling right after each convolution (before batch norm and ReLU) gives the same
    # kind of network at a quarter of the normalisation cost: 2x faster training here.
    return nn.Sequential(OrderedDict([
        ("conv1", nn.Conv2d(1, first, 3, padding=1, bias=False)),
        ("pool1", nn.MaxPool2d(2)),
        ("norm1", nn.BatchNorm2d(first)),
        ("relu1", nn.ReLU()),
        ("conv2", nn.Conv2d(first, second, 3, padding=1, bias=False)),
        ("pool2", nn.MaxPool2d(2)),
        ("norm2", nn.BatchNorm2d(second)),
        ("relu2", nn.ReLU()),
        ("flatten", nn.Flatten()),
        ("drop1", nn.Dropout(config.dropout)),
        ("hidden", nn.Linear(second * (SIDE // 4) ** 2, config.hidden)),
        ("relu3", nn.ReLU()),
        ("drop2", nn.Dropout(config.dropout)),
        ("out", nn.Linear(config.hidden, n_classes)),
    ]))


def augment(batch: torch.Tensor, generator: torch.Generator, config: CNNConfig) -> torch.Tensor:
    """Randomly redraw a batch (n, 1, 28, 28) the way people's drawings differ from MNIST.

    One random affine map per digit (rotation, shear, zoom, stretch, shift) applied with
    ``affine_grid``/``grid_sample``, then on some digits thicker strokes (a 3x3 grey
    dilation) or thinner ones (a cross-shaped grey erosion), blended in by a random amount.
    """
    torch = _torch()
    functional = torch.nn.functional
    n = batch.shape[0]

    def uniform(low: float, high: float) -> torch.Tensor:
        return torch.rand(n, generator=generator) * (high - low) + low

    angle = uniform(-1.0, 1.0) * math.radians(config.max_rotation_degrees)
    shear = uniform(-config.max_shear, config.max_shear)
    zoom = torch.exp(uniform(*np.log(config.zoom_range)))
    stretch = torch.exp(uniform(-config.max_stretch, config.max_stretch))
    scale_x, scale_y = zoom * stretch, zoom / stretch
    # grid_sample coordinates run from -1 to 1 across the 28 pixels.
    shift = config.max_shift_pixels * 2.0 / SIDE
    shift_x, shift_y = uniform(-shift, shift), uniform(-shift, shift)
    cos, sin = torch.cos(angle), torch.sin(angle)
    # theta maps output to input coordinates: rotation @ shear @ diag(1/scale_x, 1/scale_y).
    theta = torch.stack([
        torch.stack([cos / scale_x, (cos * shear - sin) / scale_y, shift_x], dim=1),
        torch.stack([sin / scale_x, (sin * shear + cos) / scale_y, shift_y], dim=1),
    ], dim=1)
    grid = functional.affine_grid(theta, list(batch.shape), align_corners=False)
    moved = functional.grid_sample(batch, grid, mode="bilinear", padding_mode="zeros", align_corners=False)

    thicker = functional.max_pool2d(moved, 3, stride=1, padding=1)
    thinner = torch.minimum(  # a cross, not a square: a square erases MNIST's thin strokes
        -functional.max_pool2d(-moved, (1, 3), stride=1, padding=(0, 1)),
        -functional.max_pool2d(-moved, (3, 1), stride=1, padding=(1, 0)),
    )
    amount = uniform(-1.0, 1.0) * (torch.rand(n, generator=generator) < config.stroke_probability)
    amount = amount.view(n, 1, 1, 1)
    return (moved + amount.clamp(min=0) * (thicker - moved)
            + (-amount).clamp(min=0) * (thinner - moved)).clamp_(0.0, 1.0)


@contextlib.contextmanager
def _training_settings(config: CNNConfig) -> Iterator[None]:
    """Seeded RNGs, deterministic algorithms, a fixed thread count; all restored afterwards."""
    torch = _torch()
    threads = torch.get_num_threads()
    deterministic = torch.are_deterministic_algorithms_enabled()
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    with torch.random.fork_rng(devices=[]):  # dropout's global RNG: seeded here, restored after
        torch.manual_seed(config.seed)
        torch.set_num_threads(config.threads)
        torch.use_deterministic_algorithms(True, warn_only=True)
        try:
            yield
        finally:
            torch.set_num_threads(threads)
            torch.use_deterministic_algorithms(deterministic, warn_only=warn_only)


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
        torch = _torch()
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
        with _training_settings(config):
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
        torch = _torch()
        network = self._fitted_network()
        features = _check_features(X)
        images = torch.from_numpy(features).view(-1, 1, SIDE, SIDE)
        few = len(images) <= _SINGLE_THREAD_ROWS
        with torch.inference_mode(), (_one_thread(torch) if few else contextlib.nullcontext()):
            parts = [torch.softmax(network(chunk), dim=1) for chunk in images.split(_PREDICT_CHUNK)]
        if not parts:
            return np.zeros((0, len(self.classes_)), dtype=np.float32)
        return torch.cat(parts).numpy()

    def predict(self, X: np.ndarray) -> np.ndarray:
        """The most probable class of each row."""
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    # --- storage -------------------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        """The fitted model as a zip: ``config.json`` plus ``weights.pt`` (tensors only)."""
        torch = _torch()
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
        torch = _torch()
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
        storage.write_atomic(Path(path), self.to_bytes())

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


def _check_features(X: np.ndarray) -> np.ndarray:
    features = np.asarray(X)
    if features.ndim != 2 or features.shape[1] != N_PIXELS:
        raise ValueError(f"the CNN expects X of shape (n, {N_PIXELS}), got {features.shape}")
    return np.ascontiguousarray(features, dtype=np.float32)


def _ignore_progress(fraction: float, message: str) -> None:
    return None


# --- registration in the model zoo -------------------------------------------------------------


def _train(estimator: CNNClassifier, features: np.ndarray, targets: np.ndarray,
           progress: Progress) -> CNNClassifier:
    return estimator.fit(features, targets, progress=progress)


def _fingerprint(estimator: CNNClassifier) -> str:
    return json.dumps(estimator.config_.to_json(), sort_keys=True)


SPEC = models.register(models.ModelSpec(
    "cnn", "Convolutional network (CNN)",
    "Slides small learned filters over the image to find strokes and corners, then combines them.",
    CNNClassifier,
    fit_seconds_hint=240,
    is_available=torch_available,
    dump=CNNClassifier.to_bytes,
    load=CNNClassifier.from_bytes,
    fingerprint=_fingerprint,
    libraries=("torch", "numpy"),
    train=_train,
))
