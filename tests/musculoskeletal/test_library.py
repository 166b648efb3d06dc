"""Library design, cache, resume and consolidation (with an injected cheap solve)."""

from __future__ import annotations

import json
import math

import pytest

from trialsim.errors import InputFileError
from trialsim.musculoskeletal.library import (
    _metabolic_cost,
    build_library,
    design,
    library_status,
    load_library,
    run_sample,
    sample_id,
)


def fake_solve(params, speed_m_s, settings, timeout_s):
    if params.get("strength_hip_flexors_l", 1.0) < 0.5:
        return {"success": False, "status": "Maximum_Iterations_Exceeded", "failure_reason": "fake failure",
                "objective": math.nan, "iterations": 1000, "wall_time_s": 0.0, "measures": {}, "curves": {}}
    return {"success": True, "status": "Solve_Succeeded", "failure_reason": "", "objective": 1.0,
            "iterations": 10, "wall_time_s": 0.01, "full_cycle": False,
            "measures": {"gait_speed_m_s": speed_m_s, "stride_length_m": params["height_m"] * 0.8},
            "curves": {"gait_cycle_pct": [0.0, 50.0, 100.0], "knee_flexion_r_deg": [5.0, 10.0, 5.0]}}


def exploding_solve(params, speed_m_s, settings, timeout_s):
    raise AssertionError("cached samples must not be solved again")


def test_design_is_extensible_and_phenotyped():
    small, large = design(12, seed=3), design(40, seed=3)
    assert [s["id"] for s in small] == [s["id"] for s in large[:12]]
    assert {s["phenotype"] for s in large} == {"healthy", "parkinsons", "cerebral_palsy", "stroke", "broad"}
    pd = [s for s in large if s["phenotype"] == "parkinsons"]
    assert all(s["params"]["neural_drive"] < 1.0 for s in pd)
    assert all(s["params"]["passive_stiffness"] > 1.0 for s in pd)
    stroke = [s for s in large if s["phenotype"] == "stroke"]
    assert all(s["params"]["strength_plantarflexors_l"] < 1.0 for s in stroke)
    assert all("strength_plantarflexors_r" not in s["params"] for s in stroke)
    assert len({s["id"] for s in large}) == 40


def test_sample_id_depends_on_inputs():
    assert sample_id({"height_m": 1.7}, 1.2) == sample_id({"height_m": 1.7000000001}, 1.2)
    assert sample_id({"height_m": 1.7}, 1.2) != sample_id({"height_m": 1.7}, 1.3)


def test_cache_resume_and_consolidation(tmp_path):
    out = tmp_path / "lib"
    lib = build_library(out, n=10, workers=0, solve_fn=fake_solve)
    assert len(lib.simulations) == 10
    status = library_status(out)
    assert status["done"] + status["failed"] == 10
    assert status["pending"] == 0
    assert status["failed"] == sum(1 for s in design(10) if s["params"].get("strength_hip_flexors_l", 1) < 0.5)
    if status["failed"]:
        assert "fake failure" in next(iter(status["failure_reasons"]))
    # rerun: nothing is solved again
    build_library(out, n=10, workers=0, solve_fn=exploding_solve)
    # simulate a kill: one result lost, a stray temporary file left behind
    victim = design(10)[4]["id"]
    (out / "sims" / f"{victim}.json").unlink()
    (out / "sims" / f".{victim}.json.123.tmp").write_text("{partial")
    assert library_status(out)["pending"] == 1
    lib = build_library(out, n=12, workers=0, solve_fn=fake_solve)
    assert len(lib.simulations) == 12
    assert library_status(out)["pending"] == 0
    loaded = load_library(out)
    assert set(loaded.curves["sim_id"]) <= set(loaded.simulations["sim_id"])
    assert {"param_height_m", "stride_length_m"} <= set(loaded.simulations.columns)
    record = json.loads(next((out / "sims").glob("*.json")).read_text())
    assert {"params", "speed_m_s", "success", "status"} <= set(record)


@pytest.mark.slow
def test_dask_two_workers(tmp_path):
    lib = build_library(tmp_path / "lib", n=4, workers=2, solve_fn=fake_solve)
    assert len(lib.simulations) == 4


def test_other_settings_are_refused_not_mixed(tmp_path):
    build_library(tmp_path, n=2, workers=1, solve_fn=fake_solve)
    with pytest.raises(InputFileError, match="settings: its simulations were solved with"):
        build_library(tmp_path, n=3, workers=1, solve_fn=fake_solve,
                      settings={"mesh_intervals": 25, "tolerance": 1e-3, "max_iterations": 1000})
    assert library_status(tmp_path)["done"] == 2


