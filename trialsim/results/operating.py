"""Operating characteristics per scenario × design, and the recommended design."""

from __future__ import annotations

from itertools import product

import numpy as np
import pandas as pd

from trialsim.pipeline import ANALYSES, FIELDS, StudyRun


def scenario_kind(run: StudyRun, index: int) -> str:
    """``null`` / ``alternative``, prefixed ``drift_`` when synthetic controls drift."""
    s = run.scenarios[index]
    drift = s.drift or run.loaded.spec.synthetic_control.drift
    drifting = drift.outcome_offset != 0 or drift.age_shift_years != 0
    return ("drift_" if drifting else "") + ("null" if s.is_null else "alternative")


def oc_table(run: StudyRun) -> pd.DataFrame:
    """One row per scenario × design × analysis with rates and their Monte Carlo SEs.

    ``power`` is the success rate; in null scenarios the same number is the type I
    error. Bias, RMSE and coverage are against the scenario's true effect.
    """
    from trialsim.analysis.operating import operating_characteristics
    from trialsim.analysis.results import BatchAnalysis

    rows = []
    for which in ANALYSES:
        for (s, scenario), (d, design) in product(enumerate(run.scenarios), enumerate(run.designs)):
            method = run.methods.get(f"{which}:{design.label}", "")
            arrays = {f: run.per_replicate[(which, f)][s, d] for f in FIELDS}
            arrays["success"] = arrays["success"].astype(bool)
            truth = run.true_effects[scenario.name]
            oc = operating_characteristics(BatchAnalysis(**arrays, method=method, true_effect=truth), true_effect=truth)
            rows.append({
                "analysis": which, "method": method, "scenario": scenario.name,
                "scenario_kind": scenario_kind(run, s), "effect_scale": scenario.effect_scale,
                "true_effect": truth, "design": design.label, "n_control": design.n_control,
                "n_treatment": design.n_treatment, "n_synthetic": design.n_synthetic, "n_total": design.total,
                "replicates": int(oc["n_replicates"]),
                "power": oc["power"], "power_mc_se": oc["power_mc_se"],
                "type1_error": oc["power"] if scenario.is_null else float("nan"),
                "bias": oc["bias"], "bias_mc_se": oc["bias_mc_se"], "rmse": oc["rmse"], "rmse_mc_se": oc["rmse_mc_se"],
                "coverage": oc["coverage"], "coverage_mc_se": oc["coverage_mc_se"],
                "mean_ess_borrowed": oc["mean_ess_borrowed"],
                "mean_prob_success": float(np.nanmean(arrays["prob_success"])),
            })
    return pd.DataFrame(rows)


def recommend_design(run: StudyRun, table: pd.DataFrame) -> dict[str, object]:
    """Smallest concurrent total meeting target power in every alternative scenario
    with type I error ≤ the bound in every null (incl. drift) scenario; the saving is
    against the conventional design (frequentist ANCOVA, 1:1, no borrowing or
    prognostic adjustment) that reaches the same power on the same grid.
    """
    spec = run.loaded.spec.design
    primary = table[table.analysis == "primary"]
    reference = table[(table.analysis == "reference") & (table.n_synthetic == 0) & (table.n_control == table.n_treatment)]

    def feasible(rows: pd.DataFrame) -> pd.DataFrame:
        by_design = rows.groupby("design")
        ok = []
        for label, g in by_design:
            alt = g[g.scenario_kind.str.endswith("alternative") & ~g.scenario_kind.str.startswith("drift")]
            nulls = g[g.scenario_kind.str.endswith("null")]
            power_ok = len(alt) > 0 and bool((alt.power >= spec.target_power).all())
            t1_ok = bool((nulls.power <= spec.max_type1_error).all()) if len(nulls) else True
            if power_ok and t1_ok:
                first = g.iloc[0]
                ok.append({
                    "design": label, "n_control": int(first.n_control), "n_treatment": int(first.n_treatment),
                    "n_synthetic": int(first.n_synthetic), "n_total": int(first.n_total),
                    "power": float(alt.power.min()), "power_mc_se": float(alt.power_mc_se.max()),
                    "max_type1_error": float(nulls.power.max()) if len(nulls) else float("nan"),
                    "method": str(first.method),
                })
        return pd.DataFrame(ok)

    # the primary analysis and the conventional reference both compete: a design is
    # only recommended over the conventional one when it is genuinely smaller
    best = pd.concat([feasible(primary), feasible(reference)], ignore_index=True)
    conventional = feasible(reference)
    out: dict[str, object] = {
        "criteria": {"target_power": spec.target_power, "max_type1_error": spec.max_type1_error},
    }
    if best.empty:
        out.update({"found": False, "reason": "no design in the grid meets the target power with type I error within the bound; extend n_per_arm"})
        return out
    chosen = best.sort_values(["n_total", "n_synthetic", "max_type1_error"]).iloc[0].to_dict()
    out.update({"found": True, **chosen})
    if conventional.empty:
        out.update({"conventional_n_total": None, "patients_saved": None,
                    "note": "the conventional two-arm design did not reach the target power within the grid"})
    else:
        conv = conventional.sort_values("n_total").iloc[0]
        out.update({"conventional_n_total": int(conv.n_total), "conventional_design": str(conv.design),
                    "patients_saved": int(conv.n_total) - int(chosen["n_total"])})
    return out
