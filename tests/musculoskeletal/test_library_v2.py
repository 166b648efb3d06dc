"""Library v2: design, deterministic neighbour warm start, resume, siblings (with an injected cheap solve)."""

from __future__ import annotations

import json
import math
import time

import pytest

from trialsim.musculoskeletal.library import library_status, load_library
from trialsim.musculoskeletal.library_v2 import (
    BATCH_SIZE,
    PHENOTYPES,
    build_library_v2,
    design,
)
from trialsim.musculoskeletal.library_warm_start import nearest_guess


def fake_body_solve(sample, settings, timeout_s, out_dir, solution_file):
    """Speed falls with weakness and rises with height; every 7th body fails."""
    p = sample["params"]
    if sample["index"] % 7 == 6 and sample["speed_m_s"] is None:
        return {"success": False, "status": "Maximum_Iterations_Exceeded", "failure_reason": "fake failure",
                "objective": math.nan, "iterations": 600, "wall_time_s": 0.0, "measures": {}, "curves": {}}
    speed = sample["speed_m_s"] or 0.7 * p["height_m"] * p.get("strength_plantarflexors", 1.0) ** 0.3
    return {"success": True, "status": "Solve_Succeeded", "failure_reason": "", "objective": 1.0,
            "iterations": 10, "wall_time_s": 0.01, "full_cycle": any(k.endswith("_l") for k in p),
            "speed_m_s": speed, "measures": {"gait_speed_m_s": speed, "stride_length_m": p["height_m"] * 0.8},
            "curves": {"gait_cycle_pct": [0.0, 50.0, 100.0], "knee_flexion_r_deg": [5.0, 60.0, 5.0]}}


def slow_first_body_solve(sample, settings, timeout_s, out_dir, solution_file):
    """``fake_body_solve`` that takes 4 s for design body 0 and 0.2 s otherwise, and records when it ran."""
    started = time.time()
    time.sleep(4.0 if sample["index"] == 0 else 0.2)
    return {**fake_body_solve(sample, settings, timeout_s, out_dir, solution_file),
            "started_at": started, "ended_at": time.time()}


def batch_rule_guess(rec, records):
    """The guess the batch rule gives a body: its nearest converged self-selected body of earlier batches."""
    start = rec["index"] // BATCH_SIZE * BATCH_SIZE
    earlier = [r for r in records if r.get("success") and r.get("speed_source") == "self_selected" and r["index"] < start]
    best = nearest_guess(rec, earlier)
    return None if best is None else best["id"]


def test_design_extends_and_weights_clinical_phenotypes():
    small, large = design(20), design(60)
    assert [s["id"] for s in small] == [s["id"] for s in large[:20]]
    counts = {name: sum(s["phenotype"] == name for s in large) for name in PHENOTYPES}
    assert counts["healthy"] == 15 and counts["parkinsons"] == 15 and counts["cerebral_palsy"] == 12
    assert counts["healthy"] + counts["broad"] < counts["parkinsons"] + counts["cerebral_palsy"] + counts["stroke"]
    pd = [s for s in large if s["phenotype"] == "parkinsons"]
    assert all(s["params"]["vigour"] <= 1.0 for s in pd)
    assert all(s["params"]["passive_stiffness"] <= 1.3 for s in pd)  # rigidity is joint-level in v2
    assert max(s["params"]["joint_rigidity"] for s in pd) > 1.5
    cp = [s for s in large if s["phenotype"] == "cerebral_palsy"]
    assert min(s["params"]["age_years"] for s in cp) < 10 and min(s["params"]["height_m"] for s in cp) < 1.3
    assert all(s["speed_m_s"] is None for s in large)
    assert len({s["id"] for s in large}) == 60


def test_nearest_guess_matches_cycle_type_and_breaks_ties_by_index():
    samples = design(20)
    healthy = [s for s in samples if s["phenotype"] == "healthy"]
    finished = [{**s, "full_cycle": False} for s in samples[:8]]
    guess = nearest_guess(healthy[-1], finished)
    assert guess is not None and not guess["full_cycle"]
    stroke = next(s for s in samples if s["phenotype"] == "stroke")
    assert nearest_guess(stroke, finished) is None  # no full-cycle neighbour → nominal guess
    twin = {**finished[0], "index": 99}
    assert nearest_guess(finished[0], [twin, finished[0]])["index"] == finished[0]["index"]


def test_warm_start_comes_from_earlier_batches_and_is_worker_independent(tmp_path):
    n = 3 * BATCH_SIZE
    build_library_v2(tmp_path / "w1", n=n, workers=0, solve_fn=fake_body_solve)
    build_library_v2(tmp_path / "w2", n=n, workers=2, solve_fn=fake_body_solve)
    records = {}
    for name in ("w1", "w2"):
        records[name] = {json.loads(p.read_text())["id"]: json.loads(p.read_text())
                         for p in (tmp_path / name / "sims").glob("*.json")}
    assert records["w1"].keys() == records["w2"].keys()
    by_index = {r["index"]: r for r in records["w1"].values()}
    for rec in records["w1"].values():
        assert rec["guess_id"] == records["w2"][rec["id"]]["guess_id"]
        if rec["index"] < BATCH_SIZE:
            assert rec["guess_id"] is None
        elif rec["guess_id"] is not None:
            neighbour = next(r for r in records["w1"].values() if r["id"] == rec["guess_id"])
            assert neighbour["index"] // BATCH_SIZE < rec["index"] // BATCH_SIZE
            assert neighbour["success"]
    assert any(r["guess_id"] for r in by_index.values())
    for rec in records["w2"].values():  # exactly the batch rule's guess, however the bodies were scheduled
        assert rec["guess_id"] == batch_rule_guess(rec, list(records["w2"].values()))
    sims = load_library(tmp_path / "w1").simulations
    assert set(sims["speed_source"]) == {"self_selected"}
    ok = sims[sims["success"]]
    assert ok["gait_speed_m_s"].notna().all() and ok["speed_target_m_s"].isna().all()


