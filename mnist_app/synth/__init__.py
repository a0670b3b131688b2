"""Generated data for measuring (and never for the app's answers): drawings made the way the app
receives them.

- :mod:`~mnist_app.synth.drawn`: MNIST *test* digits redrawn as pen strokes on a canvas (the
  drawn-digit benchmark); its names are re-exported here (``synth.make_drawn_benchmark``...);
- :mod:`~mnist_app.synth.nondigits`: letters, scribbles, shapes, several digits... drawn the same
  way (the verdict's calibration data);
- :mod:`~mnist_app.synth.photos`: digits and numbers written on synthetic paper photos.
"""

from mnist_app.synth import nondigits, photos
from mnist_app.synth.drawn import (
    CANVAS,
    PEN_RANGE,
    POLARITIES,
    SCALE_RANGE,
    DrawnDigit,
    Polarity,
    Polyline,
    draw_strokes,
    european_strokes,
    fit_strokes,
    iter_drawn_digits,
    make_drawn_benchmark,
    paint,
    render_on_canvas,
    skeleton_strokes,
)

__all__ = [
    "CANVAS", "PEN_RANGE", "POLARITIES", "SCALE_RANGE", "DrawnDigit", "Polarity", "Polyline",
    "draw_strokes", "european_strokes", "fit_strokes", "iter_drawn_digits", "make_drawn_benchmark",
    "nondigits", "paint", "photos", "render_on_canvas", "skeleton_strokes",
]
