"""Streamlit entry point: `streamlit run streamlit_app.py`.

Page config and navigation only; each page lives in ``mnist_app.ui``.
"""

import streamlit as st

from mnist_app.ui import confusion_page, draw_page, gallery_page, models_page, server

st.set_page_config(page_title="MNIST classroom", page_icon=":material/draw:", layout="wide")
server.start_warm_up()  # once per process: loads the models in the background, then freezes the heap

PAGES = [
    st.Page(draw_page.render, title="Draw a digit", icon=":material/draw:", url_path="draw", default=True),
    st.Page(models_page.render, title="Compare the models", icon=":material/leaderboard:", url_path="models"),
    st.Page(confusion_page.render, title="Confusion matrix", icon=":material/grid_on:", url_path="confusion"),
    st.Page(gallery_page.render, title="Digit galleries", icon=":material/photo_library:",
            url_path="galleries"),
]

st.navigation(PAGES).run()