def test_no_barrier_between_batches_yet_the_batch_rule_guesses(tmp_path):
    """A slow body holds up only the bodies that may need it: later batches start beside it (the
    barrier of sessions <= 12 left a worker idle until it finished), with the same guesses."""
    out = tmp_path / "lib"
    build_library_v2(out, n=3 * BATCH_SIZE, workers=2, solve_fn=slow_first_body_solve)
    records = [json.loads(p.read_text()) for p in (out / "sims").glob("*.json")]
    slow = next(r for r in records if r["index"] == 0)
    overlapped = [r for r in records if r["index"] >= BATCH_SIZE and r["started_at"] < slow["ended_at"]]
    assert overlapped, "no body of a later batch started while body 0 was solving"
    for rec in records:
        assert rec["guess_id"] == batch_rule_guess(rec, records)
        if rec["guess_id"] == slow["id"]:
            assert rec["started_at"] >= slow["ended_at"]


def test_resume_and_imposed_speed_siblings(tmp_path):
    out = tmp_path / "lib"
    build_library_v2(out, n=BATCH_SIZE, workers=0, solve_fn=fake_body_solve)

    def exploding(*args):
        raise AssertionError("finished bodies must not be solved again")

    build_library_v2(out, n=BATCH_SIZE, workers=0, solve_fn=exploding)
    build_library_v2(out, n=BATCH_SIZE, workers=0, solve_fn=fake_body_solve, speed_siblings=2)
    status = library_status(out)
    assert status["converged_by_speed_source"]["imposed"] == 4
    sims = load_library(out).simulations
    siblings = sims[sims["speed_source"] == "imposed"]
    for _, row in siblings.iterrows():
        body = sims[(sims["design_index"] == row["body_index"]) & (sims["speed_source"] == "self_selected")].iloc[0]
        assert row["speed_target_m_s"] / body["gait_speed_m_s"] == pytest.approx(0.8, abs=1e-3) or \
            row["speed_target_m_s"] / body["gait_speed_m_s"] == pytest.approx(1.2, abs=1e-3)


def test_a_folder_of_another_library_version_is_refused(tmp_path):
    """Library v3 changed the objective: v2 bodies have other ids and another gait, so a v2
    folder cannot be extended with v3 bodies (one-line error naming the folder and the fix)."""
    from trialsim.errors import InputFileError
    from trialsim.musculoskeletal.library_v2 import LIBRARY_VERSION, objective_settings

    out = tmp_path / "lib"
    build_library_v2(out, n=BATCH_SIZE, workers=0, solve_fn=fake_body_solve)
    design_file = json.loads((out / "design.json").read_text())
    assert design_file["library_version"] == LIBRARY_VERSION == 3
    assert design_file["objective"] == objective_settings()
    assert design_file["objective"]["trunk_stability_weight"] > 0
    (out / "design.json").write_text(json.dumps({**design_file, "library_version": 2}))
    with pytest.raises(InputFileError, match=r"holds library v2, this build makes v3 .*new --out directory"):
        build_library_v2(out, n=BATCH_SIZE, workers=0, solve_fn=fake_body_solve)


def test_a_folder_solved_with_another_objective_or_unreadable_is_refused(tmp_path):
    """Same version, other objective constants (e.g. a changed trunk weight): refused, one line.
    A corrupt design.json is a one-line InputFileError, and a folder with no version field is v1."""
    from trialsim.errors import InputFileError

    out = tmp_path / "lib"
    build_library_v2(out, n=BATCH_SIZE, workers=0, solve_fn=fake_body_solve)
    design_file = json.loads((out / "design.json").read_text())
    changed = {**design_file["objective"], "trunk_stability_weight": design_file["objective"]["trunk_stability_weight"] * 2}
    (out / "design.json").write_text(json.dumps({**design_file, "objective": changed}))
    with pytest.raises(InputFileError, match=r"objective: the folder was solved with .*new --out directory"):
        build_library_v2(out, n=BATCH_SIZE, workers=0, solve_fn=fake_body_solve)
    (out / "design.json").write_text("{not json")
    with pytest.raises(InputFileError, match=r"design.json: unreadable JSON"):
        build_library_v2(out, n=BATCH_SIZE, workers=0, solve_fn=fake_body_solve)
    (out / "design.json").write_text(json.dumps({k: v for k, v in design_file.items() if k != "library_version"}))
    with pytest.raises(InputFileError, match=r"holds library v1, this build makes v3"):
        build_library_v2(out, n=BATCH_SIZE, workers=0, solve_fn=fake_body_solve)
