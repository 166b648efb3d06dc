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
                "mean_ess_borrowed": oc["mean_ess_borrowed"], "mean_pooled_sd": oc["mean_pooled_sd"],
                "mean_prob_success": float(np.nanmean(arrays["prob_success"])),
            })
    return pd.DataFrame(rows)


def recommend_design(run: StudyRun, table: pd.DataFrame) -> dict[str, object]:
    """The smallest design meeting target power in every alternative scenario with type I
    error ≤ the bound in every null and drift scenario (``analysis.search_designs``).

    The primary analysis and the frequentist reference compete (a design is only
    recommended over the conventional one when it is genuinely smaller); the saving is
    against the conventional 1:1 two-arm design without borrowing or prognostic
    adjustment of the same power — from the grid, or the closed form when the grid
    holds none.
    """
    from trialsim.analysis.design_search import search_designs

    spec = run.loaded.spec
    rows = table.assign(
        n_per_arm_control=table.n_control, n_per_arm_treatment=table.n_treatment,
        prognostic_adjustment=table.method.str.contains(r"\+procova"),
        borrowing=np.where(table.n_synthetic > 0, spec.analysis.borrowing.method, "none"),
        pooled_sd=table.mean_pooled_sd,
    )
    found = search_designs(rows, design=spec.design, alpha_one_sided=spec.decision.alpha)
    out: dict[str, object] = {
        "criteria": {"target_power": spec.design.target_power, "max_type1_error": spec.type1_budget},
        "statement": found["statement"],
    }
    rec = found["recommended"]
    if rec is None:
        out.update({"found": False, "reason": "no design in the grid meets the target power with type I error within the bound; extend n_per_arm"})
        return out
    label = next(d.label for d in run.designs if (d.n_control, d.n_treatment, d.n_synthetic)
                 == (rec["n_per_arm_control"], rec["n_per_arm_treatment"], rec["n_synthetic"]))
    chosen = table[(table.design == label) & (table.method == rec["method"]) & table.scenario_kind.str.endswith("alternative")]
    conv = found["conventional"]
    out.update({
        "found": True, "design": label, "method": rec["method"],
        "n_control": int(rec["n_per_arm_control"]), "n_treatment": int(rec["n_per_arm_treatment"]),
        "n_synthetic": int(rec["n_synthetic"]), "n_total": int(rec["total_n"]),
        "power": float(rec["min_power"]), "power_mc_se": float(chosen.power_mc_se.max()),
        "max_type1_error": float(rec["max_type1_error"]),
        "conventional_n_total": conv["total_n"], "conventional_source": conv["source"],
        "patients_saved": found["patients_saved"],
    })
    return out


def assurance_table(run: StudyRun, table: pd.DataFrame) -> list[dict[str, object]]:
    """Assurance of each design: power averaged over a normal design prior on the effect.

    The prior is centred on the effect at ``effect_scale`` 1 with SD
    ``design.design_prior_sd_fraction`` × that effect; the power curve comes from the
    scenarios without drift (null and alternatives at their true effects).
    """
    from trialsim.analysis.operating import assurance

    spec = run.loaded.spec
    plain = table[(table.analysis == "primary") & ~table.scenario_kind.str.startswith("drift")]
    expected = [run.true_effects[s.name] for s in run.scenarios if s.effect_scale == 1.0 and not s.drift]
    if not expected or expected[0] <= 0:
        return []
    mean = float(expected[0])
    out = []
    for label, rows in plain.groupby("design", sort=False):
        curve = rows.groupby("true_effect").agg(power=("power", "mean"), se=("power_mc_se", "max")).reset_index()
        if len(curve) < 2:
            continue
        a = assurance(effects=curve.true_effect.to_numpy(), power=curve.power.to_numpy(), prior_mean=mean,
                      prior_sd=spec.design.design_prior_sd_fraction * mean, power_mc_se=curve.se.to_numpy())
        out.append({"design": label, "prior_mean": mean, "prior_sd": spec.design.design_prior_sd_fraction * mean,
                    "assurance": a["assurance"], "assurance_mc_se": a["assurance_mc_se"],
                    "prior_mass_outside_grid": a["prior_mass_outside_grid"]})
    return out
