"""Helpers for driving ``app.py`` with Streamlit's AppTest (small grids, few replicates: seconds per run)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

APP = Path(__file__).resolve().parents[2] / "app.py"
FAST = {"replicates": "20", "n_per_arm": "20,40"}


@pytest.fixture
def make_app() -> Callable[..., Any]:
    """A fresh AppTest session; query parameters set the initial widget values."""
    from streamlit.testing.v1 import AppTest

    def _make(**query: str) -> Any:
        at = AppTest.from_file(str(APP), default_timeout=120)
        for key, value in {**FAST, **query}.items():
            at.query_params[key] = value
        return at

    return _make


def metrics(at: Any) -> dict[str, tuple[str, str]]:
    return {m.label: (m.value, m.delta) for m in at.metric}


def chart(at: Any, key: str) -> dict[str, Any]:
    """The plotly figure (as JSON) of the chart with widget key ``key``."""
    for element in at.get("plotly_chart"):
        if element.proto.id.endswith(f"-{key}"):
            return json.loads(element.proto.spec)
    raise KeyError(key)


def tab(at: Any, label: str) -> Any:
    """The tab labelled ``label`` (KeyError when the page has no such tab); its ``.dataframe`` etc. are its own."""
    for t in at.tabs:
        if t.label == label:
            return t
    raise KeyError(label)


def array(value: Any) -> list[Any]:
    """A plotly JSON array (plain list, or typed array ``{"dtype", "bdata"}``) as a list."""
    if isinstance(value, dict) and "bdata" in value:
        import base64

        import numpy as np

        data = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        return data.reshape(value["shape"]).tolist() if "shape" in value else data.tolist()
    return list(value)


def submit(at: Any, **values: Any) -> Any:
    """Set sidebar form widgets by key, press "Run simulation", rerun."""
    for key, value in values.items():
        _by_key(at, key).set_value(value)
    at.button(key="run").click()
    return at.run(timeout=120)


def _by_key(at: Any, key: str) -> Any:
    for kind in ("slider", "number_input", "selectbox", "multiselect", "checkbox", "radio"):
        try:
            return getattr(at, kind)(key=key)
        except KeyError:
            continue
    raise KeyError(key)
