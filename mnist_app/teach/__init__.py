"""Teach the models a class's handwriting, and measure honestly what it changed.

    from mnist_app import teach
    model = teach.teach(name, digits, labels, progress=None)   # a new fitted classifier
    results = teach.teach_class(code, drawings, names)          # taught, stored, compared

Modules: ``digits`` (checks, varied copies), ``methods`` (retrain or fine-tune, per model),
``cnn_tune`` (the CNN's fine-tuning), ``holdout`` (digits never taught), ``compare`` (before
and after), ``storage`` (taught models in the signed model cache, apart from the MNIST ones),
``classes`` (a class's teaching, once even when asked twice at once).
"""

from mnist_app.teach.classes import ClassTeaching, taught_for_class, teach_class
from mnist_app.teach.compare import Comparison
from mnist_app.teach.digits import TeachingError, varied_copies
from mnist_app.teach.holdout import held_out_mask
from mnist_app.teach.methods import method_of, teach

__all__ = [
    "ClassTeaching", "Comparison", "TeachingError", "held_out_mask", "method_of", "taught_for_class",
    "teach", "teach_class", "varied_copies",
]
