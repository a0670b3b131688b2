"""How each model learns the class's handwriting: ``teach(name, digits, labels)``.

The ways, chosen per model by measurement (docs/benchmarks.md, "Teaching the class's handwriting"):

- **retrain**: the model's own recipe (``spec.build`` and ``spec.train``, whatever they are
  now) on the MNIST training digits (plus their varied copies when the spec uses them) and
  the class's digits, oversampled as varied copies so that they make up ``CLASS_SHARE`` of
  what the model learns from (random forest, decision tree, naive Bayes).
- **fine-tune**: a copy of the MNIST-trained model learns a few more epochs from the class's
  copies mixed with twice as many MNIST digits, so it does not forget (the MLP via
  ``partial_fit`` at a lower learning rate, the CNN via :mod:`mnist_app.teach.cnn_tune`).
- **warm start** (logistic regression): refitted from its MNIST weights for a few iterations
  on MNIST plus the class's varied copies.
- **support vectors + class** (SVM, :mod:`mnist_app.teach.support_vectors`) and **add to
  search set** (k-NN, :mod:`mnist_app.teach.extend_search`): the model's own summary of MNIST
  plus the class's digits, refitted in seconds.

A model whose recipe no longer allows its way (a changed spec) is retrained instead.

The MNIST-trained model is never modified: fine-tuning works on a deep copy.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import time
import warnings
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from mnist_app import data, models, preprocess
from mnist_app.models import training
from mnist_app.models.registry import Progress
from mnist_app.teach import cnn_tune, extend_search, support_vectors
from mnist_app.teach.digits import check_teaching_data, varied_copies

#: Share of the teaching rows that are the class's (varied) digits when retraining, and where
#: measured otherwise: naive Bayes learns each digit's mean ink, which 5% of rows barely moves
#: (-12% held-out errors; 15%: -27% for -0.1 point on MNIST; 30%: -41% but -1.3 points).
CLASS_SHARE = 0.05
CLASS_SHARES = {"naive_bayes": 0.15}
#: Models taught each class digit once, unvaried: the decision tree fits every row it is given,
#: and 4 varied copies cost it 0.43 point on MNIST (-43% held-out errors); once: +0.06, -32%.
SINGLE_COPY = ("decision_tree",)
MIN_COPIES, MAX_COPIES = 4, 60
#: Fine-tuning: about this many class rows (varied copies, 2 to 20 per digit), MNIST digits
#: mixed in per class row (at least TUNE_MIN_MNIST), epochs: sized to stay within 30 s for the CNN.
TUNE_CLASS_ROWS = 3000
TUNE_MIN_COPIES, TUNE_MAX_COPIES = 2, 20
TUNE_MNIST_PER_CLASS_ROW = 2
TUNE_MIN_MNIST = 6000
TUNE_EPOCHS = 3
#: The MLP's fine-tuning learning rate, as a share of its training one.
TUNE_LR_FACTOR = 0.3
#: Models taught by fine-tuning their MNIST-trained copy (when it can), the rest are retrained.
FINE_TUNED = ("mlp", "cnn")
#: Models refitted from their MNIST-trained weights (``warm_start``), for WARM_ITERATIONS.
WARM_STARTED = ("logistic_regression",)
WARM_ITERATIONS = 20
#: Models whose MNIST search set gets the class's digits added (SEARCH_COPIES varied copies each).
SEARCH_SET = ("knn",)
SEARCH_COPIES = 4
#: Models refitted on their support vectors plus SUPPORT_COPIES varied copies of each class digit.
SUPPORT_VECTORS = ("svm",)
SUPPORT_COPIES = 2
SEED = 0



def teach(name: str, digits: np.ndarray, labels: np.ndarray, *, progress: Progress | None = None) -> Any:
    """Model ``name`` taught the handwriting of ``digits`` (float32 (n, 28, 28), as to_mnist makes
    them) with ``labels`` (int (n,)), on top of MNIST. Returns a new fitted classifier whose
    ``predict_proba(float32 (m, 784))`` answers (m, 10); the cached MNIST model is untouched.

    Raises :class:`~mnist_app.teach.digits.TeachingError` for no digits, one digit or one label.
    """
    spec = models.get_spec(name)
    digits, labels = check_teaching_data(digits, labels)
    report = progress or _ignore
    if name in FINE_TUNED or name in WARM_STARTED or name in SEARCH_SET or name in SUPPORT_VECTORS:
        base = models.get_model(name, progress=lambda f, m: report(0.05 * f, m))
        if name in SEARCH_SET and extend_search.can_extend(base):
            report(0.1, f"Adding the class's digits to what {spec.display_name} searches")
            rows = varied_copies(digits, SEARCH_COPIES, seed=SEED).reshape(-1, 28 * 28)
            return extend_search.extend(base, rows, np.repeat(labels, SEARCH_COPIES))
        if name in SUPPORT_VECTORS and support_vectors.can_extend(base):
            report(0.1, f"Teaching {spec.display_name} from its support vectors and the class's digits")
            rows = varied_copies(digits, SUPPORT_COPIES, seed=SEED).reshape(-1, 28 * 28)
            return support_vectors.extend(base, rows, np.repeat(labels, SUPPORT_COPIES))
        if name in WARM_STARTED and hasattr(base, "warm_start"):
            return warm_start(name, base, digits, labels, report)
        if hasattr(base, "partial_fit") or cnn_tune.can_fine_tune(base):
            return fine_tune(base, digits, labels, report, spec.display_name)
    return retrain(name, digits, labels, report)


def method_of(name: str) -> str:
    """How ``teach`` teaches model ``name`` (when the model allows it): see the module docstring."""
    if name in SEARCH_SET:
        return "add to search set"
    if name in SUPPORT_VECTORS:
        return "support vectors + class"
    if name in WARM_STARTED:
        return "warm start"
    return "fine-tune" if name in FINE_TUNED else "retrain"


def warm_start(name: str, base: Any, digits: np.ndarray, labels: np.ndarray, report: Progress) -> Any:
    """A copy of ``base`` refitted from its own weights, WARM_ITERATIONS more, on all of MNIST plus
    the class's varied copies (on a smaller MNIST sample, it forgot: -0.5 to -1.8 points)."""
    spec = models.get_spec(name)
    report(0.06, f"Preparing MNIST and the class's digits for {spec.display_name}")
    features, targets = mnist_features(name)
    copies = copies_for(len(digits), len(features))
    features = np.concatenate([features, varied_copies(digits, copies, seed=SEED).reshape(-1, 28 * 28)])
    targets = np.concatenate([targets, np.repeat(labels, copies)])
    model = copy.deepcopy(base)
    model.set_params(warm_start=True, max_iter=WARM_ITERATIONS)
    hint = dataclasses.replace(spec, fit_seconds_hint=spec.fit_seconds_hint * WARM_ITERATIONS / 100)
    return training.fit_with_estimate(hint)(model, features, targets, lambda f, m: report(0.1 + 0.88 * f, m))


