"""The "Why?" page's sections, one function each: nearest digits, evidence, each model's own view."""

from __future__ import annotations

import numpy as np
import streamlit as st

from mnist_app.explain import figures, views
from mnist_app.explain.evidence import evidence
from mnist_app.explain.neighbours import KNN_MODEL, neighbours, voters
from mnist_app.report import gallery
from mnist_app.ui import common, reports

#: How each model's evidence is worked out, in a student's words.
HOW = {
    "logistic_regression": "Exact: each pixel's ink times its weight for the digit.",
    "naive_bayes": "Exact: how much each pixel's ink made the digit more likely than the others.",
    "mlp": "From the network's gradients (integrated from a blank image to your drawing).",
    "cnn": "From the network's gradients (integrated from a blank image to your drawing).",
    "knn": "Erasing each bit of ink: does the drawing move nearer the training digits of other answers?",
}
HOW_OTHERWISE = "Erasing each bit of ink and asking the model again: how much less sure is it?"
CHART_CONFIG = {"displayModeBar": False}


def show_images(images: np.ndarray, captions: list[str]) -> None:
    """Digits (n, 28, 28) in [0, 1] as crisp enlarged images with captions."""
    pixels = (np.clip(np.asarray(images, dtype=float), 0, 1) * 255).round().astype(np.uint8)
    st.html(reports.PIXELATED_CSS)
    st.image(list(gallery.upscale_nearest(pixels, reports.ZOOM)), caption=captions,
             width=28 * reports.ZOOM, output_format="PNG")


def show_neighbours(digit: np.ndarray) -> None:
    """The 8 nearest MNIST training digits, with label and distance; k-NN's voters marked."""
    st.subheader("Nearest training digits")
    if not common.is_trained(KNN_MODEL):
        st.info("The nearest digits are found the way the k-NN model finds them: it needs training first.")
        if st.button("Train k-NN", key="why_train_knn"):
            if common.train_with_progress([KNN_MODEL]):
                st.rerun()
        return
    found = neighbours(digit, k=8)
    voted = {voter.index for voter in voters(digit)}
    with st.container(key="why_neighbours"):
        show_images(np.stack([n.image for n in found]),
                    [f"a {n.label}, distance {n.distance:.2f}" + (" · k-NN voted" if n.index in voted else "")
                     for n in found])
    st.caption("The 8 of MNIST's 60,000 training digits closest to your drawing, measured the way the "
               "k-NN model measures (its 40 PCA numbers). \"k-NN voted\": among the digits k-NN's answer "
               "came from.")


def show_evidence(digit: np.ndarray, name: str, answer: int) -> None:
    """The evidence map for the answer, or for any digit the student picks ("why not 4?")."""
    st.subheader("Evidence map")
    picked = st.segmented_control("Evidence for digit", list(range(10)), default=answer,
                                  key=f"why_target_{name}_{answer}")
    target = answer if picked is None else int(picked)
    result = evidence(digit, name, target)
    with st.container(key="why_evidence"):
        st.plotly_chart(figures.evidence_figure(digit, result, target), config=CHART_CONFIG,
                        key="why_evidence_chart")
    st.caption(f"Red: ink that pushed {common.display_name(name)} towards {target}; "
               f"blue: ink that pushed it away from {target}. {HOW.get(name, HOW_OTHERWISE)}")


def show_model_view(digit: np.ndarray, name: str, answer: int) -> None:
    """The chosen model's own inner view of this drawing."""
    st.subheader(f"How {common.display_name(name)} sees it")
    VIEWS[name](digit, answer)


def _chart(figure: object, key: str) -> None:
    st.plotly_chart(figure, config=CHART_CONFIG, key=key)


def _logistic_view(digit: np.ndarray, answer: int) -> None:
    st.caption("One weight image per digit: red pixels with ink add to that digit's score, blue subtract.")
    _chart(figures.image_grid(views.logistic_weights(), [f"weights for {d}" for d in range(10)], signed=True),
           "why_view_chart")


