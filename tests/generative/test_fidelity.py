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


def _shipped_fidelity():
    from importlib import resources

    from trialsim.generative.loader import FIDELITY

    path = resources.files("trialsim").joinpath(FIDELITY)
    if not path.is_file():
        pytest.skip("no shipped fidelity.json")
    return json.loads(path.read_text())


#: bounds the shipped generator must keep, set below the figures of the generator trained on
#: the 265-solve library (5-fold held out, fidelity.json; BENCHMARKS.md): stride R² 0.87,
#: cadence 0.64, swing knee peak 0.67; joint-angle curve RMSE 0.62–0.74 × the physics'
#: between-solve SD; mean 90 % coverage 0.94; classifier AUC 0.36; twin coverage 0.94
#: (simulated) / 0.93 (physics). Tighten them as the library grows.
SHIPPED_BOUNDS = {"r2_min": {"stride_length_m": 0.8, "cadence_steps_min": 0.55, "peak_knee_flexion_swing_deg": 0.6},
                  "angle_rmse_over_physics_sd_max": 0.8, "coverage_min": 0.9, "auc_max": 0.6,
                  "twin_coverage_min": 0.9, "twin_physics_coverage_min": 0.88}


def test_shipped_fidelity_within_bounds():
    report = _shipped_fidelity()
    from trialsim.generative.loader import load_default_generator

    gen = load_default_generator()
    assert report["checkpoint_sha256"] == gen.provenance()["checkpoint_sha256"], "fidelity.json is stale: re-run `trialsim generator evaluate`"
    for m, bound in SHIPPED_BOUNDS["r2_min"].items():
        assert report["measures"][m]["r2"] >= bound, m
    assert report["coverage_90_mean"] >= SHIPPED_BOUNDS["coverage_min"]
    for joint in ("hip_flexion_deg", "knee_flexion_deg", "ankle_dorsiflexion_deg"):
        c = report["curves"][joint]
        assert c["rmse"] <= SHIPPED_BOUNDS["angle_rmse_over_physics_sd_max"] * c["physics_sd"], joint
    assert not math.isfinite(report["c2st_auc"]) or report["c2st_auc"] <= SHIPPED_BOUNDS["auc_max"]
    assert report["twin_simulated"]["coverage_90_mean"] >= SHIPPED_BOUNDS["twin_coverage_min"]
    assert report["twin_physics"]["coverage_90_mean"] >= SHIPPED_BOUNDS["twin_physics_coverage_min"]


@pytest.mark.slow
def test_shipped_recipe_still_meets_bounds_on_the_shipped_library():
    """Re-run the held-out evaluation (minutes): catches regressions in the training code."""
    from trialsim.generative.evaluate import evaluate_generator
    from trialsim.generative.loader import default_checkpoint_path
    from trialsim.musculoskeletal.library import shipped_library_dir

    report = evaluate_generator(shipped_library_dir(), default_checkpoint_path(), twin=True)
    for m, bound in SHIPPED_BOUNDS["r2_min"].items():
        assert report["measures"][m]["r2"] >= bound, m
    assert report["coverage_90_mean"] >= SHIPPED_BOUNDS["coverage_min"]
    assert report["twin_physics"]["coverage_90_mean"] >= SHIPPED_BOUNDS["twin_physics_coverage_min"]
