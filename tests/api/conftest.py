"""Fixtures shared with the dashboard tests."""

from tests.dashboard.conftest import make_app

__all__ = ["make_app"]
