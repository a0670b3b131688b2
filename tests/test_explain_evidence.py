"""explain.evidence: faithful for every model, exact where the model adds up pixels, 0 on blank pixels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mnist_app import data, explain, models, preprocess
from mnist_app.explain.faithfulness import faithfulness

#: "A few hundred MNIST test digits" for the faithfulness test.
FAITHFULNESS_DIGITS = 200


@pytest.fixture(scope="module")
def test_digits(mnist_dir: Path) -> np.ndarray:
    images, _ = data.load_mnist("test", mnist_dir)
    # Every 50th test digit: all ten digits, not only the first rows of the file.
    return preprocess.prepare_training(images[::50][:FAITHFULNESS_DIGITS]).reshape(-1, 28, 28)


def raw_scores(digit: np.ndarray, name: str) -> np.ndarray:
    """The model's own ten scores before the softmax (logits, or joint log-likelihoods)."""
    model, row = models.get_model(name), np.asarray(digit, dtype=np.float64).reshape(1, -1)
    if name == "logistic_regression":
        return model.decision_function(row)[0]
    if name == "naive_bayes":
        return model.predict_joint_log_proba(row)[0]
    if name == "mlp":
        hidden = np.maximum(row @ model.coefs_[0] + model.intercepts_[0], 0.0)
        return (hidden @ model.coefs_[1] + model.intercepts_[1])[0]
    import torch

    with torch.no_grad():
        return model.network_(torch.from_numpy(row.astype(np.float32)).view(1, 1, 28, 28))[0].numpy()


def relative_score(digit: np.ndarray, name: str, target: int) -> float:
    """The target's score minus the mean score: what the softmax keeps of it."""
    scores = raw_scores(digit, name)
    return float(scores[target] - scores.mean())


@pytest.mark.parametrize("name", models.available_models())
def test_erasing_the_strongest_evidence_weakens_the_answer_more_than_random_ink(name, test_digits) -> None:
    result = faithfulness(test_digits, name)
    assert result.n_digits == FAITHFULNESS_DIGITS
    assert result.strongest_drop > 1.5 * result.random_drop
    assert result.strongest_drop > result.random_drop + 0.05


@pytest.mark.parametrize("name", ["logistic_regression", "naive_bayes"])
@pytest.mark.parametrize("target", [None, 4])
def test_exact_maps_add_up_to_the_models_own_score(name, target, test_digits) -> None:
    blank = np.zeros((28, 28), dtype=np.float32)
    for digit in test_digits[:10]:
        wanted = int(np.argmax(models.predict_digits(digit, name)[0])) if target is None else target
        result = explain.evidence(digit, name, target)
        moved = relative_score(digit, name, wanted) - relative_score(blank, name, wanted)
        assert result.sum() == pytest.approx(moved, rel=1e-3, abs=1e-3)


@pytest.mark.parametrize("name", [name for name in ("mlp", "cnn") if name in models.available_models()])
def test_gradient_maps_nearly_add_up_to_the_networks_score(name, test_digits) -> None:
    blank = np.zeros((28, 28), dtype=np.float32)
    for digit in test_digits[:10]:
        answer = int(np.argmax(models.predict_digits(digit, name)[0]))
        moved = relative_score(digit, name, answer) - relative_score(blank, name, answer)
        assert explain.evidence(digit, name).sum() == pytest.approx(moved, rel=0.1, abs=0.5)


@pytest.mark.parametrize("name", models.available_models())
def test_maps_are_28x28_zero_off_the_ink_and_depend_on_the_target(name, test_digits) -> None:
    digit = test_digits[7]
    answer = int(np.argmax(models.predict_digits(digit, name)[0]))
    towards_answer = explain.evidence(digit, name)
    assert towards_answer.shape == (28, 28)
    assert np.all(towards_answer[digit == 0] == 0)
    assert np.abs(towards_answer).max() > 0
    np.testing.assert_array_equal(towards_answer, explain.evidence(digit, name, answer))
    other = (answer + 1) % 10
    assert not np.allclose(towards_answer, explain.evidence(digit, name, other))


def test_bad_target_or_model_is_a_clear_error(test_digits) -> None:
    with pytest.raises(ValueError, match="target"):
        explain.evidence(test_digits[0], "logistic_regression", 10)
    with pytest.raises(models.UnknownModelError):
        explain.evidence(test_digits[0], "no_such_model")
