"""``models.data_unchanged``: inside it a thread reads the training files' stamp once, with the same keys."""

from __future__ import annotations

import threading

from mnist_app import data, models


def test_inside_data_unchanged_the_training_files_are_looked_at_once(tiny_mnist, monkeypatch) -> None:
    names = ("decision_tree", "naive_bayes")
    expected = {name: models.model_key(name, data_dir=tiny_mnist) for name in names}
    looked: list[str] = []
    real = data.split_stamp

    def counted(split, data_dir=None):
        looked.append(threading.current_thread().name)
        return real(split, data_dir)

    monkeypatch.setattr(data, "split_stamp", counted)
    with models.data_unchanged():
        keys = [models.model_key(name, data_dir=tiny_mnist) for name in names * 5]
        with models.data_unchanged():  # nested: the same memo
            keys.append(models.model_key("decision_tree", data_dir=tiny_mnist))
        # Another thread (another student's rerun) has no memo of its own outside a scope.
        other = threading.Thread(target=models.model_key, args=("decision_tree",),
                                 kwargs={"data_dir": tiny_mnist}, name="other")
        other.start()
        other.join()
    assert keys == [expected["decision_tree"], expected["naive_bayes"]] * 5 + [expected["decision_tree"]]
    assert looked == ["MainThread", "other"]
    models.model_key("decision_tree", data_dir=tiny_mnist)  # outside: looked at on every call
    models.model_key("decision_tree", data_dir=tiny_mnist)
    assert looked == ["MainThread", "other", "MainThread", "MainThread"]
