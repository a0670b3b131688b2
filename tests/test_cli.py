"""The mnist-app command line on a small MNIST the tests build themselves."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mnist_app import cli, models, paths
from mnist_app.data import load_mnist
from mnist_app.evaluation import evaluate, forget_evaluations


@pytest.fixture(scope="module")
def cli_cache(tmp_path_factory) -> Path:
    """One cache for this module's commands (train once, then evaluate/predict reuse it)."""
    return tmp_path_factory.mktemp("cli-cache")


@pytest.fixture(autouse=True)
def use_cli_cache(cli_cache, monkeypatch):
    monkeypatch.setenv(paths.CACHE_DIR_ENV, str(cli_cache))
    models.forget_loaded()
    forget_evaluations()


def paper_photo(digit28: np.ndarray, path: Path) -> Path:
    """Save a digit as a 'photo of paper': dark grey ink on an uneven light background, JPEG."""
    big = np.kron(digit28.astype(np.float32) / 255, np.ones((12, 12), np.float32))
    big = np.pad(big, 40)
    rows = np.linspace(0, 1, big.shape[0])[:, None]
    paper = 225 + 20 * rows  # lighting gradient across the sheet
    grey = paper - big * 170
    rgb = np.clip(np.stack([grey, grey * 0.98, grey * 0.95], axis=-1), 0, 255).astype(np.uint8)
    Image.fromarray(rgb).save(path, quality=85)
    return path


def test_train_prints_time_and_accuracy_per_model(tiny_mnist, capsys):
    assert cli.main(["train", "--models", "knn,naive_bayes", "--data-dir", str(tiny_mnist)]) == 0
    out = capsys.readouterr().out
    lines = {line.split("  ")[0]: line for line in out.splitlines()}
    for name in ("knn", "naive_bayes"):
        result = evaluate(name, data_dir=tiny_mnist)
        line = lines[models.MODELS[name].display_name]
        assert "trained" in line
        assert f"{result.accuracy:.2%}" in line and f"{result.fit_seconds:.1f}s" in line
    assert models.is_trained("knn", data_dir=tiny_mnist)
    # Second time: nothing to train.
    assert cli.main(["train", "--models", "knn", "--data-dir", str(tiny_mnist)]) == 0
    assert "cached" in capsys.readouterr().out


def test_evaluate_prints_the_table_and_the_confusion_matrix(tiny_mnist, capsys):
    code = cli.main(["evaluate", "--models", "knn,naive_bayes", "--confusion", "--data-dir", str(tiny_mnist)])
    assert code == 0
    out = capsys.readouterr().out
    knn = evaluate("knn", data_dir=tiny_mnist)
    assert "accuracy" in out and f"{knn.accuracy:.2%}" in out
    assert out.count("rows = true digit") == 2
    first_row = next(line for line in out.splitlines() if line.strip().startswith("0 "))
    assert [int(v) for v in first_row.split()[1:]] == knn.confusion[0].tolist()


