"""mnist_app: the plain-Python core of the MNIST classroom app.

Data, preprocessing, models, evaluation and storage live here; the Streamlit
user interface lives in ``streamlit_app.py`` and ``mnist_app.ui`` and only
calls this package.
"""

__version__ = "0.1.0"
