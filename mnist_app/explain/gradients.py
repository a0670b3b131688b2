"""Integrated gradients for the two neural networks (the MLP and the CNN).

Integrated gradients average the score's gradient along the straight path from a blank
image to the digit, then multiply by the digit's pixels: each pixel's share of how far
the score moved from "nothing drawn" to "this drawing". The shares add up to that move
(up to the path's sampling), and a blank pixel gets none, like every other evidence map.
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: Points along the path from the blank image to the digit (midpoints of equal steps).
PATH_STEPS = 32


def path_fractions(steps: int = PATH_STEPS) -> np.ndarray:
    """Fractions of the digit along the path: (steps,) midpoints in (0, 1)."""
    return (np.arange(steps) + 0.5) / steps


def score_weights(target: int, n_classes: int) -> np.ndarray:
    """Weights of the logits in the score "target's logit minus the mean logit" (softmax-invariant)."""
    weights = np.full(n_classes, -1.0 / n_classes)
    weights[target] += 1.0
    return weights


def mlp_evidence(mlp: Any, pixels: np.ndarray, target: int) -> np.ndarray:
    """Integrated gradients of a one-hidden-layer ReLU ``MLPClassifier`` (784,) -> (784,)."""
    if len(mlp.coefs_) != 2 or mlp.activation != "relu":
        raise ValueError("expected scikit-learn's MLP with one ReLU hidden layer")
    first, second = mlp.coefs_
    along = path_fractions()[:, None] * pixels[None, :]  # (steps, 784)
    active = (along @ first + mlp.intercepts_[0]) > 0  # (steps, hidden)
    output_weights = second @ score_weights(target, second.shape[1])  # (hidden,)
    gradients = (active * output_weights) @ first.T  # (steps, 784)
    return gradients.mean(axis=0) * pixels


def cnn_evidence(classifier: Any, pixels: np.ndarray, target: int) -> np.ndarray:
    """Integrated gradients of the CNN (``models.cnn.CNNClassifier``) (784,) -> (784,)."""
    import torch  # only when a CNN is explained: importing torch takes over a second

    network = classifier.network_
    digit = torch.from_numpy(np.asarray(pixels, dtype=np.float32)).view(1, 1, 28, 28)
    fractions = torch.from_numpy(path_fractions().astype(np.float32)).view(-1, 1, 1, 1)
    along = (fractions * digit).requires_grad_(True)
    weights = torch.from_numpy(score_weights(target, len(classifier.classes_)).astype(np.float32))
    with torch.enable_grad():
        score = (network(along) @ weights).sum()
        (gradients,) = torch.autograd.grad(score, along)
    return (gradients.mean(dim=0) * digit[0]).reshape(-1).numpy().astype(np.float64)
