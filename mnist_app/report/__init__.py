"""Report building blocks with no Streamlit: plotly charts and gallery selection."""
