"""The ``mnist-app`` command line: train, evaluate and try the models without the browser.

    mnist-app train [--models all|a,b] [--number-scorer] [--data-dir D]
    mnist-app evaluate [--models all|a,b] [--confusion] [--data-dir D]
    mnist-app predict IMAGE [--model NAME|all] [--number] [--data-dir D]
    mnist-app explain IMAGE [--model NAME] [--evidence PNG] [--data-dir D]
    mnist-app class create NAME | list | export CODE FILE | import FILE

Errors (a bad model name, a missing file, an unreadable image, no MNIST) print one
clear line to stderr and exit with status 1; bad arguments exit with status 2.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import logging
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from mnist_app import models, preprocess
from mnist_app.classroom import cli as classroom_cli
from mnist_app.data import MnistFileError, MnistUnavailableError
from mnist_app.evaluation import Evaluation, evaluate
from mnist_app.explain import words
from mnist_app.explain.neighbours import KNN_MODEL
from mnist_app.models import cnn, store

EXIT_ERROR = 1
EXIT_INTERRUPTED = 130

#: The errors a user can cause and fix; anything else is a bug and keeps its traceback.
USER_ERRORS = (
    models.UnknownModelError,
    models.ModelUnavailableError,
    MnistUnavailableError,
    MnistFileError,
    preprocess.EmptyDrawingError,
    FileNotFoundError,
    IsADirectoryError,
    PermissionError,
    ValueError,
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="mnist-app: %(message)s")
    # Cache repairs are worth one line, not a Python warning with a source location.
    warnings.simplefilter("ignore", store.CacheWarning)
    if hint := cnn.missing_hint():  # torch is not installed: say once how to add the CNN
        print(f"mnist-app: {hint}", file=sys.stderr)
    try:
        return args.run(args)
    except KeyboardInterrupt:
        print("\nmnist-app: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except USER_ERRORS as error:
        print(f"mnist-app: error: {_message(error)}", file=sys.stderr)
        return EXIT_ERROR


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with its three subcommands."""
    parser = argparse.ArgumentParser(
        prog="mnist-app",
        description="Train, evaluate and try the classic MNIST models of the classroom app.",
        epilog="Models are cached in $MNIST_APP_CACHE_DIR (default: the per-user cache folder).",
    )
    version = importlib.metadata.version("mnist-app")
    parser.add_argument("--version", action="version", version=f"%(prog)s {version}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    names = ", ".join(models.model_names())

    train = commands.add_parser(
        "train", help="train and cache models, then print their time and test accuracy",
        description="Train the models that are not cached yet (with a progress bar), "
                    "then print each model's training time and MNIST test accuracy.",
    )
    _add_models_option(train, names)
    train.add_argument("--number-scorer", action="store_true",
                       help="also train the one-digit-or-not scorer that whole numbers are read with "
                            "(otherwise trained on first use)")
    _add_data_dir_option(train)
    train.set_defaults(run=run_train)

    evaluation = commands.add_parser(
        "evaluate", help="print the test accuracy table (trains models that are missing)",
        description="Print each model's accuracy on the 10,000 MNIST test digits, with its "
                    "macro F1, training time, size and single-digit prediction time.",
    )
    _add_models_option(evaluation, names)
    evaluation.add_argument("--confusion", action="store_true",
                            help="also print each model's 10x10 confusion matrix")
    _add_data_dir_option(evaluation)
    evaluation.set_defaults(run=run_evaluate)

    predict = commands.add_parser(
        "predict", help="classify a digit in a PNG or JPEG image",
        description="Classify the digit in an image file: a drawing, a scan or a photo of a "
                    "digit written on paper (dark on light or light on dark).",
    )
    predict.add_argument("image", type=Path, metavar="IMAGE", help="PNG or JPEG file")
    predict.add_argument("--model", default="mlp", metavar="NAME|all",
                         help=f"model to ask, or 'all' (default: mlp; choices: {names})")
    predict.add_argument("--number", action="store_true",
                         help="read a whole number (several digits, left to right) instead of one digit")
    _add_data_dir_option(predict)
    predict.set_defaults(run=run_predict)

    explain = commands.add_parser(
        "explain", help="say why a model answered as it did for a digit in an image",
        description="The verdict, the model's answer, the nearest training digits and where the "
                    "ink pushed the model towards its answer or away (the app's \"Why?\" page).",
    )
    explain.add_argument("image", type=Path, metavar="IMAGE", help="PNG or JPEG file")
    explain.add_argument("--model", default="mlp", metavar="NAME",
                         help=f"model to explain (default: mlp; choices: {names})")
    explain.add_argument("--evidence", type=Path, default=None, metavar="PNG",
                         help="also save the evidence map (red: towards the answer, blue: away) as a PNG")
    _add_data_dir_option(explain)
    explain.set_defaults(run=run_explain)
    classroom_cli.add_commands(commands)  # mnist-app class create|list|export|import
    return parser


def _add_models_option(parser: argparse.ArgumentParser, names: str) -> None:
    parser.add_argument("--models", default="all", metavar="all|a,b",
                        help=f"comma-separated model names or 'all' (default). Models: {names}")


def _add_data_dir_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", type=Path, default=None, metavar="D",
                        help="folder with the four MNIST .gz files (default: $MNIST_DATA_DIR or the "
                             "per-user data folder; downloaded when missing)")


