"""Streamlit entry point: `streamlit run streamlit_app.py`.

Page config and navigation only; each page lives in ``mnist_app.ui``.
"""

import streamlit as st

from mnist_app.ui import draw_page

st.set_page_config(page_title="MNIST classroom", page_icon="✏️", layout="wide")

PAGES = [
    st.Page(draw_page.render, title="Draw a digit", icon="✏️", url_path="draw", default=True),
]

st.navigation(PAGES).run()
