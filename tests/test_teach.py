"""Teaching the models a class's handwriting (issue 14): the core, on a tiny MNIST and a temp cache."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from mnist_app import classroom, data, models, preprocess, teach
from mnist_app.synth import styles
from mnist_app.teach import classes, methods, storage
from mnist_app.testing.drawings import canvas_digit


@pytest.fixture
def tiny_world(tiny_mnist: Path, fresh_cache: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The tiny MNIST as the app's data and an empty model cache: whatever trains here is throwaway."""
    monkeypatch.setenv("MNIST_DATA_DIR", str(tiny_mnist))
    storage.forget_loaded()
    yield fresh_cache
    storage.forget_loaded()


def slashed_zeros_and_sixes(mnist_dir: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A class that slashes its 0s (MNIST barely does): 20 slashed 0s and 20 plain 6s to teach,
    40 other slashed 0s held out. From MNIST *test* digits, which the tiny MNIST never trains on."""
    images, labels = data.load_mnist("test", mnist_dir, download=False)
    zeros, sixes = np.flatnonzero(labels == 0)[:60], np.flatnonzero(labels == 6)[:20]

    def slashed(i: int) -> np.ndarray:
        styled = styles.apply_style(images[i], "zero_slash", np.random.default_rng(int(i)))
        return preprocess.normalise_digits(styled[None])[0]

    plain = preprocess.prepare_training(images[sixes]).reshape(-1, 28, 28)
    taught = np.concatenate([np.stack([slashed(i) for i in zeros[:20]]), plain])
    return taught, np.array([0] * 20 + [6] * 20), np.stack([slashed(i) for i in zeros[20:]])


@pytest.mark.parametrize("name", ["knn", "naive_bayes", "svm"])
def test_a_style_mnist_lacks_is_recognised_after_teaching(tiny_world, mnist_dir, name) -> None:
    taught, labels, held_out = slashed_zeros_and_sixes(mnist_dir)
    before = np.argmax(models.predict_digits(held_out, name), axis=1)
    model = teach.teach(name, taught, labels)
    after = np.argmax(models.predict_digits(held_out, name, model=model), axis=1)
    assert np.mean(before == 0) < 0.5  # the MNIST-trained model reads slashed 0s as other digits
    assert np.mean(after == 0) >= 0.8 and np.mean(after == 0) > np.mean(before == 0) + 0.4
    assert model.predict_proba(held_out.reshape(-1, 784).astype(np.float32)).shape == (40, 10)


def test_the_mlp_is_fine_tuned_on_a_copy(tiny_world, mnist_dir) -> None:
    taught, labels, held_out = slashed_zeros_and_sixes(mnist_dir)
    base = models.get_model("mlp")
    weights = [w.copy() for w in base.coefs_]
    model = teach.teach("mlp", taught, labels)
    assert model is not base and all(np.array_equal(w, b) for w, b in zip(weights, base.coefs_, strict=True))
    after = np.argmax(models.predict_digits(held_out, "mlp", model=model), axis=1)
    assert np.mean(after == 0) >= 0.7


@pytest.mark.parametrize(("digits", "labels", "words"), [
    (np.zeros((0, 28, 28), np.float32), np.zeros(0, int), "no digits yet"),
    (np.ones((1, 28, 28), np.float32), np.array([3]), "only one digit"),
    (np.ones((5, 28, 28), np.float32), np.array([7] * 5), "Every digit the class saved is a 7"),
])
def test_unusable_classes_get_a_clear_message(digits, labels, words) -> None:
    with pytest.raises(teach.TeachingError, match=words):
        teach.teach("naive_bayes", digits, labels)


def make_class(url: str, students: dict[str, list[int]]) -> tuple[classroom.ClassroomStore, str]:
    """A class whose students saved the given digits (canvas pictures of 0, 1 and 7)."""
    store = classroom.open_store(url)
    code, _ = store.create_class("7B")
    for student, saved in students.items():
        for shift, digit in enumerate(saved):
            store.save_drawing(code, canvas_digit(digit, shift=4 * shift), digit, student=student, answers={})
    return store, code


@pytest.mark.parametrize(("students", "words"), [
    ({}, "no digits yet"), ({"Ada": [7]}, "only one digit"), ({"Ada": [1, 1], "Bo": [1]}, "is a 1"),
    ({"Ada": [1, 7]}, "too few are left to teach"),
])
def test_teach_class_refuses_unusable_classes(tmp_path, students, words) -> None:
    store, code = make_class(f"sqlite:///{tmp_path / 'c.sqlite3'}", students)
    with pytest.raises(teach.TeachingError, match=words):
        teach.teach_class(code, store.drawings(code), ["naive_bayes"])


def model_files(folder: Path, name: str) -> dict[str, tuple[bytes, int]]:
    """The MNIST-trained model's file and sidecar (not its evaluation, which teaching may compute)."""
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in (folder / "models").glob(f"{name}-*")
            if ".eval." not in p.name}


