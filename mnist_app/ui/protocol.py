"""Streamlit's wire messages (protobuf), for code that talks to a running app like a browser.

The load test's simulated students (:mod:`mnist_app.testing.load_client`) and the browser
recorder (:mod:`mnist_app.testing.handwriting`) read and write these on the app's
websocket (``/_stcore/stream``); Streamlit stays an import of the ``ui`` package only.
"""

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

__all__ = ["BackMsg", "ForwardMsg", "WidgetState"]
