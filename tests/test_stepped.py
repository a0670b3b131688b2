"""Trees fitted on stepped pixel values answer raw values as they would the stepped ones."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.tree import DecisionTreeClassifier

from mnist_app.models import registry, stepped, zoo  # noqa: F401  (zoo registers the specs)


def _digits_like(rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Soft grey values in [0, 1] with a learnable label, like prepared digits."""
    rng = np.random.default_rng(seed)
    features = np.clip(rng.normal(0.4, 0.3, (rows, 16)), 0, 1).astype(np.float32)
    labels = (features[:, 0] + features[:, 3] > features[:, 5] + 0.4).astype(int) + 2 * (features[:, 7] > 0.5)
    return features, labels


def test_stepped_rounds_down_to_eighths() -> None:
    values = np.array([0.0, 0.124, 0.125, 0.2, 0.99, 1.0], dtype=np.float32)
    assert stepped.stepped(values).tolist() == [0.0, 0.0, 0.125, 0.125, 0.875, 1.0]


@pytest.mark.parametrize("model", [
    DecisionTreeClassifier(criterion="entropy", random_state=0),
    RandomForestClassifier(n_estimators=5, random_state=0),
])
def test_snapped_model_answers_raw_values_as_the_stepped_ones(model) -> None:
    features, labels = _digits_like(3000, seed=0)
    fitted = clone(model).fit(stepped.stepped(features), labels)
    test, _ = _digits_like(2000, seed=1)
    # Values on the step edges and just below them are where a wrong threshold would show.
    edges = (np.arange(9, dtype=np.float32) / 8)
    below = np.nextafter(edges, np.float32(-1)).clip(0)
    test[:200] = np.random.default_rng(2).choice(np.concatenate([edges, below]), (200, 16))
    expected = fitted.predict_proba(stepped.stepped(test))
    unsnapped_raw = fitted.predict_proba(test)
    stepped.snap_model(fitted)
    assert np.array_equal(fitted.predict_proba(test), expected)
    assert not np.array_equal(unsnapped_raw, expected)  # the snap is what makes them agree


@pytest.mark.parametrize("name", ["random_forest", "decision_tree"])
def test_zoo_trees_are_fitted_stepped_and_answer_raw_values(name: str) -> None:
    spec = registry.get_spec(name)
    assert spec.extra_key.get("stepped") == stepped.STEPS  # a change of steps retrains
    features, labels = _digits_like(1500, seed=3)
    model = spec.train(spec.build(), features, labels, lambda fraction, message: None)
    test, _ = _digits_like(500, seed=4)
    reference = clone(spec.build()).fit(stepped.stepped(features), labels)
    assert np.array_equal(model.predict_proba(test), reference.predict_proba(stepped.stepped(test)))