def test_teach_class_stores_apart_and_leaves_the_mnist_models_untouched(tiny_world, tmp_path) -> None:
    store, code = make_class(f"sqlite:///{tmp_path / 'c.sqlite3'}",
                             {s: [0, 1, 7] for s in ("Ada", "Bo", "Cy", "Di", "Ed")})
    for name in ("knn", "naive_bayes"):
        models.get_model(name)
    before = {name: model_files(tiny_world, name) for name in ("knn", "naive_bayes")}
    result = teach.teach_class(code, store.drawings(code), ["knn", "naive_bayes"])
    assert {name: model_files(tiny_world, name) for name in ("knn", "naive_bayes")} == before
    assert set(result.comparisons) == {"knn", "naive_bayes"} and not result.failures
    # Five students: whole students are held out (two of them, six digits), never taught.
    held = [d for d in store.drawings(code) if d.id in result.held_out_ids]
    assert len({d.student for d in held}) == 2 and len(held) == 6 and result.n_taught == 9
    comparison = result.comparisons["knn"]
    assert list(comparison.truth) == [d.label for d in held] and 0 < comparison.mnist_after <= 1
    taught = teach.taught_for_class(code, "knn")
    assert taught is not None and taught.comparison.to_json() == comparison.to_json()
    assert list((tiny_world / "models").glob(f"taught-{code}-knn-*.model"))
    assert teach.taught_for_class("ZZZZZZ", "knn") is None