def _naive_bayes_view(digit: np.ndarray, answer: int) -> None:
    st.caption("The average training image of each digit: naive Bayes asks which one your drawing fits best.")
    _chart(figures.image_grid(views.naive_bayes_means(), [f"average {d}" for d in range(10)]),
           "why_view_chart")


def _tree_view(digit: np.ndarray, answer: int) -> None:
    questions, leaf = views.tree_path(digit)
    st.caption(f"The tree asked {len(questions)} yes/no questions about single pixels (circled), "
               f"then said {leaf}.")
    _chart(figures.image_grid(digit[None], ["the questions' pixels"], columns=1, height_per_row=320,
                              marks=[[(q.row, q.col) for q in questions]]), "why_view_chart")
    st.markdown("\n".join(f"{step}. {question}" for step, question in enumerate(questions, 1)))


def _forest_view(digit: np.ndarray, answer: int) -> None:
    votes = views.forest_votes(digit)
    st.caption(f"Each of the {votes.sum()} trees answers on its own; {votes[answer]} of them said {answer}.")
    _chart(figures.digit_bars(votes, title="Trees voting for each digit", highlight=answer,
                              value_format="%{y:.0f} trees"), "why_view_chart")


def _knn_view(digit: np.ndarray, answer: int) -> None:
    found = voters(digit)
    st.caption("k-NN's answer is a vote of these training digits, the nearer the stronger. Some are "
               "copies the model was also trained on: thinner or thicker, or restyled (a slashed 0, "
               "a crossed 7...).")
    show_images(np.stack([v.image for v in found]),
                [f"a {v.label}, {v.weight:.0%} of the vote{copy_note(v.kind)}" for v in found])


def copy_note(kind: str) -> str:
    """What a training example is, for its caption: nothing for a digit, else which copy."""
    if kind == "digit":
        return ""
    if kind == "varied copy":
        return " (a thinner or thicker copy)"
    return f" (restyled: {kind.replace('_', ' ')})"


def _mlp_view(digit: np.ndarray, answer: int) -> None:
    neurons = views.mlp_active_neurons(digit, count=8)
    st.caption("The 8 hidden neurons that fire most for your drawing, each shown as what it looks for "
               "(red: ink there makes it fire).")
    titles = [f"#{n.index}: fires {n.activation:.1f}, helps {int(np.argmax(n.push))}" for n in neurons]
    _chart(figures.image_grid(np.stack([n.weights for n in neurons]), titles, columns=4, signed=True),
           "why_view_chart")


def _cnn_view(digit: np.ndarray, answer: int) -> None:
    st.caption("The first layer's 32 small filters (3x3 pixels), and what each one finds in your drawing.")
    _chart(figures.image_grid(views.cnn_filters(), [f"filter {i}" for i in range(32)], columns=8, signed=True,
                              height_per_row=100), "why_view_filters")
    _chart(figures.image_grid(views.cnn_feature_maps(digit), [f"map {i}" for i in range(32)], columns=8,
                              height_per_row=90), "why_view_chart")


def _svm_view(digit: np.ndarray, answer: int) -> None:
    margins = views.svm_margins(digit)
    st.caption("The SVM's margin for each digit: how far your drawing is on that digit's side of its border.")
    _chart(figures.digit_bars(margins, title="Margin per digit", highlight=int(np.argmax(margins))),
           "why_view_chart")
    nearest = views.svm_nearest_support_vectors(digit, k=8)
    st.caption("The support vectors nearest to your drawing: the training digits right at the borders.")
    show_images(np.stack([s.image for s in nearest]),
                [f"a {s.label}, distance {s.distance:.2f}{copy_note(s.kind)}" for s in nearest])


VIEWS = {
    "logistic_regression": _logistic_view, "naive_bayes": _naive_bayes_view, "decision_tree": _tree_view,
    "random_forest": _forest_view, "knn": _knn_view, "mlp": _mlp_view, "cnn": _cnn_view, "svm": _svm_view,
}
