"""``models.one_native_thread``: one native thread while any caller is inside, the original after."""

from __future__ import annotations

import threading

import numpy as np  # loads BLAS, so threadpoolctl has a pool to limit
import pytest

from mnist_app import models


def thread_counts() -> list[int]:
    """The threads of the native pools ``one_native_thread`` limits (those loaded when it first ran)."""
    return [pool["num_threads"] for pool in models._thread_pools.info()]


def test_nested_and_concurrent_uses_keep_one_thread_until_the_last_leaves() -> None:
    with models.one_native_thread():
        pass  # its first use finds the native pools
    original = thread_counts()
    assert original, "no native thread pool loaded"
    if max(original) == 1:
        pytest.skip("the native pools run one thread anyway: nothing to tell apart")
    with models.one_native_thread():
        assert set(thread_counts()) == {1}
        with models.one_native_thread():  # nested: the page around eight models' answers
            assert set(thread_counts()) == {1}
        assert set(thread_counts()) == {1}, "the inner use must not restore the limits"

        entered, leave = threading.Event(), threading.Event()

        def other_student() -> None:
            with models.one_native_thread():
                entered.set()
                leave.wait(10)

        other = threading.Thread(target=other_student)
        other.start()
        assert entered.wait(10)
        leave.set()
        other.join(10)
        assert set(thread_counts()) == {1}, "another thread leaving must not restore the limits"
    assert thread_counts() == original


def test_answers_are_the_same_inside_and_outside() -> None:
    digit = np.zeros((28, 28))
    digit[6:22, 13:15] = 1.0
    name = next(name for name in models.available_models() if models.is_trained(name))
    outside = models.predict_digits(digit, name)
    with models.one_native_thread():
        inside = models.predict_digits(digit, name)
    np.testing.assert_array_equal(inside, outside)