def test_ipopt_options_are_settings_a_library_does_not_mix(tmp_path):
    """IPOPT options change only the solver's path, but that moves the optimum it stops at
    (stance by 1.25 points on the nominal body), so a library refuses to mix them too."""
    from trialsim.musculoskeletal.library import LIBRARY_SETTINGS

    build_library(tmp_path, n=2, workers=1, solve_fn=fake_solve)
    with pytest.raises(InputFileError, match="settings: its simulations were solved with"):
        build_library(tmp_path, n=3, workers=1, solve_fn=fake_solve,
                      settings={**LIBRARY_SETTINGS, "ipopt_options": {"bound_push": 1e-6}})
    assert library_status(tmp_path)["done"] == 2


def test_partial_solution_of_a_failed_solve_is_not_kept(tmp_path):
    sample = design(1)[0]

    def crashing_solve(params, speed_m_s, settings, timeout_s):
        (tmp_path / "solutions" / f"{sample['id']}.sto").write_text("half a file")
        raise RuntimeError("worker killed")

    run_sample(sample, str(tmp_path), {}, 1.0, crashing_solve)
    assert not list((tmp_path / "solutions").iterdir())
    assert json.loads((tmp_path / "sims" / f"{sample['id']}.json").read_text())["success"] is False


def test_environment_failure_of_metabolics_is_not_cached(tmp_path, monkeypatch):
    import trialsim.musculoskeletal.metabolics as metabolics

    def no_opensim(*args, **kwargs):
        raise ImportError("No module named 'opensim'")

    monkeypatch.setattr(metabolics, "metabolic_cost", no_opensim)
    record = {"id": "abc", "success": True, "params": {}, "speed_m_s": 1.2}
    (tmp_path / "solutions").mkdir()
    (tmp_path / "solutions" / "abc.sto.gz").write_bytes(b"")
    values = _metabolic_cost(tmp_path, record)
    assert all(math.isnan(v) for v in values.values())
    assert not (tmp_path / "metabolics").exists()


def test_stride_time_at_a_bound_is_flagged():
    from trialsim.musculoskeletal.library import _at_time_bound
    from trialsim.musculoskeletal.reference_kinematics import stride_time_bounds_s

    low, high = stride_time_bounds_s(1.40)
    assert _at_time_bound({"stride_time_s": low * 1.001, "param_height_m": 1.40})
    assert _at_time_bound({"stride_time_s": high, "param_height_m": 1.40})
    assert not _at_time_bound({"stride_time_s": 0.5 * (low + high), "param_height_m": 1.40})
    assert not _at_time_bound({"stride_time_s": math.nan, "param_height_m": 1.40})


def test_speed_siblings_extend_the_design_without_changing_it():
    from trialsim.musculoskeletal.library import SIBLING_INDEX_BASE, SIBLING_PHENOTYPES
    from trialsim.musculoskeletal.simulation import SPEED_FACTORS, default_speed_m_s

    base, extended = design(40, seed=3), design(40, seed=3, speed_siblings=5)
    assert extended[:40] == base
    siblings = extended[40:]
    assert len(siblings) == 10
    bodies = [s for s in base if s["phenotype"] in SIBLING_PHENOTYPES][:5]
    for rank, body in enumerate(bodies):
        pair = siblings[2 * rank: 2 * rank + 2]
        assert all(s["params"] == body["params"] and s["sibling_of"] == body["index"] for s in pair)
        assert [s["index"] for s in pair] == [SIBLING_INDEX_BASE + 2 * rank, SIBLING_INDEX_BASE + 2 * rank + 1]
        centre = default_speed_m_s(body["params"]["height_m"])
        own = body["speed_m_s"] / centre
        nearest = min(SPEED_FACTORS, key=lambda f: abs(f - own))
        # the two of the physics' search factors that are not the body's own speed
        assert sorted(round(s["speed_m_s"] / centre, 2) for s in pair) == [f for f in SPEED_FACTORS if f != nearest]
    assert len({s["id"] for s in extended}) == 50


def test_siblings_are_solved_and_labelled_with_their_body(tmp_path):
    lib = build_library(tmp_path / "lib", n=10, workers=0, solve_fn=fake_solve, speed_siblings=2)
    sims = lib.simulations
    assert len(sims) == 14
    siblings = sims[sims["design_index"] >= 100_000]
    assert len(siblings) == 4
    for _, row in siblings.iterrows():
        body = sims[sims["design_index"] == row["body_index"]].iloc[0]
        assert body["param_height_m"] == row["param_height_m"]
        assert body["speed_target_m_s"] != row["speed_target_m_s"]
    assert library_status(tmp_path / "lib")["pending"] == 0