def test_two_teachings_of_the_same_class_at_once_train_once(tiny_world, tmp_path, monkeypatch) -> None:
    store, code = make_class(f"sqlite:///{tmp_path / 'c.sqlite3'}", {"Ada": [0, 1, 7, 0, 1, 7]})
    models.get_model("naive_bayes")
    calls: list[str] = []
    real_teach = methods.teach

    def counted(name, digits, labels, *, progress=None):
        calls.append(name)
        return real_teach(name, digits, labels, progress=progress)

    monkeypatch.setattr(methods, "teach", counted)
    drawings = store.drawings(code)
    results: list[classes.ClassTeaching] = []
    def teach_it() -> None:
        results.append(teach.teach_class(code, drawings, ["naive_bayes"]))

    threads = [threading.Thread(target=teach_it) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert calls == ["naive_bayes"] and len(results) == 2
    assert results[0].comparisons["naive_bayes"].to_json() == results[1].comparisons["naive_bayes"].to_json()


def test_a_held_out_split_keeps_both_sides_usable() -> None:
    labels = np.array([0, 1, 7, 0, 1])
    mask = teach.held_out_mask(labels, ["Ada"] * 5)
    assert 1 <= mask.sum() <= 2 and len(set(labels[~mask])) >= 2
    assert np.array_equal(mask, teach.held_out_mask(labels, ["Ada"] * 5))  # same digits, same split
    students = ["A", "B", "C", "D"] * 3
    whole = teach.held_out_mask(np.arange(12) % 10, students)
    held_students = {s for s, m in zip(students, whole, strict=True) if m}
    assert len(held_students) == 1
    assert all(m == (s in held_students) for s, m in zip(students, whole, strict=True))


def test_varied_copies_vary_and_keep_the_digit_first() -> None:
    digit = preprocess.to_mnist(canvas_digit(7))
    copies = teach.varied_copies(digit[None], 6)
    assert copies.shape == (6, 28, 28) and copies.dtype == np.float32
    assert np.allclose(copies[0], preprocess.normalise_digits(digit[None])[0], atol=1e-5)
    assert all(not np.allclose(copies[0], other) for other in copies[1:])


def test_the_cnn_is_fine_tuned_on_a_copy_and_stored_in_its_own_safe_format(tiny_world, tmp_path) -> None:
    if not models.get_spec("cnn").is_available():
        pytest.skip("PyTorch is not installed")
    store, code = make_class(f"sqlite:///{tmp_path / 'c.sqlite3'}", {"Ada": [0, 1, 7, 0, 1, 7, 7]})
    base = models.get_model("cnn")
    weights = {name: tensor.clone() for name, tensor in base.network_.state_dict().items()}
    result = teach.teach_class(code, store.drawings(code), ["cnn"])
    assert result.comparisons["cnn"].method == "fine-tune"
    assert all((weights[name] == tensor).all() for name, tensor in base.network_.state_dict().items())
    storage.forget_loaded()
    stored = teach.taught_for_class(code, "cnn")  # read back from the cache file
    assert stored is not None and stored.model is not base
    digits = np.stack([d.digit for d in store.drawings(code)])
    assert not np.allclose(stored.model.predict_proba(digits.reshape(-1, 784)),
                           base.predict_proba(digits.reshape(-1, 784)))


def test_students_get_the_taught_model_while_another_teaching_holds_the_lock(tiny_world, tmp_path) -> None:
    from mnist_app.models import store as model_store

    store, code = make_class(f"sqlite:///{tmp_path / 'c.sqlite3'}", {"Ada": [0, 1, 7, 0, 1, 7]})
    teach.teach_class(code, store.drawings(code), ["naive_bayes"])
    storage.forget_loaded()  # e.g. another server process: nothing in memory yet
    holding, release, found = threading.Event(), threading.Event(), []

    def teaching() -> None:  # what a running teaching does: it holds the class model's lock
        with model_store.locked(storage.store_name(code, "naive_bayes")):
            holding.set()
            release.wait(60)

    holder = threading.Thread(target=teaching)
    holder.start()
    holding.wait(60)
    reader = threading.Thread(target=lambda: found.append(teach.taught_for_class(code, "naive_bayes")))
    reader.start()
    reader.join(30)  # waiting for the lock would take until the teaching ends (release, below)
    finished = not reader.is_alive()
    release.set()
    holder.join(60)
    reader.join(60)
    assert finished and found and found[0] is not None


def test_a_class_s_teachings_are_listed_once_per_interval_and_new_ones_show_at_once(
        tiny_world, tmp_path, monkeypatch) -> None:
    store, code = make_class(f"sqlite:///{tmp_path / 'c.sqlite3'}", {"Ada": [0, 1, 7, 0, 1, 7]})
    listings: list[str] = []
    real_latest_meta = storage._latest_meta
    monkeypatch.setattr(storage, "_latest_meta", lambda c, n: listings.append(n) or real_latest_meta(c, n))
    assert teach.taught_for_class(code, "naive_bayes") is None  # nothing taught yet: remembered
    teach.teach_class(code, store.drawings(code), ["naive_bayes"])
    first = teach.taught_for_class(code, "naive_bayes")  # saved by this process: shows at once
    assert first is not None
    for _ in range(5):  # every stroke asks; the folder is not listed again meanwhile
        assert teach.taught_for_class(code, "naive_bayes") is first
    assert len(listings) == 2
    now = storage.time.monotonic()
    monkeypatch.setattr(storage.time, "monotonic", lambda: now + storage.LOOKUP_SECONDS + 1)
    assert teach.taught_for_class(code, "naive_bayes") is first  # listed again, same file
    assert len(listings) == 3
