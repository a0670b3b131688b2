"""From a drawing to an MNIST digit: the preprocessing every model input goes through.

MNIST digits were made a particular way: the digit's bounding box was fitted into 20x20
pixels keeping its aspect ratio, anti-aliased to grey levels, then pasted into a 28x28
frame so that its centre of mass sits at the centre; light ink on a dark background.
A model recognises a drawn digit only if the drawing is put into that same form, so
``to_mnist`` does exactly that to any image:

1. ink map: find the background (the most common colour along the border), measure how
   far each pixel is from it (so light-on-dark, dark-on-light, any stroke colour and
   strokes on a transparent background all give the same map), drop specks;
2. crop to the ink's bounding box; if the pen is far thicker or thinner than MNIST's
   (relative to the digit's size), thin or thicken the strokes into MNIST's range
   (``match_pen_width``; drawings only, MNIST digits define that range);
3. fit into 20x20 keeping the aspect ratio, anti-aliased;
4. paste into 28x28 with the centre of mass at the centre (as MNIST did: whole pixels);
5. ``normalise_digits``: the refinement applied to the training digits too: straighten
   the slant (deskew) and blur slightly, strongest ink = 1 (measured to help).

``prepare_training`` runs step 5 on MNIST itself, so that the models are trained on
digits that look like what ``to_mnist`` makes of a drawing. Both go through the one
function ``normalise_digits``; change it and bump ``PREPROCESS_VERSION``.
"""

from mnist_app.preprocess.images import MAX_SIDE, MIN_SIDE
from mnist_app.preprocess.ink import EmptyDrawingError, ink_map, match_pen_width
from mnist_app.preprocess.normalise import (
    AUGMENT_VERSION,
    augment_digits,
    deslant,
    normalise_digits,
    prepare_training,
    soften,
)
from mnist_app.preprocess.pipeline import PREPROCESS_VERSION, Step, Switches, centred_digit, steps, to_mnist

__all__ = [
    "AUGMENT_VERSION",
    "MAX_SIDE",
    "MIN_SIDE",
    "PREPROCESS_VERSION",
    "EmptyDrawingError",
    "Step",
    "Switches",
    "augment_digits",
    "centred_digit",
    "deslant",
    "ink_map",
    "match_pen_width",
    "normalise_digits",
    "prepare_training",
    "soften",
    "steps",
    "to_mnist",
]
