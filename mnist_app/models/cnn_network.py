"""The CNN's network, its drawing-like augmentation and its training settings (PyTorch, CPU).

The network is two convolution blocks (32 and 48 filters, each pooled to half size and
batch-normalised) and a 128-unit hidden layer with dropout. It trains with augmentation
that imitates how people draw: small rotations, shear, zoom, stretch and shifts, and
thinner or thicker strokes, all done in torch on each batch so it costs little.

Importing this module never imports torch; ``torch_installed()`` answers without importing
it, so listing the models stays fast.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import importlib.util
import math
import os
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # torch is optional: imported inside the functions that need it
    import torch

#: One line for the app and the CLI when torch is missing.
INSTALL_HINT = 'To add the CNN model, install PyTorch (CPU): pip install ".[cnn]" (see the README)'
SIDE = 28

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
    #: 48 filters, not 64, in the second block: 16% less time per step (within the 5-minute
    #: budget with the styled copies) for the same MNIST accuracy (docs/benchmarks.md).
    channels: tuple[int, int] = (32, 48)
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
def torch_installed() -> bool:
    """Whether PyTorch is installed, without importing it (importing takes over a second)."""
    try:
        return importlib.util.find_spec("torch") is not None
    except (ImportError, ValueError):  # a broken or blocked install
        return False


@functools.cache
def torch_available() -> bool:
    """Whether PyTorch imports (checked once per process; imports it)."""
    try:
        import torch  # noqa: F401
    except Exception:  # not installed, or a broken install: either way no CNN
        return False
    return True


def missing_hint() -> str | None:
    """One line saying how to add the CNN, or None when torch is installed."""
    return None if torch_installed() else INSTALL_HINT


def load_torch() -> Any:
    """The ``torch`` module, or :class:`CNNUnavailableError` with the install line."""
    if not torch_available():
        raise CNNUnavailableError(INSTALL_HINT)
    import torch

    return torch


# --- the network and its augmentation ---------------------------------------------------------


def build_network(config: CNNConfig, n_classes: int) -> torch.nn.Module:
    """The untrained network for ``config`` (input (n, 1, 28, 28), output logits (n, n_classes))."""
    torch = load_torch()
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
    torch = load_torch()
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
def training_settings(config: CNNConfig) -> Iterator[None]:
    """Seeded RNGs, deterministic algorithms, a fixed thread count; all restored afterwards."""
    torch = load_torch()
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
