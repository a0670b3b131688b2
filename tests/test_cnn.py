"""The optional CNN: interface, safe storage, determinism, registry, and the accuracy floor."""

from __future__ import annotations

import io
import json
import pickle
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

# mnist_app.cnn first: it imports without torch and sets OpenMP up before torch loads.
from mnist_app import data, models
from mnist_app.evaluation import evaluate
from mnist_app.models import cnn
from mnist_app.models.cnn import CNNClassifier, CNNConfig
from mnist_app.preprocess import prepare_training

torch = pytest.importorskip("torch")

#: Small and quick: enough to exercise every code path, not to be accurate.
TINY = CNNConfig(epochs=1, batch_size=64)


@pytest.fixture(scope="module")
def noise_model() -> tuple[CNNClassifier, np.ndarray]:
    """A CNN fitted (one epoch) on random pixels, and some rows to ask it about."""
    rng = np.random.default_rng(0)
    features = rng.random((256, 784), dtype=np.float32)
    labels = np.arange(256) % 10
    return CNNClassifier(TINY).fit(features, labels), features[:40]


@pytest.fixture(scope="module")
def mnist_subset(mnist_dir: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """2,000 real training digits and 1,000 test digits, prepared like the models see them."""
    images, labels = data.load_mnist("train", mnist_dir)
    test_images, test_labels = data.load_mnist("test", mnist_dir)
    return (prepare_training(images[:2000]), labels[:2000].astype(np.int64),
            prepare_training(test_images[:1000]), test_labels[:1000].astype(np.int64))


def test_predict_proba_is_a_probability_per_digit(noise_model: tuple[CNNClassifier, np.ndarray]) -> None:
    model, rows = noise_model
    threads = torch.get_num_threads()
    probabilities = model.predict_proba(rows)  # few rows: on one thread, then the count is restored
    assert torch.get_num_threads() == threads
    assert probabilities.shape == (40, 10)
    assert probabilities.dtype == np.float32
    assert (probabilities >= 0).all()
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(model.classes_, np.arange(10))
    np.testing.assert_array_equal(model.predict(rows), probabilities.argmax(axis=1))
    assert model.predict_proba(rows[:0]).shape == (0, 10)


def test_answers_average_the_digit_moved_one_pixel_each_way(
    noise_model: tuple[CNNClassifier, np.ndarray],
) -> None:
    model, rows = noise_model
    images = torch.from_numpy(rows).view(-1, 1, 28, 28)
    with torch.inference_mode():
        answers = [torch.softmax(model.network_(torch.roll(images, shifts=shift, dims=(2, 3))), dim=1).numpy()
                   for shift in cnn.TEST_TIME_SHIFTS]
    assert set(cnn.TEST_TIME_SHIFTS) == {(0, 0), (1, 0), (-1, 0), (0, 1), (0, -1)}
    probabilities = model.predict_proba(rows)
    assert np.allclose(probabilities, np.mean(answers, axis=0), atol=1e-5)
    assert not np.allclose(probabilities, answers[0], atol=1e-4)  # not the digit as given alone
    for row in range(3):  # one row at a time (a drawing) gives the same answer as in a batch
        assert np.allclose(model.predict_proba(rows[row : row + 1])[0], probabilities[row], atol=1e-5)


def test_rejects_wrong_shapes_and_unfitted_use(noise_model: tuple[CNNClassifier, np.ndarray]) -> None:
    model, rows = noise_model
    with pytest.raises(ValueError, match="784"):
        model.predict_proba(rows.reshape(-1, 28, 28))
    with pytest.raises(ValueError, match="not fitted"):
        CNNClassifier().predict_proba(rows)
    with pytest.raises(ValueError, match="rows"):
        CNNClassifier(TINY).fit(rows, np.arange(3))


def test_learns_real_digits_from_a_small_subset(mnist_subset) -> None:
    features, labels, test_features, test_labels = mnist_subset
    model = CNNClassifier(CNNConfig(epochs=3, batch_size=64)).fit(features, labels)
    accuracy = float((model.predict(test_features) == test_labels).mean())
    assert accuracy > 0.9, accuracy  # 2,000 digits, 3 epochs: about 0.95 here


def test_training_is_deterministic_given_the_seed(mnist_subset) -> None:
    features, labels, test_features, _ = mnist_subset
    rng_state = torch.get_rng_state()
    threads = torch.get_num_threads()

    def train(seed: int) -> np.ndarray:
        config = CNNConfig(seed=seed, epochs=1, batch_size=64)
        return CNNClassifier(config).fit(features[:1000], labels[:1000]).predict_proba(test_features)

    first, second, other_seed = train(1), train(1), train(2)
    np.testing.assert_array_equal(first, second)  # identical, so the accuracy is identical too
    assert not np.array_equal(first, other_seed)  # the seed is really used
    # Training leaves the process as it found it: global RNG and thread count restored.
    assert torch.equal(torch.get_rng_state(), rng_state)
    assert torch.get_num_threads() == threads


def test_progress_is_reported_up_to_one(mnist_subset) -> None:
    features, labels, _, _ = mnist_subset
    calls: list[tuple[float, str]] = []
    CNNClassifier(TINY).fit(features[:640], labels[:640], progress=lambda f, m: calls.append((f, m)))
    fractions = [fraction for fraction, _ in calls]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
    assert all("epoch" in message for _, message in calls)


def test_augmentation_is_the_identity_when_switched_off() -> None:
    # Checks the affine maths: with every range at zero, affine_grid/grid_sample must give
    # back the same pixels up to float rounding (a wrong sign or scale in theta moves them).
    batch = torch.rand(8, 1, 28, 28)
    still = CNNConfig(max_rotation_degrees=0, max_shear=0, zoom_range=(1.0, 1.0), max_stretch=0,
                      max_shift_pixels=0, stroke_probability=0)
    out = cnn.augment(batch, torch.Generator().manual_seed(0), still)
    torch.testing.assert_close(out, batch, atol=1e-5, rtol=0)


def test_augmentation_moves_and_rethickens_strokes() -> None:
    digit = torch.zeros(1, 1, 28, 28)
    digit[..., 6:22, 13:15] = 1.0  # a vertical bar, like a 1
    batch = digit.repeat(64, 1, 1, 1)
    config = CNNConfig()
    out = cnn.augment(batch, torch.Generator().manual_seed(0), config)
    again = cnn.augment(batch, torch.Generator().manual_seed(0), config)
    assert out.shape == batch.shape and out.min() >= 0 and out.max() <= 1
    torch.testing.assert_close(out, again, atol=0, rtol=0)  # same generator, same batch
    assert not torch.equal(out[0], out[1])  # each digit gets its own transformation
    ink = out.sum(dim=(1, 2, 3)) / batch[0].sum()
    assert ink.max() > 1.3 and ink.min() < 0.8  # some strokes thicker, some thinner


def test_save_load_round_trip_gives_identical_probabilities(
    noise_model: tuple[CNNClassifier, np.ndarray], tmp_path: Path
) -> None:
    model, rows = noise_model
    path = tmp_path / "cnn.model"
    model.save(path)
    loaded = CNNClassifier.load(path)
    np.testing.assert_array_equal(loaded.predict_proba(rows), model.predict_proba(rows))
    assert loaded.config == model.config
    np.testing.assert_array_equal(loaded.classes_, model.classes_)
    with zipfile.ZipFile(path) as bundle:  # the documented layout: JSON config + tensors
        assert sorted(bundle.namelist()) == ["config.json", "weights.pt"]
        header = json.loads(bundle.read("config.json"))
    assert header["config"]["epochs"] == TINY.epochs and header["classes"] == list(range(10))


class _Payload:
    """Would touch a file when unpickled, if loading ever unpickled arbitrary objects."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return Path.touch, (self.marker,)


def _bundle(weights: bytes, header: bytes) -> bytes:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("config.json", header)
        bundle.writestr("weights.pt", weights)
    return archive.getvalue()


def test_loading_never_unpickles_objects(
    noise_model: tuple[CNNClassifier, np.ndarray], tmp_path: Path
) -> None:
    model, _ = noise_model
    with zipfile.ZipFile(io.BytesIO(model.to_bytes())) as bundle:
        header = bundle.read("config.json")
    marker = tmp_path / "pwned"
    evil = io.BytesIO()
    torch.save({"conv1.weight": _Payload(marker)}, evil)
    with pytest.raises(pickle.UnpicklingError):
        CNNClassifier.from_bytes(_bundle(evil.getvalue(), header))
    assert not marker.exists()
    whole_module = io.BytesIO()
    torch.save(model.network_, whole_module)  # a pickled nn.Module is refused too
    with pytest.raises(pickle.UnpicklingError):
        CNNClassifier.from_bytes(_bundle(whole_module.getvalue(), header))


def test_loading_rejects_files_that_are_not_cnn_models(noise_model: tuple[CNNClassifier, np.ndarray]) -> None:
    model, _ = noise_model
    with pytest.raises(ValueError, match="not a CNN model file"):
        CNNClassifier.from_bytes(b"certainly not a zip")
    good = model.to_bytes()
    with zipfile.ZipFile(io.BytesIO(good)) as bundle:
        header = json.loads(bundle.read("config.json"))
        weights = bundle.read("weights.pt")
    with pytest.raises(ValueError, match="format"):
        CNNClassifier.from_bytes(_bundle(weights, json.dumps(dict(header, format="other/9")).encode()))
    header["config"]["channels"] = [8, 8]  # weights of another shape than the config says
    with pytest.raises(RuntimeError, match="size mismatch"):
        CNNClassifier.from_bytes(_bundle(weights, json.dumps(header).encode()))


def test_cnn_is_registered_and_listed_when_torch_imports() -> None:
    assert "cnn" in models.available_models()
    spec = models.get_spec("cnn")
    assert spec.is_available() and spec.display_name and spec.description
    assert models.available_models()[: len(models.CLASSIC_MODELS)] == list(models.CLASSIC_MODELS)


@pytest.fixture
def tiny_mnist(mnist_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A 600/200-digit MNIST folder and an empty cache, so the registry trains in seconds."""
    folder = tmp_path / "mnist"
    folder.mkdir()
    for split, count in (("train", 600), ("test", 200)):
        images, labels = data.load_mnist(split, mnist_dir)
        image_name, label_name = data.SPLIT_FILES[split]
        data.write_idx(folder / image_name, images[:count])
        data.write_idx(folder / label_name, labels[:count])
    monkeypatch.setenv("MNIST_DATA_DIR", str(folder))
    monkeypatch.setenv("MNIST_APP_CACHE_DIR", str(tmp_path / "cache"))
    return folder


def test_works_through_get_model_predict_and_evaluate(tiny_mnist: Path) -> None:
    calls: list[float] = []
    model = models.get_model("cnn", progress=lambda fraction, message: calls.append(fraction))
    assert isinstance(model, CNNClassifier) and calls[-1] == 1.0
    assert models.is_trained("cnn")
    models.forget_loaded()  # the next call must come from the cache file, through the safe loader
    reloaded = models.get_model("cnn")
    assert reloaded is not model
    test_images, test_labels = data.load_mnist("test", tiny_mnist)
    rows = prepare_training(test_images[:20])
    np.testing.assert_array_equal(reloaded.predict_proba(rows), model.predict_proba(rows))

    drawing = np.kron(test_images[0], np.ones((10, 10), dtype=np.uint8))  # a 280x280 "canvas"
    prediction = models.predict(drawing, "cnn")
    assert prediction.model == "cnn" and 0 <= prediction.label <= 9
    np.testing.assert_allclose(prediction.probabilities.sum(), 1.0, rtol=1e-5)

    result = evaluate("cnn")
    assert result.probabilities.shape == (200, 10)
    np.testing.assert_array_equal(result.labels, test_labels)
    assert result.accuracy > 0.5  # 600 training digits: well above chance (0.1), about 0.85


def test_everything_else_works_without_torch() -> None:
    # A fresh interpreter where `import torch` fails: the zoo lists no CNN, and using the CNN
    # or the command line says in one line how to add it.
    script = (
        "import importlib.abc, sys\n"
        "class NoTorch(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path, target=None):\n"
        "        if name.split('.')[0] == 'torch':\n"
        "            raise ImportError('No module named torch')\n"
        "sys.meta_path.insert(0, NoTorch())\n"
        "from mnist_app import models\n"
        "from mnist_app.models import cnn\n"
        "assert 'cnn' in models.model_names() and 'cnn' not in models.available_models()\n"
        "assert 'logistic_regression' in models.available_models()\n"
        "try:\n"
        "    cnn.CNNClassifier().fit([[0.0] * 784], [0])\n"
        "except ImportError as error:\n"
        "    print(error)\n"
        "import contextlib, io\n"
        "from mnist_app import cli\n"
        "errors = io.StringIO()\n"
        "with contextlib.redirect_stderr(errors):\n"
        "    status = cli.main(['predict', 'no-such-image.png', '--model', 'knn'])\n"
        "assert status != 0\n"
        "print('CLI:', errors.getvalue().splitlines()[0])\n"
        "assert 'torch' not in sys.modules\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    fit_error, cli_first_line = result.stdout.splitlines()[-2:]
    assert 'pip install ".[cnn]"' in fit_error
    assert cli_first_line.startswith("CLI: mnist-app:") and 'pip install ".[cnn]"' in cli_first_line


@pytest.mark.slow
def test_accuracy_floor_on_real_mnist(mnist_dir: Path) -> None:
    # Trains the real CNN once (a few minutes) in the tests' shared cache; reruns reuse it.
    result = evaluate("cnn", data_dir=mnist_dir)
    assert result.accuracy >= 0.994, result.accuracy
