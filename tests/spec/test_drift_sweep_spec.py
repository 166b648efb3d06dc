"""A narrower "validated" drift range needs a cited source; the sweep always covers the derived range."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from trialsim.results.run import drift_offsets
from trialsim.spec.loading import load_study
from trialsim.spec.study import DriftSweepSpec

DEMO = "studies/pd_gait_speed_phase2.yaml"


def test_validated_range_without_source_is_refused():
    with pytest.raises(ValidationError, match="validated_source"):
        DriftSweepSpec(validated_range=[-0.01, 0.01])
    with pytest.raises(ValidationError, match="contain 0"):
        DriftSweepSpec(validated_range=[0.01, 0.02], validated_source="fidelity report 2026")


def test_default_range_is_the_larger_of_cid_and_half_the_sd_of_change_with_validated_ends_included():
    spec = load_study(DEMO).spec
    grid = drift_offsets(spec, sd_change=0.062)
    assert grid.size >= 30
    assert np.max(grid) == pytest.approx(max(spec.decision.clinically_important_difference, 0.031))
    wide = drift_offsets(spec, sd_change=0.2)
    assert np.max(wide) == pytest.approx(0.1)
    sweep = DriftSweepSpec(validated_range=[-0.013, 0.01], validated_source="generator fidelity.json, 2026-12")
    narrow = spec.model_copy(update={"synthetic_control": spec.synthetic_control.model_copy(update={"drift_sweep": sweep})})
    grid = drift_offsets(narrow, sd_change=0.062)
    assert {-0.013, 0.01} <= set(np.round(grid, 6)) and np.max(grid) == pytest.approx(0.06)
