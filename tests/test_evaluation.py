"""evaluate(): the figures are consistent with each other, computed once, cached, repaired."""

from __future__ import annotations

import numpy as np
import pytest

from mnist_app import models
from mnist_app.data import load_mnist
from mnist_app.evaluation import evaluate, forget_evaluations, is_evaluated
from mnist_app.models import store


def test_evaluation_figures_agree_with_each_other(tiny_mnist, fresh_cache):
    steps: list[float] = []
    result = evaluate("knn", data_dir=tiny_mnist, progress=lambda f, m: steps.append(f))
    _, true_labels = load_mnist("test", tiny_mnist)
    n = len(true_labels)
    np.testing.assert_array_equal(result.labels, true_labels)
    assert result.predicted.shape == (n,) and result.probabilities.shape == (n, 10)
    assert result.probabilities.dtype == np.float32
    np.testing.assert_array_equal(result.predicted, result.probabilities.argmax(axis=1))
    assert result.accuracy == pytest.approx(np.mean(result.predicted == true_labels))
    assert result.confusion.shape == (10, 10) and result.confusion.sum() == n
    assert np.trace(result.confusion) == np.sum(result.predicted == true_labels)
    for digit, row in result.report.items():
        assert row.support == np.sum(true_labels == digit) == result.confusion[digit].sum()
        hits = result.confusion[digit, digit]
        assert row.recall == pytest.approx(hits / row.support)
        if result.confusion[:, digit].sum():
            assert row.precision == pytest.approx(hits / result.confusion[:, digit].sum())
    assert sorted(result.report) == list(range(10))
    assert 0 < result.macro_f1 <= 1
    assert set(result.errors) == set(np.flatnonzero(result.predicted != true_labels))
    assert result.fit_seconds > 0 and result.size_bytes > 1000 and result.latency_ms > 0
    assert steps[-1] == 1.0


def test_evaluation_is_computed_once_then_loaded(tiny_mnist, fresh_cache, monkeypatch):
    first = evaluate("naive_bayes", data_dir=tiny_mnist)
    assert is_evaluated("naive_bayes", data_dir=tiny_mnist)
    forget_evaluations()  # as in a new process

    def must_not_compute(*args, **kwargs):
        raise AssertionError("the model was asked again: the evaluation was computed instead of loaded")

    monkeypatch.setattr(models, "get_model", must_not_compute)
    second = evaluate("naive_bayes", data_dir=tiny_mnist)
    assert second.accuracy == first.accuracy and second.latency_ms == first.latency_ms
    np.testing.assert_array_equal(second.probabilities, first.probabilities)
    assert second.report == first.report
    assert not second.probabilities.flags.writeable  # shared: nobody may change it in place
    assert evaluate("naive_bayes", data_dir=tiny_mnist) is second  # memory after disk


def test_corrupt_evaluation_is_recomputed_with_a_warning(tiny_mnist, fresh_cache):
    first = evaluate("naive_bayes", data_dir=tiny_mnist)
    for path in store.models_dir().glob("naive_bayes-*.eval.npz"):
        path.write_bytes(b"garbage")
    forget_evaluations()
    with pytest.warns(store.CacheWarning):
        again = evaluate("naive_bayes", data_dir=tiny_mnist)
    np.testing.assert_array_equal(again.predicted, first.predicted)


def test_retrained_model_gets_a_new_evaluation(tiny_mnist, fresh_cache, monkeypatch):
    import dataclasses

    first = evaluate("decision_tree", data_dir=tiny_mnist)
    spec = models.MODELS["decision_tree"]
    stump = dataclasses.replace(spec, build=lambda: spec.build().set_params(max_depth=1))
    monkeypatch.setitem(models.MODELS, "decision_tree", stump)
    second = evaluate("decision_tree", data_dir=tiny_mnist)
    assert len(np.unique(second.predicted)) <= 2 < len(np.unique(first.predicted))
