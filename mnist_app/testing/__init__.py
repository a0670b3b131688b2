"""Helpers the tests and the benchmarks share (importable, so neither copies the other).

:mod:`mnist_app.testing.browser` drives Debian's Chromium against a ``streamlit run`` of
the app. Nothing here is used by the app itself.
"""
