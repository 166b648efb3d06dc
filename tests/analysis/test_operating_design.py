"""Operating characteristics, their MC errors, and the design search rules."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trialsim.analysis import BatchAnalysis, operating_characteristics, search_designs
from trialsim.spec.analysis import DesignSearchSpec


def _analysis(est: np.ndarray, success: np.ndarray, half_width: float = 0.1) -> BatchAnalysis:
    return BatchAnalysis(effect_mean=est, effect_sd=np.full(est.size, 0.05), ci_low=est - half_width,
                         ci_high=est + half_width, prob_success=success.astype(float), prob_cid=np.zeros(est.size),
                         success=success, standardized_effect_mean=est / 0.2, ess_borrowed=np.full(est.size, 3.0),
                         method="test")


def test_mc_errors_match_their_definitions():
    rng = np.random.default_rng(0)
    est = 0.1 + 0.05 * rng.standard_normal(10_000)
    oc = operating_characteristics(_analysis(est, est > 0.1), true_effect=0.1)
    assert oc["power"] == oc["type1_error"]
    assert oc["power_mc_se"] == pytest.approx(np.sqrt(oc["power"] * (1 - oc["power"]) / est.size))
    assert oc["bias_mc_se"] == pytest.approx(0.05 / 100, rel=0.03)
    assert oc["rmse"] == pytest.approx(0.05, rel=0.03)
    assert oc["rmse_mc_se"] == pytest.approx(0.05 / np.sqrt(2 * est.size), rel=0.1)  # normal errors
    assert oc["coverage"] == pytest.approx(0.9545, abs=0.01)  # ±2 SD interval
    assert oc["mean_ess_borrowed"] == 3.0


def test_non_finite_estimates_count_as_failures():
    est = np.array([0.2, np.nan, 0.2, 0.2])
    oc = operating_characteristics(_analysis(est, np.array([True, True, True, False])), true_effect=0.2)
    assert oc["power"] == 0.5
    assert oc["n_failed"] == 1
    assert oc["bias"] == 0.0


def _rows(design: dict, ocs: dict[str, tuple[str, float, float]]) -> list[dict]:
    return [{**design, "scenario": s, "scenario_kind": k, "power": p, "type1_error": p, "true_effect": eff,
             "pooled_sd": 0.2} for s, (k, p, eff) in ocs.items()]


def _design(nc, nt, m, *, procova=False, borrowing="none"):
    return {"n_per_arm_control": nc, "n_per_arm_treatment": nt, "n_synthetic": m,
            "prognostic_adjustment": procova, "borrowing": borrowing}


def test_drift_type1_violation_excludes_a_design_and_closed_form_gives_the_reference():
    rows = (
        _rows(_design(20, 40, 100, borrowing="full"),  # smallest but inflates type I under drift
              {"alt": ("alternative", 0.9, 0.1), "null": ("null", 0.02, 0.0), "drift": ("drift_null", 0.3, 0.0)})
        + _rows(_design(30, 40, 100, borrowing="robust_mixture"),
                {"alt": ("alternative", 0.82, 0.1), "alt_drift": ("drift_alternative", 0.81, 0.1),
                 "null": ("null", 0.02, 0.0), "drift": ("drift_null", 0.024, 0.0)})
        + _rows(_design(50, 50, 0), {"alt": ("alternative", 0.7, 0.1), "null": ("null", 0.025, 0.0)})
    )
    out = search_designs(pd.DataFrame(rows), design=DesignSearchSpec(target_power=0.8, max_type1_error=0.025))
    assert out["recommended"]["borrowing"] == "robust_mixture"
    assert out["recommended"]["total_n"] == 70
    conv = out["conventional"]
    assert {k: conv[k] for k in ("n_per_arm", "total_n", "source", "delta", "sd", "alpha_one_sided")} == {
        "n_per_arm": 64, "total_n": 128, "source": "closed_form", "delta": 0.1, "sd": 0.2, "alpha_one_sided": 0.025}
    assert out["patients_saved"] == 128 - 70
    assert out["saves_patients"] and out["recommendation"] == "simulated"
    assert "58 patients are saved" in out["statement"]


def test_monte_carlo_bounds_decide_and_a_design_that_saves_nothing_says_so():
    """Power 0.81 ± 0.02 against 0.80 is not enough; one type I budget; no negative saving."""
    def rows(n, power, se, t1=0.024, t1_se=0.005):
        return [{**_design(n, n, 0), "scenario": "alt", "scenario_kind": "alternative", "power": power,
                 "power_mc_se": se, "type1_error": np.nan, "type1_error_mc_se": np.nan, "true_effect": 0.1,
                 "pooled_sd": 0.2},
                {**_design(n, n, 0), "scenario": "null", "scenario_kind": "null", "power": t1, "power_mc_se": t1_se,
                 "type1_error": t1, "type1_error_mc_se": t1_se, "true_effect": 0.0, "pooled_sd": 0.2}]
    table = pd.DataFrame(rows(60, 0.81, 0.02) + rows(70, 0.86, 0.011))
    out = search_designs(table, design=DesignSearchSpec(target_power=0.8), alpha_one_sided=0.025)
    assert out["designs"].set_index("n_per_arm_control").status.to_dict() == {60: "unclear", 70: "qualifies"}
    assert out["unclear"][0]["total_n"] == 120 and out["unclear"][0]["replicates_to_decide_power"] > 4000
    assert out["recommended"]["total_n"] == 140
    assert out["conventional"]["total_n"] == 128  # closed form at the same budget, not the grid's 140
    assert out["patients_saved"] == 0 and out["excess_patients"] == 12 and not out["saves_patients"]
    assert out["recommendation"] == "conventional"
    assert out["statement"].startswith("no candidate design saves patients")
    assert "-" not in out["statement"].split("saves patients")[1].split("more than")[0]


def test_no_feasible_design_and_bad_input_are_reported():
    rows = _rows(_design(20, 20, 0), {"alt": ("alternative", 0.3, 0.1), "null": ("null", 0.02, 0.0)})
    out = search_designs(pd.DataFrame(rows), design=DesignSearchSpec())
    assert out["recommended"] is None
    assert out["patients_saved"] == 0 and not out["saves_patients"]
    with pytest.raises(ValueError, match="lacks columns"):
        search_designs(pd.DataFrame(rows).drop(columns=["power"]), design=DesignSearchSpec())
    with pytest.raises(ValueError, match="scenario_kind"):
        search_designs(pd.DataFrame(rows).assign(scenario_kind="other"), design=DesignSearchSpec())
