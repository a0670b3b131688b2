"""Streamlit entry point: `streamlit run streamlit_app.py`."""

import streamlit as st

st.set_page_config(page_title="MNIST classroom", page_icon="✏️", layout="wide")
st.title("✏️ Draw a digit")
st.info("The drawing page is on its way. The data layer is ready: `mnist_app.data.load_mnist`.")
