"""Operating characteristics per scenario × design, and the recommended design."""

from __future__ import annotations

from itertools import product

import numpy as np
import pandas as pd

from trialsim.results.run import ANALYSES, FIELDS, StudyRun, analysis_for


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
    from trialsim.analysis.batch_analysis import BatchAnalysis
    from trialsim.analysis.operating import operating_characteristics

    rows = []
    analyses = list(dict.fromkeys([*ANALYSES, *(k[0] for k in run.per_replicate)]))
    for which in analyses:
        for (s, scenario), (d, design) in product(enumerate(run.scenarios), enumerate(run.designs)):
            if f"{which}:{design.label}" not in run.methods and which not in ANALYSES:
                continue
            method = run.methods.get(f"{which}:{design.label}", "")
            arrays = {f: run.per_replicate[(which, f)][s, d] for f in FIELDS}
            arrays["success"] = arrays["success"].astype(bool)
            truth = run.true_effects[scenario.name]
            oc = operating_characteristics(BatchAnalysis(**arrays, method=method, true_effect=truth), true_effect=truth)
            spec = analysis_for(design, run.loaded.spec, which)
            drift = scenario.drift or run.loaded.spec.synthetic_control.drift
            rows.append({
                "analysis": which, "method": method, "scenario": scenario.name,
                "scenario_kind": scenario_kind(run, s), "effect_scale": scenario.effect_scale,
                "is_null": scenario.is_null, "drift_outcome_offset": drift.outcome_offset,
                "drift_age_shift_years": drift.age_shift_years,
                "borrowing": spec.borrowing.method if design.n_synthetic > 0 else "none",
                "prognostic_adjustment": spec.prognostic_adjustment,
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


def _search_rows(run: StudyRun, table: pd.DataFrame) -> pd.DataFrame:
    """The OC table as design-search rows, plus one ``drift_null`` row per borrowing design and swept drift."""
    from trialsim.results.drift_curve import drift_dataset

    spec = run.loaded.spec
    borrowing = np.where((table.n_synthetic > 0) & table.analysis.isin(["primary", "calibrated"]), spec.analysis.borrowing.method, "none")
    rows = table.assign(
        n_per_arm_control=table.n_control, n_per_arm_treatment=table.n_treatment,
        borrowing=borrowing, pooled_sd=table.mean_pooled_sd, type1_error_mc_se=table.power_mc_se,
    )
    ds = drift_dataset(run)
    if ds is None or "type1" not in ds:
        return rows
    thresholds: dict[str, float] = run.extra.get("calibration_thresholds", {})  # type: ignore[assignment]
    dim = ds.attrs["drift_dim"]
    extra = []
    base = rows[(rows.analysis == "primary") & (rows.scenario == ds.attrs["null_scenario"])].set_index("design")
    for i, label in enumerate(ds.design.values):
        if int(ds.n_synthetic.values[i]) == 0 or label not in base.index:
            continue
        row = base.loc[label]
        for j, drift in enumerate(ds[dim].values):
            p, se = float(ds.type1.values[i, j]), float(ds.type1_mcse.values[i, j])
            extra.append({**row.to_dict(), "design": label, "scenario": f"drift_sweep{drift:+.6g}",
                          "scenario_kind": "drift_null", "power": p, "power_mc_se": se, "type1_error": p,
                          "type1_error_mc_se": se})
        if label in thresholds:
            cal = rows[(rows.analysis == "calibrated") & (rows.scenario == ds.attrs["null_scenario"])
                       & (rows.design == label)].iloc[0]
            success = run.drift_prob[ds.attrs["null_scenario"]][i] >= thresholds[label]  # (R, D)
            for j, drift in enumerate(ds[dim].values):
                p = float(np.mean(success[:, j]))
                se = float(np.sqrt(p * (1 - p) / success.shape[0]))
                extra.append({**cal.to_dict(), "design": label, "scenario": f"drift_sweep{drift:+.6g}",
                              "scenario_kind": "drift_null", "power": p, "power_mc_se": se, "type1_error": p,
                              "type1_error_mc_se": se})
    return pd.concat([rows, pd.DataFrame(extra)], ignore_index=True) if extra else rows


def recommend_design(run: StudyRun, table: pd.DataFrame) -> dict[str, object]:
    """The smallest design whose power lower bound meets the target in every alternative scenario
    and whose type I error stays within the one budget in every null scenario and over the whole
    drift sweep (``analysis.search_designs``), with the uncertainty of the choice and the saving.

    The primary analysis and the frequentist reference compete; the saving is against the
    conventional 1:1 two-arm trial without borrowing or prognostic adjustment, sized in
    closed form at the same budget and power.
    """
    from trialsim.analysis.design_search import search_designs
    from trialsim.results.calibration import CALIBRATED, calibrated_run
    from trialsim.results.uncertainty import bootstrap_choice

    spec = run.loaded.spec
    run = calibrated_run(run)
    if (CALIBRATED, "success") in run.per_replicate:
        table = oc_table(run)
        table = table[(table.analysis != CALIBRATED) | (table.n_synthetic > 0)]
    rows = _search_rows(run, table)
    found = search_designs(rows, design=spec.design, alpha_one_sided=spec.decision.alpha)
    conv = found["conventional"]
    out: dict[str, object] = {
        "criteria": {"target_power": spec.design.target_power, "max_type1_error": found["budget"],
                     "type1_budget": found["budget"], "confidence_z": spec.design.confidence_z,
                     "rule": "power lower bound ≥ target in every alternative scenario; type I upper bound ≤ budget in "
                             "every null scenario and over the drift sweep (borrowing designs); designs without "
                             "synthetic controls: type I estimate not significantly above the budget"},
        "statement": found["statement"],
        "conventional_n_total": conv["total_n"], "conventional_source": conv["source"],
        "conventional_n_per_arm": conv["n_per_arm"], "conventional_grid_n_total": conv["grid_total_n"],
        "conventional_sd": conv["sd"], "conventional_delta": conv["delta"],
        "patients_saved": found["patients_saved"], "excess_patients": found["excess_patients"],
        "saves_patients": found["saves_patients"], "recommendation": found["recommendation"],
        "calibration_thresholds": run.extra.get("calibration_thresholds", {}),
        "unclear_designs": [{k: (v.item() if hasattr(v, "item") else v) for k, v in u.items()} for u in found["unclear"]],
    }
    rec = found["recommended"]
    if rec is None:
        out.update({"found": False, "reason": "no design in the grid clears the targets beyond Monte Carlo noise; "
                                              "extend n_per_arm or add replicates"})
        return out
    label = next(d.label for d in run.designs if (d.n_control, d.n_treatment, d.n_synthetic)
                 == (rec["n_per_arm_control"], rec["n_per_arm_treatment"], rec["n_synthetic"]))
    out.update({
        "found": True, "design": label, "method": rec["method"],
        "n_control": int(rec["n_per_arm_control"]), "n_treatment": int(rec["n_per_arm_treatment"]),
        "n_synthetic": int(rec["n_synthetic"]), "n_total": int(rec["total_n"]),
        "power": float(rec["min_power"]), "power_mc_se": float(rec["min_power_mc_se"]),
        "power_lower_bound": float(rec["power_lcb"]),
        "max_type1_error": float(rec["max_type1_error"]), "max_type1_error_mc_se": float(rec["max_type1_error_mc_se"]),
        "type1_upper_bound": float(rec["type1_ucb"]),
    })
    uncertainty = bootstrap_choice(run, rows, found)
    out["uncertainty"] = uncertainty
    if uncertainty.get("choice_uncertain"):
        freq = uncertainty["chosen_fraction"]
        out["statement"] = f"{out['statement']}; the choice is uncertain (chosen in {freq:.0%} of bootstrap resamples)"
    return out


def assurance_table(run: StudyRun, table: pd.DataFrame) -> list[dict[str, object]]:
    """Assurance of each design: power averaged over a normal design prior on the effect.

    The prior is centred on the effect at ``effect_scale`` 1 with SD
    ``design.design_prior_sd_fraction`` × that effect; the power curve comes from the
    scenarios without drift (null and alternatives at their true effects).
    """
    from trialsim.analysis.operating import assurance

    spec = run.loaded.spec
    plain = table[(table.analysis == "primary") & (table.drift_outcome_offset == 0) & (table.drift_age_shift_years == 0)]
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
