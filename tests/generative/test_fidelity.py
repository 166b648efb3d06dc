"""Held-out fidelity: the evaluation code on the toy library, and the shipped figures' bounds."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from trialsim.generative.evaluate import _logistic_auc


def test_c2st_detects_a_difference_and_not_a_null():
    rng = np.random.default_rng(0)
    same = rng.normal(size=(200, 3))
    labels = np.r_[np.zeros(100), np.ones(100)]
    assert abs(_logistic_auc(same, labels, folds=5, seed=0) - 0.5) < 0.12
    shifted = same.copy()
    shifted[100:] += 1.0
    assert _logistic_auc(shifted, labels, folds=5, seed=0) > 0.8


def test_toy_library_held_out_fidelity(toy_library, toy_config):
    from trialsim.generative.dataset import load_training_data
    from trialsim.generative.evaluate import cross_validated_predictions, fidelity_report

    data = load_training_data(toy_library)
    report = fidelity_report(data, cross_validated_predictions(data, config=toy_config, folds=3))
    for m in ("stride_length_m", "cadence_steps_min", "stance_pct", "peak_knee_flexion_swing_deg"):
        assert report["measures"][m]["r2"] > 0.9, m
    assert report["curves"]["knee_flexion_deg"]["rmse"] < report["curves"]["knee_flexion_deg"]["physics_sd"]
    assert 0.75 <= report["coverage_90_mean"] <= 1.0
    assert report["c2st_auc"] < 0.8


def test_group_folds_partition_rows_without_splitting_a_body():
    from trialsim.generative.dataset import group_folds

    groups = np.array([0, 1, 1, 2, 3, 3, 3, 4, 5, 6])
    folds = group_folds(groups, 3, np.random.default_rng(1))
    assert sorted(np.concatenate(folds).tolist()) == list(range(len(groups)))
    for g in np.unique(groups):
        assert sum(np.isin(np.flatnonzero(groups == g), f).any() for f in folds) == 1
    # one row per body: the plain shuffled folds (so a library without siblings keeps its folds)
    singles = group_folds(np.arange(11), 4, np.random.default_rng([0, 7]))
    order = np.random.default_rng([0, 7]).permutation(11)
    assert all(np.array_equal(f, order[i::4]) for i, f in enumerate(singles))


def test_speed_siblings_held_out_together_and_self_selected_speed_scored(tmp_path, toy_config):
    """Bodies solved at three speeds: held out whole, and the generator's self-selected speed
    (from a fold model that never saw the body) tracks the toy physics' cost minimum."""
    from fake_physics import fake_physics_solve

    from trialsim.generative.dataset import load_training_data
    from trialsim.generative.evaluate import cross_validated_predictions, speed_selection_fidelity
    from trialsim.musculoskeletal.library import build_library

    build_library(tmp_path, n=40, workers=0, solve_fn=fake_physics_solve, speed_siblings=16)
    data = load_training_data(tmp_path)
    assert data.n == 72
    assert int(data.bodies.max()) + 1 == 40
    cv = cross_validated_predictions(data, config=toy_config, folds=3)
    for held, _ in cv["fold_models"]:
        assert set(np.flatnonzero(np.isin(data.bodies, data.bodies[held]))) == set(held.tolist())
    fid = speed_selection_fidelity(data, cv)
    assert fid["n_bodies"] == 16
    assert fid["correlation"] > 0.6, fid
    assert fid["mae_m_s"] < 0.5 * fid["physics_sd_m_s"] + 0.03, fid


def _shipped_fidelity():
    from importlib import resources

    from trialsim.generative.loader import FIDELITY

    path = resources.files("trialsim").joinpath(FIDELITY)
    if not path.is_file():
        pytest.skip("no shipped fidelity.json")
    return json.loads(path.read_text())


