"""The model cache: keys, atomic writes, safe loading, repair of broken files."""

from __future__ import annotations

import os
import pickle
import stat
import threading

import numpy as np
import pytest
from sklearn.naive_bayes import GaussianNB

from mnist_app import paths
from mnist_app.models import store


@pytest.fixture(autouse=True)
def fresh_cache(tmp_path, monkeypatch):
    monkeypatch.setenv(paths.CACHE_DIR_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(paths, "signing_key_file", lambda: tmp_path / "secret" / "signing.key")
    return tmp_path / "cache"


def fitted_model() -> GaussianNB:
    rng = np.random.default_rng(0)
    return GaussianNB().fit(rng.random((40, 4)), np.arange(40) % 2)


class MakesADirectoryWhenUnpickled:
    """A pickle that runs code when loaded: what a malicious model file would do."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return os.mkdir, (self.marker,)


def test_cache_key_is_stable_and_sensitive_to_every_part():
    parts = {"model": "knn", "hyperparameters": "k=3", "versions": {"numpy": "2"}, "data": "abc"}
    assert store.cache_key(parts) == store.cache_key(dict(reversed(list(parts.items()))))
    for field, other in [("model", "svm"), ("hyperparameters", "k=4"), ("versions", {"numpy": "3"}),
                         ("data", "abd")]:
        assert store.cache_key({**parts, field: other}) != store.cache_key(parts)


def test_library_versions_name_python_and_the_libraries():
    versions = store.library_versions(("sklearn", "numpy", "not-a-package-xyz"))
    assert versions["sklearn"][0].isdigit() and versions["numpy"][0].isdigit()
    assert versions["not-a-package-xyz"] == "missing"
    assert versions["python"].count(".") == 2


def test_array_checksum_changes_with_one_pixel():
    images = np.zeros((3, 28, 28), np.uint8)
    before = store.array_checksum(images)
    images[1, 5, 5] = 1
    assert store.array_checksum(images) != before


def test_atomic_write_replaces_whole_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "out" / "file.bin"
    store.write_atomic(target, b"first version, longer")
    store.write_atomic(target, b"second")
    assert target.read_bytes() == b"second"
    assert [p.name for p in target.parent.iterdir()] == ["file.bin"]


def test_model_round_trip_and_sidecar():
    model = fitted_model()
    data = store.signed_pickle_dump(model)
    sidecar = store.save_model("naive_bayes", "k" * 20, data, {"fit_seconds": 1.5})
    assert sidecar["fit_seconds"] == 1.5 and sidecar["size_bytes"] > 0
    assert store.is_cached("naive_bayes", "k" * 20)
    loaded, meta = store.load_model("naive_bayes", "k" * 20, store.signed_pickle_load)
    x = np.random.default_rng(1).random((5, 4))
    np.testing.assert_array_equal(loaded.predict_proba(x), model.predict_proba(x))
    assert meta["sha256"] == sidecar["sha256"]


def test_saving_a_new_key_removes_the_stale_entry():
    data = store.signed_pickle_dump(fitted_model())
    store.save_model("naive_bayes", "a" * 20, data, {})
    store.save_model("naive_bayes", "b" * 20, data, {})
    assert not store.model_path("naive_bayes", "a" * 20).exists()
    assert store.is_cached("naive_bayes", "b" * 20)



def test_only_entries_known_to_be_trained_on_the_same_data_are_stale():
    data = store.signed_pickle_dump(fitted_model())
    store.save_model("naive_bayes", "c" * 20, data, {})  # a sidecar from before the checksum
    store.save_model("naive_bayes", "a" * 20, data, {"training_data": "real"})
    store.save_model("naive_bayes", "b" * 20, data, {"training_data": "small"})
    store.save_model("naive_bayes", "d" * 20, data, {"training_data": "real"})
    assert not store.model_path("naive_bayes", "a" * 20).exists()  # same data, older key
    assert store.is_cached("naive_bayes", "b" * 20)  # other data: kept beside it
    assert store.is_cached("naive_bayes", "c" * 20)  # data unknown: not thrown away
    assert store.is_cached("naive_bayes", "d" * 20)

def test_a_model_file_we_did_not_write_is_deleted_not_loaded():
    key = "c" * 20
    store.save_model("naive_bayes", key, store.signed_pickle_dump(fitted_model()), {})
    other = fitted_model()
    other.var_smoothing = 0.5  # a valid signed file, but not the bytes our sidecar vouches for
    store.model_path("naive_bayes", key).write_bytes(store.signed_pickle_dump(other))

    def must_not_load(data: bytes) -> object:
        raise AssertionError("a file with a foreign checksum was deserialised")

    with pytest.warns(store.CacheWarning, match="checksum"):
        assert store.load_model("naive_bayes", key, must_not_load) is None
    assert not store.model_path("naive_bayes", key).exists()
    assert not store.meta_path("naive_bayes", key).exists()


@pytest.mark.parametrize("damage", ["garbage", "truncated", "no sidecar", "bad sidecar"])
def test_broken_model_files_are_deleted_with_a_warning(damage):
    key = "d" * 20
    data = store.signed_pickle_dump(fitted_model())
    store.save_model("naive_bayes", key, data, {})
    model_file, sidecar = store.model_path("naive_bayes", key), store.meta_path("naive_bayes", key)
    if damage == "garbage":
        model_file.write_bytes(b"not a model file at all")
    elif damage == "truncated":
        model_file.write_bytes(data[: len(data) // 2])
    elif damage == "no sidecar":
        sidecar.unlink()
    else:
        sidecar.write_text("{ not json")
    with pytest.warns(store.CacheWarning):
        assert store.load_model("naive_bayes", key, store.signed_pickle_load) is None
    assert not model_file.exists() and not sidecar.exists()


def test_a_file_signed_by_another_installation_is_never_unpickled(tmp_path, monkeypatch):
    marker = tmp_path / "the pickle ran"
    monkeypatch.setattr(paths, "signing_key_file", lambda: tmp_path / "elsewhere" / "signing.key")
    foreign = store.signed_pickle_dump(MakesADirectoryWhenUnpickled(str(marker)))
    monkeypatch.setattr(paths, "signing_key_file", lambda: tmp_path / "secret" / "signing.key")
    with pytest.raises(store.CacheFileError, match="signature"):
        store.signed_pickle_load(foreign)
    with pytest.raises(store.CacheFileError, match="not a model file"):
        store.signed_pickle_load(pickle.dumps(MakesADirectoryWhenUnpickled(str(marker))))
    assert not marker.exists()

    # Through the cache, with a sidecar that vouches for the bytes: deleted with a warning.
    key = "g" * 20
    store.save_model("naive_bayes", key, foreign, {})
    with pytest.warns(store.CacheWarning, match="signature"):
        assert store.load_model("naive_bayes", key, store.signed_pickle_load) is None
    assert not marker.exists() and not store.model_path("naive_bayes", key).exists()


def test_a_flipped_byte_in_the_pickle_fails_the_signature():
    data = bytearray(store.signed_pickle_dump(fitted_model()))
    data[-10] ^= 0xFF
    with pytest.raises(store.CacheFileError, match="signature"):
        store.signed_pickle_load(bytes(data))


def test_signing_key_is_private_made_once_and_shared_by_racing_callers(tmp_path):
    key_file = paths.signing_key_file()
    keys: list[bytes] = []
    threads = [threading.Thread(target=lambda: keys.append(store.signing_key())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(keys)) == 1 and len(keys[0]) == 32
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert [p.name for p in key_file.parent.iterdir()] == [key_file.name]  # no temporary left
    assert store.signing_key() == keys[0]


def test_a_damaged_signing_key_is_replaced_and_its_models_retrain():
    data = store.signed_pickle_dump(fitted_model())
    paths.signing_key_file().write_bytes(b"short")
    with pytest.warns(store.CacheWarning, match="signing key"):
        new_key = store.signing_key()
    assert len(new_key) == 32
    with pytest.raises(store.CacheFileError, match="signature"):
        store.signed_pickle_load(data)


def test_evaluation_round_trip_needs_no_pickle():
    arrays = {"probabilities": np.full((3, 10), 0.1, np.float32), "labels": np.arange(3)}
    store.save_evaluation("knn", "e" * 20, arrays, {"accuracy": 0.5})
    loaded_arrays, figures = store.load_evaluation("knn", "e" * 20)
    assert figures["accuracy"] == 0.5
    assert loaded_arrays["probabilities"].dtype == np.float32
    np.testing.assert_array_equal(loaded_arrays["labels"], np.arange(3))


def test_corrupt_evaluation_is_deleted_with_a_warning():
    store.save_evaluation("knn", "f" * 20, {"labels": np.arange(3)}, {"accuracy": 0.5})
    arrays_file, figures_file = store.evaluation_paths("knn", "f" * 20)
    arrays_file.write_bytes(b"PK\x03\x04 broken")
    with pytest.warns(store.CacheWarning):
        assert store.load_evaluation("knn", "f" * 20) is None
    assert not arrays_file.exists() and not figures_file.exists()


def test_lock_is_exclusive_across_lock_objects():
    import filelock

    with store.locked("svm"):
        other = filelock.FileLock(paths.cache_dir() / "locks" / "svm.lock", timeout=0.05)
        with pytest.raises(filelock.Timeout):
            other.acquire()
    with store.locked("svm"):  # released: can be taken again
        pass
