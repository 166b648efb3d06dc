"""simulate_gait plumbing: speed selection, worker timeout, one real warm-started solve."""

from __future__ import annotations

import math

import numpy as np
import pytest

from trialsim.errors import SimulationError
from trialsim.musculoskeletal.simulation import GaitSimulation, select_speed, simulate_gait
from trialsim.spec.names import GAIT_MEASURES


def fake(speed, cot, success=True):
    curves = {"gait_cycle_pct": np.array([0.0, 50.0, 100.0]), "knee_flexion_r_deg": np.array([5.0, speed * 10, 5.0])}
    return GaitSimulation(params={}, speed_m_s=speed, success=success, status="Solve_Succeeded", objective=1.0,
                          iterations=10, wall_time_s=1.0, measures={"cost_of_transport": cot, "stride_length_m": speed},
                          curves=curves)


def test_select_speed_parabola_minimum():
    sims = [fake(v, (v - 1.3) ** 2 + 1.0) for v in (1.0, 1.2, 1.4)]
    chosen = select_speed(sims)
    assert chosen.speed_m_s == pytest.approx(1.3, abs=1e-6)
    assert chosen.measures["stride_length_m"] == pytest.approx(1.3)
    assert chosen.curves["knee_flexion_r_deg"][1] == pytest.approx(13.0)
    assert chosen.speed_selection["speeds_m_s"] == [1.0, 1.2, 1.4]
    assert chosen.iterations == 30


def test_select_speed_clips_to_solved_range_and_survives_failures():
    sims = [fake(1.0, 3.0), fake(1.2, 2.0), fake(1.4, math.nan, success=False)]
    assert select_speed(sims).speed_m_s == pytest.approx(1.2)
    failed = select_speed([fake(v, math.nan, success=False) for v in (1.0, 1.2, 1.4)])
    assert not failed.success


def test_invalid_parameters_raise():
    with pytest.raises(SimulationError, match="height_m"):
        simulate_gait({"height_m": 5.0}, speed_m_s=1.2)


@pytest.mark.opensim
def test_worker_timeout_is_recorded_not_raised():
    pytest.importorskip("opensim")
    sim = simulate_gait({}, speed_m_s=1.25, timeout_s=2.0, retrack_on_failure=False)
    assert not sim.success
    assert sim.status == "Timeout"
    assert "timeout" in sim.failure_reason


@pytest.mark.opensim
def test_warm_started_nominal_solve():
    """The real default solve (physics v2, imposed-speed mode): nominal patient from the shipped v2 guess."""
    pytest.importorskip("opensim")
    sim = simulate_gait({}, speed_m_s=1.25, timeout_s=600, threads=2, retrack_on_failure=False)
    assert sim.speed_source == "imposed"
    assert sim.success, sim.failure_reason
    assert set(GAIT_MEASURES) <= set(sim.measures)
    m = sim.measures
    assert m["gait_speed_m_s"] == pytest.approx(1.25, abs=0.01)
    assert 1.0 < m["stride_length_m"] < 1.6
    assert 40 < m["peak_knee_flexion_swing_deg"] < 80
    assert len(sim.curves["gait_cycle_pct"]) == 51
    assert sim.curves["grf_vertical_r_bw"][0] > 0.02  # right heel strike at 0 %
    assert max(sim.curves["grf_vertical_l_bw"]) > 0.8
    assert sim.cost_of_transport > 0
    assert 2.0 < sim.measures["metabolic_cost_of_transport_j_kg_m"] < 8.0
