"""Streamlit entry point: `streamlit run streamlit_app.py`.

Page config and navigation only; each page lives in ``mnist_app.ui``.
"""

import streamlit as st

from mnist_app.ui import (
    class_state,
    classroom_page,
    confusion_page,
    draw_page,
    gallery_page,
    models_page,
    our_class_page,
    photo_page,
    server,
    why_page,
)

st.set_page_config(page_title="MNIST classroom", page_icon=":material/draw:", layout="wide")
server.start_warm_up()  # once per process: loads the models in the background, then freezes the heap

# A join link (the app's address with ?class=CODE) opens the Classroom page's join form first.
JOINING = class_state.arriving_with_code()
PAGES = [
    st.Page(draw_page.render, title="Draw a digit", icon=":material/draw:", url_path="draw",
            default=not JOINING),
    st.Page(photo_page.render, title="Photo of a digit", icon=":material/photo_camera:", url_path="photo"),
    st.Page(models_page.render, title="Compare the models", icon=":material/leaderboard:", url_path="models"),
    st.Page(confusion_page.render, title="Confusion matrix", icon=":material/grid_on:", url_path="confusion"),
    st.Page(gallery_page.render, title="Digit galleries", icon=":material/photo_library:",
            url_path="galleries"),
    st.Page(why_page.render, title="Why did it say that?", icon=":material/psychology:", url_path="why"),
    st.Page(classroom_page.render, title="Classroom", icon=":material/school:", url_path="classroom",
            default=JOINING),
    st.Page(our_class_page.render, title="Our class", icon=":material/groups:", url_path="our-class"),
]

st.navigation(PAGES).run()
