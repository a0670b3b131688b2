"""Why did a model say that: nearest training digits, evidence maps, each model's own view, a data map.

``neighbours(digit, k=8)`` and ``evidence(digit, name, target=None)`` are the API; ``digit``
is what ``to_mnist`` returns. Submodules: :mod:`~mnist_app.explain.neighbours`,
:mod:`~mnist_app.explain.evidence`, :mod:`~mnist_app.explain.views`,
:mod:`~mnist_app.explain.datamap`.
"""

from __future__ import annotations

from mnist_app.explain.evidence import evidence, ink_mask
from mnist_app.explain.neighbours import Neighbour, Voter, neighbours, voters

__all__ = ["Neighbour", "Voter", "evidence", "ink_mask", "neighbours", "voters"]