def parse_models(text: str) -> list[str]:
    """'all' -> every available model; 'a,b' -> those names, checked (UnknownModelError)."""
    if text.strip().lower() == "all":
        return models.available_models()
    chosen = [part.strip() for part in text.split(",") if part.strip()]
    if not chosen:
        raise ValueError("--models needs 'all' or at least one model name")
    for name in chosen:
        models.get_spec(name)
    return list(dict.fromkeys(chosen))  # drop repeats, keep order


# --- train ---------------------------------------------------------------------------------------


def run_train(args: argparse.Namespace) -> int:
    """``mnist-app train``."""
    from tqdm import tqdm

    names = parse_models(args.models)
    results = []
    with tqdm(total=len(names), unit="model", bar_format="{l_bar}{bar}| {n:.2f}/{total} [{elapsed}]",
              file=sys.stderr, disable=None) as bar:
        for index, name in enumerate(names):
            def progress(fraction: float, message: str, index: int = index) -> None:
                bar.n = index + min(max(fraction, 0.0), 1.0)
                bar.set_description_str(message[:60].ljust(60), refresh=False)
                bar.refresh()

            ready = models.is_trained(name, data_dir=args.data_dir)
            result = evaluate(name, data_dir=args.data_dir, progress=progress)
            results.append((name, "cached" if ready else "trained", result))
    print(f"{'model':<22} {'status':<8} {'fit time':>9} {'test accuracy':>14}")
    for name, status, result in results:
        print(f"{models.get_spec(name).display_name:<22} {status:<8} {result.fit_seconds:>8.1f}s "
              f"{result.accuracy:>13.2%}")
    if args.number_scorer:
        _train_number_scorer(args.data_dir)
    return 0


def _train_number_scorer(data_dir: Path | None) -> None:
    """Train (or find cached) the one-digit-or-not scorer of ``numbers`` and print its line."""
    from mnist_app import digit_or_not

    ready = digit_or_not.is_trained(data_dir)
    digit_or_not.get_scorer(data_dir=data_dir, progress=_stderr_progress)
    _clear_status()
    meta = store.read_meta(digit_or_not.NAME, digit_or_not.scorer_key(data_dir)) or {}
    print(f"{'One digit or not':<22} {'cached' if ready else 'trained':<8} "
          f"{float(meta.get('fit_seconds', 0.0)):>8.1f}s {'(numbers)':>14}")


# --- evaluate ------------------------------------------------------------------------------------


def run_evaluate(args: argparse.Namespace) -> int:
    """``mnist-app evaluate``."""
    names = parse_models(args.models)
    results = [evaluate(name, data_dir=args.data_dir, progress=_stderr_progress)
               for name in names]
    _clear_status()
    header = f"{'model':<22} {'accuracy':>9} {'macro F1':>9} {'fit time':>9} {'size':>9} {'1 digit':>9}"
    print(header)
    print("-" * len(header))
    for result in sorted(results, key=lambda r: -r.accuracy):
        print(f"{models.get_spec(result.model).display_name:<22} {result.accuracy:>9.2%} "
              f"{result.macro_f1:>9.3f} {result.fit_seconds:>8.1f}s "
              f"{result.size_bytes / 1e6:>7.1f}MB {result.latency_ms:>7.2f}ms")
    if args.confusion:
        for result in results:
            print()
            print(format_confusion(result))
    return 0


