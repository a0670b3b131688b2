"""Fine-tuning a copy of the MNIST-trained CNN on the class's digits mixed with MNIST digits.

A gentle continuation of the CNN's own training: the same augmentation and label smoothing
(``CNNClassifier.config_``), AdamW at ``LR_FACTOR`` of the peak learning rate, cosine decay to
zero over the few epochs. The CNN's network is deep-copied first: the cached one is untouched.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np

from mnist_app.models import cnn
from mnist_app.models.registry import Progress

#: Fine-tuning's learning rate as a share of the CNN's peak training rate.
LR_FACTOR = 0.1


def can_fine_tune(model: Any) -> bool:
    """Whether ``model`` is a fitted CNNClassifier with the ten digits as classes."""
    return (isinstance(model, cnn.CNNClassifier) and hasattr(model, "network_")
            and list(getattr(model, "classes_", [])) == list(range(10)))


def fine_tune(base: cnn.CNNClassifier, features: np.ndarray, targets: np.ndarray, *, epochs: int,
              progress: Progress) -> cnn.CNNClassifier:
    """A copy of ``base`` trained ``epochs`` more epochs on ``features`` (n, 784) and ``targets`` (n,)."""
    torch = cnn.load_torch()
    model = copy.deepcopy(base)
    config = model.config_
    network = model.network_
    images = torch.from_numpy(np.ascontiguousarray(features, dtype=np.float32)).view(-1, 1, 28, 28)
    labels = torch.from_numpy(np.asarray(targets, dtype=np.int64))
    steps_per_epoch = math.ceil(len(images) / config.batch_size)
    total = max(epochs * steps_per_epoch, 1)
    with cnn.training_settings(config):
        generator = torch.Generator().manual_seed(config.seed)
        optimiser = torch.optim.AdamW(network.parameters(), lr=config.lr * LR_FACTOR,
                                      weight_decay=config.weight_decay)
        schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, T_max=total)
        network.train()
        try:
            for epoch in range(epochs):
                order = torch.randperm(len(images), generator=generator)
                for step in range(steps_per_epoch):
                    rows = order[step * config.batch_size:(step + 1) * config.batch_size]
                    batch = images[rows]
                    if config.augment:
                        batch = cnn.augment(batch, generator, config)
                    batch = batch.contiguous(memory_format=torch.channels_last)
                    loss = torch.nn.functional.cross_entropy(network(batch), labels[rows],
                                                             label_smoothing=config.label_smoothing)
                    optimiser.zero_grad(set_to_none=True)
                    loss.backward()
                    optimiser.step()
                    schedule.step()
                    if step % 10 == 0:
                        done = (epoch * steps_per_epoch + step + 1) / total
                        progress(done, f"Teaching the CNN: epoch {epoch + 1} of {epochs}, "
                                       f"loss {loss.item():.3f}")
        finally:
            network.eval()
    return model
