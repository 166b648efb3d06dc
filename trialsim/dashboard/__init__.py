"""What the Streamlit dashboard (``app.py``) draws besides its sidebar: URL/widget validation and settings →
:class:`Study` (``settings.py``, no Streamlit import) and the views that only read results (``views.py``)."""
