"""Shared settings of the analysis tests."""

from __future__ import annotations

import pytest

from trialsim.spec.analysis import DecisionSpec


@pytest.fixture
def decision() -> DecisionSpec:
    """Success if P(effect > 0) ≥ 0.975 (≈ one-sided α 0.025)."""
    return DecisionSpec(threshold=0.0, probability=0.975, alpha=0.025, clinically_important_difference=0.1)
