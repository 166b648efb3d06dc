"""What the Streamlit dashboard (``app.py``) needs besides widgets: URL/widget validation and settings → :class:`Study`."""
