"""The Streamlit user interface: pages and widgets. The only package modules that import Streamlit."""
