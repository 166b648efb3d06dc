"""The shipped v2 library (one free-speed solve per body): what it holds and where it lands.

Fast: reads the committed parquet files, solves nothing. The per-phenotype comparison with
published figures (including rows that fail today) is benchmarks/physics_phenotypes.py.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from trialsim.musculoskeletal.library import load_library

LIBRARY_V2 = Path(str(resources.files("trialsim").joinpath("data/library_v2")))


@pytest.fixture(scope="module")
def bodies():
    if not (LIBRARY_V2 / "simulations.parquet").exists():
        pytest.skip("no library v2 in this checkout")
    sims = load_library(LIBRARY_V2).simulations
    return sims[sims["success"] & (sims["speed_source"] == "self_selected")]


def test_every_body_chose_its_own_speed(bodies):
    assert len(bodies) >= 10
    assert bodies["speed_target_m_s"].isna().all()
    speeds = bodies["gait_speed_m_s"]
    assert speeds.between(0.4, 2.0).all()
    assert speeds.std() > 0.05  # bodies differ; the speed is not a constant of the solver


def test_parkinsons_knees_bend_in_swing(bodies):
    """Issue #14: PD swing knee ≥ 45° (v1 library: 13.7 ± 6.3° under global muscle stiffness)."""
    pd = bodies[bodies["phenotype"] == "parkinsons"]
    if len(pd) < 3:
        pytest.skip(f"only {len(pd)} PD bodies so far")
    assert pd["peak_knee_flexion_swing_deg"].median() >= 45


def test_reduced_vigour_bodies_walk_slower(bodies):
    """PD bodies (vigour 0.5–1.0) walk slower than healthy adults (vigour 0.8–1.2) in the median."""
    pd = bodies[bodies["phenotype"] == "parkinsons"]["gait_speed_m_s"]
    healthy = bodies[bodies["phenotype"] == "healthy"]["gait_speed_m_s"]
    if len(pd) < 3 or len(healthy) < 3:
        pytest.skip("too few bodies so far")
    assert pd.median() < healthy.median()
