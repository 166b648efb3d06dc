"""What the report reads from a results tree and ``summary.json`` (selections, no simulation).

Every number the report prints comes from here: the primary analysis' operating
characteristics straight from ``summary.json``, the frequentist reference, the
replicates and example trials from the DataTree, the study as validated spec.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
import yaml

from trialsim.errors import IntegrityError
from trialsim.spec.study import StudySpec


@dataclass(frozen=True)
class RunData:
    summary: dict[str, Any]
    attrs: dict[str, str]
    spec: StudySpec
    cohort: dict[str, Any]
    #: every scenario × design × analysis row of ``/oc``
    oc: pd.DataFrame
    #: the primary analysis in ``summary.json`` order (scenario, then design)
    primary: pd.DataFrame
    #: one row per scenario: kind, effect scale, true effect, drift of synthetic controls
    scenarios: pd.DataFrame
    replicates: xr.Dataset
    examples: xr.Dataset
    baseline: xr.Dataset
    #: the results tree itself (figures are drawn from it through :mod:`trialsim.plotting.prepare`)
    tree: xr.DataTree
    #: ``/drift``: type I error and power per design against drift (None without borrowing)
    drift: xr.Dataset | None = None
    #: NUTS fits of the example trials (draws, ArviZ diagnostics), when the run made them
    posteriors: xr.Dataset | None = None
    diagnostics: xr.Dataset | None = None
    #: ``/simulator_crosscheck``: the same study on the ``reference`` simulator beside this run's (None when absent)
    crosscheck: xr.Dataset | None = None

    @property
    def simulator(self) -> str:
        return str(self.summary.get("simulator", self.attrs.get("simulator", "unknown")))

    @property
    def borrowing(self) -> bool:
        return bool((self.primary.n_synthetic > 0).any()) and self.spec.analysis.borrowing.method != "none"

    def versions(self) -> dict[str, str]:
        return json.loads(self.attrs.get("package_versions", "{}"))  # type: ignore[no-any-return]


def read_run(tree: xr.DataTree, summary: dict[str, Any]) -> RunData:
    """Collect what the report shows; raise :class:`IntegrityError` if tree and summary disagree."""
    attrs = {str(k): str(v) for k, v in tree.attrs.items()}
    if attrs.get("config_sha256") != summary.get("config_sha256"):
        raise IntegrityError("results.nc and summary.json come from different runs (config_sha256 differs); re-run the study")
    spec = StudySpec.model_validate(yaml.safe_load(attrs["study_yaml"]))
    cohort_text = attrs.get("cohort_yaml", "")
    if isinstance(spec.cohort, str):
        cohort = yaml.safe_load(cohort_text) if cohort_text and cohort_text != "(inline)" else {}
    else:
        cohort = spec.cohort.model_dump(mode="json")
    oc = tree["oc"].to_dataset().to_dataframe().reset_index()
    primary = pd.DataFrame([
        {"scenario": d["scenario"], "scenario_kind": d["scenario_kind"], "design": d["design"],
         "n_control": d["n_per_arm"][spec.control_arm.name], "n_treatment": d["n_per_arm"][spec.treatment_arm.name],
         "n_synthetic": d["n_per_arm"].get("synthetic_control", 0),
         **{k: np.nan if d.get(k) is None else d[k] for k in (
             "replicates", "power", "power_mc_se", "type1_error", "bias", "rmse", "coverage", "true_effect", "mean_ess_borrowed")},
         "method": d.get("method", "")}
        for d in summary["designs"]
    ])
    primary["n_total"] = primary.n_control + primary.n_treatment
    rows = []
    kinds = dict(zip(primary.scenario, primary.scenario_kind, strict=False))
    effects = dict(zip(primary.scenario, primary.true_effect, strict=False))
    for s in spec.scenarios:
        drift = s.drift or spec.synthetic_control.drift
        rows.append({"scenario": s.name, "kind": kinds.get(s.name, "null" if s.is_null else "alternative"),
                     "effect_scale": s.effect_scale, "true_effect": effects.get(s.name, np.nan),
                     "drift_outcome_offset": drift.outcome_offset, "drift_age_shift_years": drift.age_shift_years})
    return RunData(
        summary=summary, attrs=attrs, spec=spec, cohort=cohort, oc=oc, primary=primary,
        scenarios=pd.DataFrame(rows), replicates=tree["replicates"].to_dataset(),
        examples=tree["examples"].to_dataset(), baseline=tree["baseline"].to_dataset(),
        drift=tree["drift"].to_dataset() if "drift" in tree.children else None,
        tree=tree, posteriors=tree["posteriors"].to_dataset() if "posteriors" in tree.children else None,
        diagnostics=tree["diagnostics"].to_dataset() if "diagnostics" in tree.children else None,
        crosscheck=tree["simulator_crosscheck"].to_dataset() if "simulator_crosscheck" in tree.children else None,
    )


def walkthrough(data: RunData) -> pd.DataFrame:
    """The example trials (replicates 0, 1, … of one scenario × design) through the decision rule."""
    ex = data.examples
    scenario, design = str(ex.attrs.get("scenario")), str(ex.attrs.get("design"))
    week = data.spec.endpoint.visit_week
    visits = list(np.asarray(ex.visit.values, dtype=float))
    base, end = visits.index(min(visits)), visits.index(week)
    rows = []
    for t in range(ex.sizes["trial"]):
        y = ex.outcome.isel(trial=t).values
        arm = ex.arm.isel(trial=t).values
        change = y[:, end] - y[:, base]
        row: dict[str, Any] = {"trial": t}
        for a, name in ((0, "control"), (1, "treatment")):
            sel = change[arm == a]
            row[f"n_{name}"] = int(sel.size)
            row[f"dropped_{name}"] = int(np.isnan(sel).sum())
            row[f"mean_change_{name}"] = float(np.nanmean(sel)) if np.isfinite(sel).any() else np.nan
        if "synthetic_outcome" in ex:
            syn = ex.synthetic_outcome.isel(trial=t).values
            row["mean_change_synthetic"] = float(np.nanmean(syn[:, end] - syn[:, base]))
        else:
            row["mean_change_synthetic"] = np.nan
        for which in ("primary", "reference"):
            r = data.replicates.sel(analysis=which, scenario=scenario, design=design, replicate=t)
            row[f"{which}_effect_mean"] = float(r.effect_mean)
            row[f"{which}_ci_low"] = float(r.ci_low)
            row[f"{which}_ci_high"] = float(r.ci_high)
            row[f"{which}_prob_success"] = float(r.prob_success)
            row[f"{which}_success"] = bool(r.success)
            row[f"{which}_ess"] = float(r.ess_borrowed)
        rows.append(row)
    return pd.DataFrame(rows)


def null_rows(data: RunData) -> pd.DataFrame:
    """Type I error of every null scenario (with and without drift), both analyses."""
    oc = data.oc[data.oc.scenario_kind.str.endswith("null")]
    drift = data.scenarios.set_index("scenario")
    out = oc.assign(
        drift_outcome_offset=oc.scenario.map(drift.drift_outcome_offset),
        drift_age_shift_years=oc.scenario.map(drift.drift_age_shift_years),
    )
    return out[["analysis", "scenario", "design", "n_synthetic", "drift_outcome_offset", "drift_age_shift_years",
                "power", "power_mc_se"]].rename(columns={"power": "type1_error", "power_mc_se": "type1_mc_se"})


def tipping_points(data: RunData) -> pd.DataFrame:
    """Per design (primary analysis): the smallest |drift| at which type I error exceeds the bound.

    Drift is the synthetic controls' outcome offset in endpoint units; ``None`` means
    the bound held at every drift in the grid (the tipping point lies beyond it).
    """
    bound = data.spec.type1_budget
    nulls = null_rows(data)
    nulls = nulls[nulls.analysis == "primary"]
    rows = []
    for (which, design), g in nulls.groupby(["analysis", "design"], sort=False):
        g = g.assign(size=g.drift_outcome_offset.abs()).sort_values(["size", "drift_age_shift_years"])
        over = g[g.type1_error > bound]
        rows.append({
            "analysis": which, "design": design, "n_synthetic": int(g.n_synthetic.iloc[0]),
            "drifts_tested": ", ".join(f"{v:+g}" if v else "0" for v in g.drift_outcome_offset),
            "max_type1_error": float(g.type1_error.max()),
            "tipping_drift": float(over.drift_outcome_offset.iloc[0]) if len(over) else None,
        })
    return pd.DataFrame(rows)


def primary_vs_reference(data: RunData) -> pd.DataFrame:
    """OCs of the primary (Bayesian) analysis beside the frequentist reference on the same replicates."""
    ref = data.oc[data.oc.analysis == "reference"].set_index(["scenario", "design"])
    rows = []
    for r in data.primary.itertuples():
        f = ref.loc[(r.scenario, r.design)]
        rows.append({
            "scenario": r.scenario, "design": r.design, "kind": r.scenario_kind,
            "primary_success": r.power, "reference_success": float(f.power),
            "difference": r.power - float(f.power),
            "primary_coverage": r.coverage, "reference_coverage": float(f.coverage),
            "primary_rmse": r.rmse, "reference_rmse": float(f.rmse),
        })
    return pd.DataFrame(rows)
