"""Temperature scaling, expected calibration error and reliability bins; predict_digits applies them."""

from __future__ import annotations

import numpy as np
import pytest

from mnist_app import models
from mnist_app.models import calibration


def softmax(logits: np.ndarray) -> np.ndarray:
    exp = np.exp(logits - logits.max(axis=1, keepdims=True))
    return exp / exp.sum(axis=1, keepdims=True)


@pytest.fixture
def calibrated_sample() -> tuple[np.ndarray, np.ndarray]:
    """Probabilities that are calibrated by construction: labels drawn from them."""
    rng = np.random.default_rng(0)
    probabilities = softmax(rng.normal(0.0, 2.5, (20_000, 10)))
    labels = np.array([rng.choice(10, p=row) for row in probabilities])
    return probabilities, labels


def test_temperature_keeps_every_answer_and_rows_sum_to_one(calibrated_sample) -> None:
    probabilities, _ = calibrated_sample
    for temperature in (0.5, 1.0, 3.0):
        scaled = calibration.with_temperature(probabilities, temperature)
        np.testing.assert_array_equal(scaled.argmax(axis=1), probabilities.argmax(axis=1))
        np.testing.assert_allclose(scaled.sum(axis=1), 1.0)
    np.testing.assert_allclose(calibration.with_temperature(probabilities, 1.0), probabilities, rtol=1e-9)
    softened = calibration.with_temperature(probabilities, 3.0)
    assert (softened.max(axis=1) <= probabilities.max(axis=1) + 1e-12).all()
    with pytest.raises(ValueError):
        calibration.with_temperature(probabilities, 0.0)


def test_a_calibrated_model_has_a_small_error_an_over_confident_one_a_large_one(calibrated_sample) -> None:
    probabilities, labels = calibrated_sample
    assert calibration.expected_calibration_error(probabilities, labels) < 0.015
    over_confident = calibration.with_temperature(probabilities, 0.4)
    assert calibration.expected_calibration_error(over_confident, labels) > 0.05


def test_fitting_finds_the_temperature_that_undoes_over_confidence(calibrated_sample) -> None:
    probabilities, labels = calibrated_sample
    over_confident = calibration.with_temperature(probabilities, 0.5)
    temperature = calibration.fit_temperature(over_confident, labels)
    assert temperature == pytest.approx(2.0, rel=0.1)
    repaired = calibration.with_temperature(over_confident, temperature)
    assert calibration.expected_calibration_error(repaired, labels) < 0.015


def test_reliability_bins_count_every_answer_and_measure_accuracy() -> None:
    probabilities = np.array([[0.95, 0.05] + [0.0] * 8, [0.95, 0.05] + [0.0] * 8, [0.55, 0.45] + [0.0] * 8])
    curve = calibration.reliability(probabilities, np.array([0, 1, 0]), bins=10)
    assert curve.count.sum() == 3 and curve.count[9] == 2 and curve.count[5] == 1
    assert curve.accuracy[9] == pytest.approx(0.5) and curve.confidence[9] == pytest.approx(0.95)
    assert curve.error == pytest.approx((2 * 0.45 + 1 * 0.45) / 3)
    assert np.isnan(curve.accuracy[0])


class Timid:
    """Stands in for a trained model: 60% sure of 2."""

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        probabilities = np.full((len(features), 10), 0.4 / 9)
        probabilities[:, 2] = 0.6
        return probabilities


def test_predict_digits_applies_the_models_temperature_and_keeps_its_answer(monkeypatch) -> None:
    monkeypatch.setattr(models, "get_model", lambda name, **kwargs: Timid())
    monkeypatch.setattr(calibration, "TEMPERATURES", {"random_forest": 0.5})
    digits = np.zeros((3, 28, 28), np.float32)
    raw = models.predict_digits(digits, "random_forest", calibrated=False)
    scaled = models.predict_digits(digits, "random_forest")
    np.testing.assert_allclose(raw[:, 2], 0.6)
    assert (scaled[:, 2] > 0.8).all() and (scaled.argmax(axis=1) == 2).all()
    np.testing.assert_allclose(models.predict_digits(digits, "svm"), raw)  # no temperature: as it is
    assert models.predict_digit(digits[0], "random_forest").confidence == pytest.approx(scaled[0, 2])


def test_the_fitted_temperatures_are_positive_and_for_known_models() -> None:
    for name, temperature in calibration.TEMPERATURES.items():
        assert name in models.MODELS and temperature > 0