def copies_for(n_class: int, n_mnist: int, share: float = CLASS_SHARE) -> int:
    """Varied copies per class digit so that the class makes up about ``share`` of the rows."""
    wanted = share * n_mnist / ((1 - share) * max(n_class, 1))
    return int(np.clip(math.ceil(wanted), MIN_COPIES, MAX_COPIES))


def mnist_features(name: str) -> tuple[np.ndarray, np.ndarray]:
    """The MNIST rows model ``name`` learns from, as ``models.training`` makes them for its spec:
    prepared training digits, plus varied (and styled) copies when the spec trains on them."""
    images, labels = data.load_mnist("train")
    return training.training_set(models.get_spec(name), images, labels)


def retrain(name: str, digits: np.ndarray, labels: np.ndarray, report: Progress) -> Any:
    """Model ``name``'s own recipe on MNIST plus the class's digits as varied copies."""
    spec = models.get_spec(name)
    report(0.02, f"Preparing MNIST and the class's digits for {spec.display_name}")
    features, targets = mnist_features(name)
    copies = 1 if name in SINGLE_COPY else copies_for(len(digits), len(features),
                                                      CLASS_SHARES.get(name, CLASS_SHARE))
    class_rows = varied_copies(digits, copies, seed=SEED).reshape(-1, 28 * 28)
    features = np.concatenate([features, class_rows])
    targets = np.concatenate([targets, np.repeat(labels, copies)])

    def training_progress(fraction: float, message: str) -> None:
        report(0.1 + 0.88 * fraction, message)

    train = spec.train or training.fit_with_estimate(spec)
    return train(spec.build(), features, targets, training_progress)


def fine_tune(base: Any, digits: np.ndarray, labels: np.ndarray, report: Progress, title: str) -> Any:
    """A copy of ``base`` trained TUNE_EPOCHS more epochs on the class's copies mixed with MNIST."""
    report(0.06, f"Preparing the class's digits for {title}")
    features, targets = mixed_rows(digits, labels)
    if cnn_tune.can_fine_tune(base):
        return cnn_tune.fine_tune(base, features, targets, epochs=TUNE_EPOCHS,
                                  progress=lambda f, m: report(0.1 + 0.88 * f, m))
    model = copy.deepcopy(base)
    if getattr(model, "early_stopping", False):
        model.set_params(early_stopping=False)  # partial_fit refuses it; the epochs are fixed here
        if getattr(model, "best_loss_", 0.0) is None:  # early stopping tracked a score, not the loss
            model.best_loss_ = np.inf
    if hasattr(model, "learning_rate_init"):  # a fresh, gentler optimiser: it must not forget MNIST
        model.__dict__.pop("_optimizer", None)
        model.set_params(learning_rate_init=model.learning_rate_init * TUNE_LR_FACTOR)
    rng = np.random.default_rng(SEED)
    started = time.perf_counter()
    for epoch in range(TUNE_EPOCHS):
        report(0.1 + 0.88 * epoch / TUNE_EPOCHS, f"Teaching {title}: epoch {epoch + 1} of {TUNE_EPOCHS}, "
                                                 f"{time.perf_counter() - started:.0f} s")
        order = rng.permutation(len(features))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.partial_fit(features[order], targets[order])
    return model


def mixed_rows(digits: np.ndarray, labels: np.ndarray,
               mnist_per_class_row: int = TUNE_MNIST_PER_CLASS_ROW) -> tuple[np.ndarray, np.ndarray]:
    """Fine-tuning rows: varied copies of each class digit and a random sample of MNIST digits."""
    copies = int(np.clip(round(TUNE_CLASS_ROWS / len(digits)), TUNE_MIN_COPIES, TUNE_MAX_COPIES))
    class_rows = varied_copies(digits, copies, seed=SEED).reshape(-1, 28 * 28)
    class_targets = np.repeat(labels, copies)
    images, mnist_labels = data.load_mnist("train")
    count = min(len(images), max(TUNE_MIN_MNIST, mnist_per_class_row * len(class_rows)))
    picked = np.sort(np.random.default_rng(SEED).choice(len(images), size=count, replace=False))
    # Only the sampled digits are prepared: seconds, where all 60,000 took half a minute under load.
    return (np.concatenate([class_rows, preprocess.prepare_training(images[picked])]),
            np.concatenate([class_targets, mnist_labels[picked].astype(np.int64)]))


def _ignore(fraction: float, message: str) -> None:
    return None
