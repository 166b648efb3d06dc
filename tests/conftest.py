from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def root() -> Path:
    return ROOT


@pytest.fixture
def reference_simulator():
    from trialsim.generative.reference import ReferenceGaitModel

    return ReferenceGaitModel()