#: bounds the shipped generator must keep (unchanged since session 6). The shipped generator is
#: trained on library v3 (355 bodies, session 12): stride R² 0.93, cadence 0.86, swing knee 0.58
#: (MAE 2.4°), stance 0.66 (MAE 0.76 %; v3's stance spread is narrow); joint-angle curve RMSE
#: 0.44–0.57 × the physics' SD; mean 90 % coverage 0.91; classifier AUC 0.39; twin coverage
#: 0.94 / 0.92; self-selected speed r 0.91, MAE 0.045 m/s = 0.37 × a constant's, sampled SD 1.05 ×
#: the physics' (186 bodies, session 9: 0.95, 0.92, 0.56, 0.56, 0.46–0.63, 0.92, 0.42, 0.94 / 0.90,
#: r 0.90, 0.39 ×, 1.08 ×; 126 bodies, session 8: 0.93, 0.87, 0.49, 0.45, 0.94, 0.40,
#: 0.94 / 0.91, r 0.90, 0.38 ×, 1.04 ×). The bounds were set below the figures of the generator trained on
#: library v2 (one free-speed solve per body; 5-fold held out by body, fidelity.json;
#: BENCHMARKS.md), 121 bodies: stride R² 0.93, cadence 0.93, swing knee peak 0.58 (MAE 3.0°;
#: 0.35 / 3.5° at 104 bodies); joint-angle curve RMSE 0.45–0.56 × the physics' between-solve
#: SD; mean 90 % coverage 0.91; classifier AUC 0.38; twin coverage 0.94 (simulated) / 0.95
#: (physics); self-selected speed (direct head) against the physics' on 121 held-out bodies:
#: r 0.79, MAE 0.067 m/s = 0.58 × a constant's, sampled SD 1.02 × the physics'.
#: Changed from the v1 bounds (394-solve library) where v2 differs, with the evidence: the
#: swing-knee R² bound was 0.65 (v1: 0.69), now 0.3 with an MAE bound of 4.5°: v1's knee
#: spread was dominated by passive-stiffness stiff-kneed bodies (PD 13.7 ± 6.3°, issue #14),
#: which the inputs explain; v2's physics has no such bodies (PD ≈ 59°), its remaining
#: between-body spread is small (held-out MAE 3.0°, v1 5.7°) and its R² moved 0.35 → 0.58
#: between the 104- and 121-body libraries. The speed bounds rose to the issue's targets
#: (v1: r 0.34, MAE 0.117 m/s).
SHIPPED_BOUNDS = {"r2_min": {"stride_length_m": 0.85, "cadence_steps_min": 0.8, "peak_knee_flexion_swing_deg": 0.3},
                  "mae_max": {"peak_knee_flexion_swing_deg": 4.5},
                  "angle_rmse_over_physics_sd_max": 0.8, "coverage_min": 0.9, "auc_max": 0.6,
                  "twin_coverage_min": 0.9, "twin_physics_coverage_min": 0.9,
                  "speed_bodies_min": 100, "speed_mae_max_m_s": 0.09}


def _check_speed_selection(report: dict) -> None:
    speed = report["self_selected_speed_vs_physics"]
    assert speed["n_bodies"] >= SHIPPED_BOUNDS["speed_bodies_min"]
    assert speed["mae_m_s"] <= SHIPPED_BOUNDS["speed_mae_max_m_s"]


def test_shipped_self_selected_speed_meets_the_issue_targets():
    """Issue #15 on held-out bodies: r ≥ 0.7, MAE ≤ 0.7 × a constant predictor's, and one
    sampled body per held-out body spread ≥ 0.8 × the physics' SD (the per-body effect)."""
    speed = _shipped_fidelity()["self_selected_speed_vs_physics"]
    assert speed["correlation"] >= 0.7, speed
    assert speed["mae_m_s"] <= 0.7 * speed["constant_mae_m_s"], speed
    assert speed["sampled_sd_ratio"] >= 0.8, speed
    assert all(speed["targets_met"].values()), speed


def test_shipped_fidelity_within_bounds():
    report = _shipped_fidelity()
    from trialsim.generative.loader import load_default_generator

    gen = load_default_generator()
    assert report["checkpoint_sha256"] == gen.provenance()["checkpoint_sha256"], "fidelity.json is stale: re-run `trialsim generator evaluate`"
    for m, bound in SHIPPED_BOUNDS["r2_min"].items():
        assert report["measures"][m]["r2"] >= bound, m
    for m, bound in SHIPPED_BOUNDS["mae_max"].items():
        assert report["measures"][m]["mae"] <= bound, m
    assert report["coverage_90_mean"] >= SHIPPED_BOUNDS["coverage_min"]
    for joint in ("hip_flexion_deg", "knee_flexion_deg", "ankle_dorsiflexion_deg"):
        c = report["curves"][joint]
        assert c["rmse"] <= SHIPPED_BOUNDS["angle_rmse_over_physics_sd_max"] * c["physics_sd"], joint
    assert not math.isfinite(report["c2st_auc"]) or report["c2st_auc"] <= SHIPPED_BOUNDS["auc_max"]
    assert report["twin_simulated"]["coverage_90_mean"] >= SHIPPED_BOUNDS["twin_coverage_min"]
    assert report["twin_physics"]["coverage_90_mean"] >= SHIPPED_BOUNDS["twin_physics_coverage_min"]
    _check_speed_selection(report)


@pytest.mark.slow
def test_shipped_recipe_still_meets_bounds_on_the_shipped_library():
    """Re-run the held-out evaluation (minutes): catches regressions in the training code."""
    from trialsim.generative.evaluate import evaluate_generator
    from trialsim.generative.loader import default_checkpoint_path
    from trialsim.musculoskeletal.library import shipped_library_dir

    from trialsim.musculoskeletal.library import GENERATOR_LIBRARY_VERSION

    report = evaluate_generator(shipped_library_dir(GENERATOR_LIBRARY_VERSION), default_checkpoint_path(), twin=True)
    for m, bound in SHIPPED_BOUNDS["r2_min"].items():
        assert report["measures"][m]["r2"] >= bound, m
    for m, bound in SHIPPED_BOUNDS["mae_max"].items():
        assert report["measures"][m]["mae"] <= bound, m
    assert report["coverage_90_mean"] >= SHIPPED_BOUNDS["coverage_min"]
    assert report["twin_physics"]["coverage_90_mean"] >= SHIPPED_BOUNDS["twin_physics_coverage_min"]
    _check_speed_selection(report)
