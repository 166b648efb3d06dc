"""The shipped free-speed libraries v2 and v3 (one free-speed solve per body): what they hold and where they land.

Fast: reads the committed parquet files, solves nothing. The per-phenotype comparison with
published figures (including rows that fail today) is benchmarks/physics_phenotypes.py.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from trialsim.musculoskeletal.library import load_library

LIBRARIES = {version: Path(str(resources.files("trialsim").joinpath(f"data/library_v{version}"))) for version in (2, 3)}


def _bodies(version: int):  # type: ignore[no-untyped-def]
    folder = LIBRARIES[version]
    if not (folder / "simulations.parquet").exists():
        pytest.skip(f"no library v{version} in this checkout")
    sims = load_library(folder).simulations
    return sims[sims["success"] & (sims["speed_source"] == "self_selected")]


@pytest.fixture(scope="module", params=[2, 3], ids=["v2", "v3"])
def bodies(request):  # type: ignore[no-untyped-def]
    found = _bodies(request.param)
    if request.param == 3 and len(found) < 10:  # v3 is still being built; v2 is complete and must hold ≥ 10
        pytest.skip(f"only {len(found)} v3 bodies so far")
    return found


def test_v3_healthy_bodies_stand_like_people() -> None:
    """Library v3's head-arms-trunk stability term: the healthy bodies' median stance is in Bovi's
    band (≥ 59 %; v2: 56.75 %) with double support ≥ 17 % (v2: 13.5 %; real insoles ≈ 24 %)."""
    healthy = _bodies(3)
    healthy = healthy[healthy["phenotype"] == "healthy"]
    if len(healthy) < 5:
        pytest.skip(f"only {len(healthy)} healthy v3 bodies so far")
    assert healthy["stance_pct"].median() >= 59.0
    assert healthy["double_support_pct"].median() >= 17.0


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
