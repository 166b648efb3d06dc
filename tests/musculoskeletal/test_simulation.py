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


def test_solve_worker_keeps_its_niceness_in_its_own_session():
    """A worker runs in its own session; under autogroup scheduling its nice value only
    counts once its autogroup carries it (``runner.keep_niceness``). Run in a fresh session
    so that the test's own autogroup is left alone."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    if not Path("/proc/self/autogroup").exists():
        pytest.skip("no autogroup scheduling on this kernel")

    def fresh_session(source: str) -> list[str]:
        """``source`` run under ``nice -n 7`` in a new session; its printed words."""
        return subprocess.run(["nice", "-n", "7", sys.executable, "-c", source], capture_output=True, text=True,
                              check=True, start_new_session=True, env=dict(os.environ)).stdout.split()

    niceness, group = fresh_session(
        "import os; from pathlib import Path; from trialsim.musculoskeletal.runner import keep_niceness; "
        "keep_niceness(); print(os.nice(0), Path('/proc/self/autogroup').read_text().split()[-1])")
    assert int(niceness) >= 7
    if group != niceness:  # is the autogroup writable here at all (some containers refuse)?
        probe = ("import os; from pathlib import Path; p = Path('/proc/self/autogroup'); p.write_text(str(os.nice(0))); "
                 "print(p.read_text().split()[-1] == str(os.nice(0)))")
        try:
            writable = fresh_session(probe) == ["True"]
        except subprocess.CalledProcessError:
            writable = False
        if not writable:
            pytest.skip("this machine refuses writes to /proc/self/autogroup")
    assert group == niceness


@pytest.mark.opensim
def test_ipopt_reads_the_options_the_worker_writes(tmp_path):
    """``ipopt_options`` reach the real IPOPT run: a CPU-time cap of 0.01 s set only there
    stops the solve at once (a real solve takes minutes); options Moco sets itself, which
    IPOPT would keep, are refused; without options the worker writes no ``ipopt.opt``."""
    pytest.importorskip("opensim")
    from trialsim.musculoskeletal.runner import write_ipopt_options

    sim = simulate_gait({}, speed_m_s=1.25, timeout_s=300, retrack_on_failure=False, ipopt_options={"max_cpu_time": 0.01})
    assert not sim.success
    assert "CpuTime" in sim.status and sim.iterations <= 1
    write_ipopt_options(tmp_path, {})
    assert not (tmp_path / "ipopt.opt").exists()
    write_ipopt_options(tmp_path, {"mu_init": 1e-3, "bound_push": 1e-6})
    assert (tmp_path / "ipopt.opt").read_text() == "bound_push 1e-06\nmu_init 0.001\n"
    with pytest.raises(SimulationError, match="max_iter is set by Moco"):
        write_ipopt_options(tmp_path, {"max_iter": 2})


@pytest.mark.opensim
def test_free_speed_problem_prices_energy_and_time_without_speed_or_tracking():
    """The v2 problem, built not solved: duration free, no speed constraint or tracking in free mode,
    the cost of time (× vigour) in the metabolics component, head-arms-trunk stability (library v3),
    a speed goal only when imposed."""
    pytest.importorskip("opensim")
    import opensim as osim

    from trialsim.musculoskeletal.free_speed import METABOLICS, TIME_COST_W_KG, TRUNK_STABILITY_WEIGHT, build_study
    from trialsim.musculoskeletal.gait import SolverSettings

    def goals(study):
        phase = study.updProblem().getPhase(0)
        names = set()
        for name in ("periodicity", "energy_and_time", "effort", "trunk_stability", "speed", "tracking"):
            try:
                phase.getGoal(name)
                names.add(name)
            except RuntimeError:
                pass
        return names

    settings = SolverSettings(mesh_intervals=10, tolerance=1e-2, max_iterations=1)
    free_study, model, full = build_study({"vigour": 0.5}, settings=settings)
    assert not full
    assert goals(free_study) == {"periodicity", "energy_and_time", "effort", "trunk_stability"}  # library v3
    trunk = free_study.updProblem().getPhase(0).getGoal("trunk_stability")
    assert trunk.getWeight() == pytest.approx(TRUNK_STABILITY_WEIGHT) and TRUNK_STABILITY_WEIGHT > 0
    metabolics = osim.Bhargava2004SmoothedMuscleMetabolics.safeDownCast(model.getComponent(METABOLICS))
    assert metabolics.get_basal_coefficient() == pytest.approx(0.5 * TIME_COST_W_KG)
    bounds = free_study.updProblem().getPhase(0).getTimeFinalBounds()
    assert bounds.getUpper() > 2 * bounds.getLower()  # free stride duration
    imposed, _, _ = build_study({}, settings=settings, speed_m_s=1.1)
    assert "speed" in goals(imposed)


@pytest.mark.opensim
@pytest.mark.slow
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
