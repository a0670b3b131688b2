"""Why did a model say that: nearest training digits, evidence maps, each model's own view, a data map.

``neighbours(digit, k=8)`` and ``evidence(digit, name, target=None)`` are the API; ``digit``
is what ``to_mnist`` returns. Submodules: :mod:`~mnist_app.explain.neighbours`,
:mod:`~mnist_app.explain.evidence`, :mod:`~mnist_app.explain.views`,
:mod:`~mnist_app.explain.datamap`. ``verdict(image)`` (issue 17) is the honest answer:
"digit", "unsure" or "not_a_digit" (:mod:`~mnist_app.explain.verdict`; the function shadows
the submodule's name here, so import the module's other names from it directly).
"""

from __future__ import annotations

from mnist_app.explain.evidence import evidence, ink_mask
from mnist_app.explain.neighbours import Neighbour, Voter, neighbours, voters
from mnist_app.explain.verdict import Verdict, verdict

__all__ = ["Neighbour", "Verdict", "Voter", "evidence", "ink_mask", "neighbours", "verdict", "voters"]