def test_predict_a_photo_of_a_digit_on_paper(tiny_mnist, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv(paths.DATA_DIR_ENV, str(tiny_mnist))
    images, labels = load_mnist("test", tiny_mnist)
    photo = paper_photo(images[0], tmp_path / "photo.jpg")
    assert cli.main(["predict", str(photo), "--model", "knn", "--data-dir", str(tiny_mnist)]) == 0
    out = capsys.readouterr().out
    expected = models.predict(np.asarray(Image.open(photo)), "knn")
    assert f"k-nearest neighbours   {expected.label}" in out
    assert expected.label == labels[0]  # the photo is recognised (a clear 7 from the test set)


def test_predict_with_all_models_prints_one_line_each(tiny_mnist, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(models, "available_models", lambda: ["knn", "naive_bayes"])
    png = tmp_path / "digit.png"
    Image.fromarray(load_mnist("test", tiny_mnist)[0][1]).save(png)
    assert cli.main(["predict", str(png), "--model", "all", "--data-dir", str(tiny_mnist)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split("  ")[0] for line in lines[:-1]] == ["k-nearest neighbours", "Naive Bayes"]
    assert lines[-1].startswith("Verdict: ")  # the drawing page's honest answer, last


def test_explain_says_the_verdict_the_nearest_digits_and_where_the_ink_pushed(tiny_mnist, tmp_path, capsys,
                                                                               monkeypatch):
    from mnist_app import explain, preprocess
    from mnist_app.explain import words

    monkeypatch.setenv(paths.DATA_DIR_ENV, str(tiny_mnist))  # the nearest digits come from its training split
    png, evidence_png = tmp_path / "digit.png", tmp_path / "evidence.png"
    Image.fromarray(load_mnist("test", tiny_mnist)[0][2]).save(png)
    argv = ["explain", str(png), "--model", "naive_bayes", "--evidence", str(evidence_png),
            "--data-dir", str(tiny_mnist)]
    assert cli.main(argv) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    digit = preprocess.to_mnist(np.asarray(Image.open(png)))
    answer = models.predict_digit(digit, "naive_bayes")
    found = explain.verdict(np.asarray(Image.open(png)))
    assert lines[0].startswith(f"Verdict: {found.headline}. ")
    assert lines[1].startswith(f"Naive Bayes says {answer.label}, {answer.confidence:.0%} sure")
    near = ", ".join(str(n.label) for n in explain.neighbours(digit, k=8))
    assert lines[2].startswith(f"The 8 nearest of MNIST's training digits are {near} (")
    assert any(f"pushed it most towards {answer.label}." in line for line in lines[3:])
    picture = np.asarray(Image.open(evidence_png))
    assert picture.shape == (280, 280, 3) and np.array_equal(
        picture, words.evidence_picture(digit, "naive_bayes"))
    push = explain.evidence(digit, "naive_bayes")
    red, blue = picture[::10, ::10, 0].astype(int), picture[::10, ::10, 2].astype(int)
    assert (red >= blue)[push > 0].all() and (blue >= red)[push < 0].all()  # red towards, blue away
    strongest = np.unravel_index(np.argmax(np.abs(push)), push.shape)
    assert max(red[strongest], blue[strongest]) == 255


@pytest.mark.parametrize("argv, message", [
    (["train", "--models", "knn,lenet"], "unknown model 'lenet'; choose one of: logistic_regression"),
    (["evaluate", "--models", ","], "--models needs"),
    (["predict", "{missing}", "--model", "knn"], "no such file"),
    (["predict", "{text}", "--model", "knn"], "cannot read"),
    (["predict", "{blank}", "--model", "knn"], "empty"),
    (["predict", "{folder}", "--model", "knn"], "is a folder"),
    (["predict", "{png}", "--model", "lenet"], "unknown model"),
    (["explain", "{missing}", "--model", "knn"], "no such file"),
    (["explain", "{blank}", "--model", "knn"], "empty"),
    (["explain", "{png}", "--model", "lenet"], "unknown model"),
    (["train", "--data-dir", "{folder}", "--models", "knn"], "MNIST"),
])
def test_user_errors_give_a_clear_message_and_exit_1(argv, message, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("mnist_app.data.download_mnist", _no_downloads)
    (tmp_path / "notes.png").write_text("this is not an image")
    Image.fromarray(np.full((100, 100), 255, np.uint8)).save(tmp_path / "blank.png")
    Image.fromarray(np.eye(40, dtype=np.uint8) * 255).save(tmp_path / "line.png")
    (tmp_path / "empty").mkdir()
    names = {"missing": tmp_path / "nope.png", "text": tmp_path / "notes.png",
             "blank": tmp_path / "blank.png", "folder": tmp_path / "empty", "png": tmp_path / "line.png"}
    argv = [part.format(**names) for part in argv]
    assert cli.main(argv) == cli.EXIT_ERROR
    err = capsys.readouterr().err
    # (Without torch a one-line hint about the CNN may come first.)
    errors = [line for line in err.splitlines() if line.startswith("mnist-app: error: ")]
    assert len(errors) == 1 and message in err
    assert "Traceback" not in err


def _no_downloads(*args, **kwargs):
    from mnist_app.data import MnistUnavailableError

    raise MnistUnavailableError("MNIST data not found (downloads disabled in this test)")


@pytest.mark.parametrize("argv", [["--bogus"], ["train", "--nope"], ["predict"], []])
def test_bad_arguments_exit_2_with_usage(argv, capsys):
    with pytest.raises(SystemExit) as stopped:
        cli.main(argv)
    assert stopped.value.code == 2
    assert "usage: mnist-app" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["--help"], ["train", "--help"], ["evaluate", "--help"],
                                  ["predict", "--help"], ["explain", "--help"]])
def test_help_everywhere(argv, capsys):
    with pytest.raises(SystemExit) as stopped:
        cli.main(argv)
    assert stopped.value.code == 0
    assert "usage: mnist-app" in capsys.readouterr().out


def test_console_entry_point_runs_without_a_traceback(tmp_path):
    # A real process: what a user typing `mnist-app predict missing.png` sees.
    done = subprocess.run([sys.executable, "-m", "mnist_app.cli", "predict", str(tmp_path / "missing.png")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "no such file" in done.stderr and "Traceback" not in done.stderr