def format_confusion(result: Evaluation) -> str:
    """The confusion matrix as text: rows = true digit, columns = predicted digit."""
    lines = [f"{models.get_spec(result.model).display_name}: rows = true digit, columns = predicted",
             "true\\pred " + "".join(f"{d:>6}" for d in range(10))]
    for digit, row in enumerate(result.confusion):
        lines.append(f"{digit:>9} " + "".join(f"{count:>6}" for count in row))
    return "\n".join(lines)


# --- predict -------------------------------------------------------------------------------------


def run_predict(args: argparse.Namespace) -> int:
    """``mnist-app predict IMAGE``."""
    names = models.available_models() if args.model.strip().lower() == "all" else parse_models(args.model)
    if args.number:
        return run_predict_number(args, names)
    pipeline = preprocess.steps(read_image(args.image))  # fails early and clearly on a blank image
    answers = {}
    for name in names:
        models.get_model(name, data_dir=args.data_dir, progress=_stderr_progress)  # trains if needed
        _clear_status()
        answer = models.predict_digit(pipeline[-1].image, name)
        answers[name] = answer.probabilities
        runners_up = np.argsort(answer.probabilities)[::-1][1:3]
        others = ", ".join(f"{d}: {answer.probabilities[d]:.0%}" for d in runners_up)
        print(f"{models.get_spec(name).display_name:<22} {answer.label}  ({answer.confidence:.0%}; {others})")
    print(f"Verdict: {words.verdict_line(pipeline, answers)}")
    return 0


def run_explain(args: argparse.Namespace) -> int:
    """``mnist-app explain IMAGE``: the verdict and, in words, why the model answered as it did."""
    from PIL import Image

    name = parse_models(args.model)[0]
    pipeline = preprocess.steps(read_image(args.image))
    for needed in (name, KNN_MODEL):  # k-NN's space finds the nearest training digits
        models.get_model(needed, data_dir=args.data_dir, progress=_stderr_progress)
    _clear_status()
    digit = pipeline[-1].image
    print(f"Verdict: {words.verdict_line(pipeline, {name: models.predict_digits(digit, name)[0]})}")
    print("\n".join(words.explanation_lines(digit, name)))
    if args.evidence is not None:
        Image.fromarray(words.evidence_picture(digit, name)).save(args.evidence, format="PNG")
        print(f"Evidence map saved to {args.evidence}")
    return 0


def run_predict_number(args: argparse.Namespace, names: list[str]) -> int:
    """``mnist-app predict IMAGE --number``: the number, then each digit's answer and confidence."""
    from mnist_app import digit_or_not, numbers

    digit_or_not.get_scorer(progress=_stderr_progress)  # learnt once, on first use (under a minute)
    for name in names:
        models.get_model(name, data_dir=args.data_dir, progress=_stderr_progress)  # trains if needed
        _clear_status()
        reading = numbers.read_number(args.image, name)  # the path: EXIF, big photos read shrunk
        digits = ", ".join(f"{digit}: {confidence:.0%}"
                           for digit, confidence in zip(reading.digits, reading.confidences, strict=True))
        print(f"{models.get_spec(name).display_name:<22} {reading.text}  ({digits})")
    return 0


def read_image(path: Path) -> np.ndarray:
    """An image file as an RGB(A) or grey uint8 array, turned upright by its EXIF orientation."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    if not path.exists():
        raise FileNotFoundError(f"no such file: {path}")
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder, not an image file")
    try:
        with Image.open(path) as picture:
            picture = ImageOps.exif_transpose(picture)  # phone photos are often stored sideways
            if picture.mode not in ("L", "RGB", "RGBA", "LA"):
                picture = picture.convert("RGBA" if "A" in picture.getbands() else "RGB")
            return np.asarray(picture)
    except (UnidentifiedImageError, OSError, SyntaxError) as error:
        raise ValueError(f"cannot read {path} as an image ({_first_line(error)}); use a PNG or JPEG") \
            from None


# --- helpers -------------------------------------------------------------------------------------


def _stderr_progress(fraction: float, message: str) -> None:
    if sys.stderr.isatty():
        sys.stderr.write(f"\r{message[:70]:<70} {fraction:>4.0%}")
        sys.stderr.flush()


def _clear_status() -> None:
    if sys.stderr.isatty():
        sys.stderr.write("\r" + " " * 76 + "\r")
        sys.stderr.flush()


def _message(error: BaseException) -> str:
    if isinstance(error, models.UnknownModelError):
        return str(error)
    return str(error).strip() or type(error).__name__


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


if __name__ == "__main__":  # python -m mnist_app.cli
    sys.exit(main())
