"""Choose the smallest design whose operating characteristics clear the targets beyond Monte Carlo noise.

Input: one row per (design, scenario) of simulated operating characteristics, with
their Monte Carlo standard errors. One type I error budget holds for every design
and for the conventional comparator: ``max_type1_error``, default the decision rule's
one-sided α. A design *qualifies* when

- its power's lower confidence bound ``power − z·SE`` reaches ``target_power`` in
  every alternative scenario (``"alternative"``, ``"drift_alternative"``), and
- in every null scenario (``"null"``, ``"drift_null"``, and every point of the drift
  sweep) its type I error's upper bound ``type1 + z·SE`` stays within the budget —
  for designs that borrow. A design without synthetic controls has type I error α by
  construction (exact *t* test / conjugate posterior with vague priors, checked in
  ``tests/analysis/test_known_answers.py``); for it the simulation only checks that the
  estimate is not significantly above the budget (``type1 − z·SE ≤ budget``).

``z`` is ``confidence_z`` (default 1.645, one-sided 95 %). A design whose bounds
straddle a target is *unclear*: more replicates would decide it, and the result says
how many. The recommended design is the qualifying one with the fewest concurrent
patients (control + treatment); ties go to fewer synthetic controls, then to higher
power.

The comparator is the conventional two-arm 1:1 trial without borrowing or prognostic
adjustment, sized by the closed-form *t*-test sample size
(:func:`~trialsim.analysis.closed_form.closed_form_n_per_arm`) at the same budget
(two-sided α = 2 × budget), the target power, the smallest true effect among the
alternative scenarios and the pooled SD of change estimated from the simulated data
(column ``pooled_sd``) — not rounded to the grid. When the recommended design does not
need fewer patients than that, the result says so: nothing is saved, and the
conventional trial is the recommendation.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from trialsim.analysis.closed_form import closed_form_n_per_arm
from trialsim.spec.analysis import DesignSearchSpec

__all__ = ["search_designs"]

ALTERNATIVE_KINDS = ("alternative", "drift_alternative")
NULL_KINDS = ("null", "drift_null")
REQUIRED = ("scenario", "scenario_kind", "n_per_arm_control", "n_per_arm_treatment", "n_synthetic",
            "power", "type1_error")
DESIGN_KEYS = ("method", "prognostic_adjustment", "borrowing", "n_per_arm_control",
               "n_per_arm_treatment", "n_synthetic")


def _summarise(oc_table: pd.DataFrame, keys: list[str], z: float) -> pd.DataFrame:
    t = oc_table.copy()
    t["power_mc_se"] = t["power_mc_se"].fillna(0.0) if "power_mc_se" in t else 0.0
    se1 = t["type1_error_mc_se"] if "type1_error_mc_se" in t else t["power_mc_se"]
    t["type1_error_mc_se"] = se1.fillna(0.0)
    t["power_lcb"] = t["power"] - z * t["power_mc_se"]
    t["power_ucb"] = t["power"] + z * t["power_mc_se"]
    t["type1_ucb"] = t["type1_error"] + z * t["type1_error_mc_se"]
    t["type1_lcb"] = t["type1_error"] - z * t["type1_error_mc_se"]
    alt = t[t["scenario_kind"].isin(ALTERNATIVE_KINDS)]
    null = t[t["scenario_kind"].isin(NULL_KINDS)]
    agg_alt = alt.sort_values("power").groupby(keys, dropna=False).agg(
        min_power=("power", "first"), min_power_mc_se=("power_mc_se", "first"),
        power_lcb=("power_lcb", "min"), power_ucb=("power_ucb", "min"), n_alternative=("power", "size"))
    agg_null = null.sort_values("type1_error", ascending=False).groupby(keys, dropna=False).agg(
        max_type1_error=("type1_error", "first"), max_type1_error_mc_se=("type1_error_mc_se", "first"),
        type1_ucb=("type1_ucb", "max"), type1_lcb=("type1_lcb", "max"), n_null=("type1_error", "size"))
    table = agg_alt.join(agg_null, how="inner").reset_index()
    table["total_n"] = (table["n_per_arm_control"] + table["n_per_arm_treatment"]).astype(int)
    return table


def _borrows(table: pd.DataFrame) -> pd.Series:
    borrows = table["n_synthetic"] > 0
    if "borrowing" in table:
        borrows &= ~(table["borrowing"].isin(["none"]) | table["borrowing"].isna())
    return borrows


def _is_conventional(table: pd.DataFrame) -> pd.Series:
    conv = (table["n_synthetic"] == 0) & (table["n_per_arm_control"] == table["n_per_arm_treatment"])
    if "prognostic_adjustment" in table:
        conv &= ~table["prognostic_adjustment"].astype(bool)
    if "borrowing" in table:
        conv &= table["borrowing"].isin(["none"]) | table["borrowing"].isna()
    return conv


def classify(table: pd.DataFrame, *, target_power: float, budget: float) -> pd.Series:
    """``qualifies`` / ``unclear`` / ``fails`` per design row of :func:`_summarise`'s table."""
    borrows = _borrows(table)
    type1_ok = np.where(borrows, table["type1_ucb"] <= budget, table["type1_lcb"] <= budget)
    type1_maybe = table["type1_lcb"] <= budget
    power_ok = table["power_lcb"] >= target_power
    power_maybe = table["power_ucb"] >= target_power
    status = np.where(power_ok & type1_ok, "qualifies", np.where(power_maybe & type1_maybe, "unclear", "fails"))
    return pd.Series(status, index=table.index)


def replicates_to_decide(p: float, target: float, z: float) -> int | None:
    """Replicates at which ``p`` would sit ``z`` MC SEs from ``target`` (None if p == target)."""
    gap = abs(p - target)
    if gap < 1e-9 or not 0 < p < 1:
        return None
    return int(np.ceil(z**2 * p * (1 - p) / gap**2))


def search_designs(
    oc_table: pd.DataFrame, *, design: DesignSearchSpec, conventional_sd: float | None = None,
    alpha_one_sided: float | None = None,
) -> dict[str, Any]:
    """Recommend the smallest design that clears the targets beyond MC noise and count the patients saved.

    Parameters
    ----------
    oc_table
        One row per design × scenario with columns ``scenario``, ``scenario_kind``
        (``null`` | ``alternative`` | ``drift_null`` | ``drift_alternative``),
        ``n_per_arm_control``, ``n_per_arm_treatment``, ``n_synthetic``, ``power``,
        ``type1_error``; optionally ``power_mc_se`` and ``type1_error_mc_se`` (missing:
        0, i.e. estimates taken as exact), ``method``, ``prognostic_adjustment``,
        ``borrowing`` (these identify designs too), ``true_effect`` and ``pooled_sd``
        (for the closed-form comparator).
    design
        Targets: ``target_power``, ``max_type1_error`` (the budget; default
        ``alpha_one_sided``) and ``confidence_z``.
    conventional_sd
        Outcome SD for the closed-form comparator; default: the mean ``pooled_sd`` of
        the alternative scenarios.
    alpha_one_sided
        The decision rule's one-sided α: the budget when ``max_type1_error`` is unset.

    Returns
    -------
    dict
        ``recommended`` (the smallest qualifying design's keys, ``min_power``,
        ``max_type1_error``, their MC SEs and bounds, ``total_n``; ``None`` if none
        qualifies), ``conventional`` (``n_per_arm``, ``total_n``, ``source``,
        ``delta``, ``sd``, ``alpha_one_sided``, and the grid's smallest qualifying
        conventional design as ``grid_total_n``), ``patients_saved`` (≥ 0),
        ``saves_patients``, ``recommendation`` (``"simulated"`` or ``"conventional"``),
        ``budget``, ``n_qualifying``, ``unclear`` (designs smaller than both the
        recommendation and the comparator whose status MC noise leaves open — the
        ones that could change the answer — with the replicates that would decide them), ``designs`` (the per-design table with ``status``) and
        ``statement`` (one sentence).

    Examples
    --------
    >>> rows = [dict(scenario=s, scenario_kind=k, n_per_arm_control=n, n_per_arm_treatment=n,
    ...              n_synthetic=0, power=p, type1_error=p, true_effect=0.1, pooled_sd=0.2)
    ...         for n, pa, pn in [(40, 0.6, 0.02), (70, 0.85, 0.02)]
    ...         for s, k, p in [("alt", "alternative", pa), ("null", "null", pn)]]
    >>> out = search_designs(pd.DataFrame(rows), design=DesignSearchSpec(target_power=0.8), alpha_one_sided=0.025)
    >>> out["recommended"]["total_n"], out["conventional"]["total_n"], out["patients_saved"], out["recommendation"]
    (140, 128, 0, 'conventional')
    """
    missing = [c for c in REQUIRED if c not in oc_table.columns]
    if missing:
        raise ValueError(f"oc_table lacks columns {missing} (required: {list(REQUIRED)})")
    kinds = set(oc_table["scenario_kind"].unique())
    unknown = kinds - set(ALTERNATIVE_KINDS) - set(NULL_KINDS)
    if unknown:
        raise ValueError(f"unknown scenario_kind {sorted(unknown)} (allowed: {ALTERNATIVE_KINDS + NULL_KINDS})")
    budget = float(design.max_type1_error if design.max_type1_error is not None else (alpha_one_sided or 0.025))
    z = design.confidence_z
    keys = [k for k in DESIGN_KEYS if k in oc_table.columns]
    table = _summarise(oc_table, keys, z)
    table["status"] = classify(table, target_power=design.target_power, budget=budget) if len(table) else []
    qualifying = table[table["status"] == "qualifies"]
    recommended = None
    if len(qualifying):
        best = qualifying.sort_values(["total_n", "n_synthetic", "min_power"], ascending=[True, True, False]).iloc[[0]]
        recommended = best.to_dict("records")[0]
    conventional = _conventional(oc_table, table[_is_conventional(table)] if len(table) else table,
                                 design=design, conventional_sd=conventional_sd, budget=budget)
    # only undecided designs that could change the recommendation: smaller than it and than the comparator
    limit = min(recommended["total_n"] if recommended is not None else np.inf,
                conventional["total_n"] if conventional["total_n"] is not None else np.inf)
    unclear = []
    for row in table[(table["status"] == "unclear") & (table["total_n"] < limit)].itertuples():
        need = replicates_to_decide(float(row.min_power), design.target_power, z)
        unclear.append({**{k: getattr(row, k) for k in keys}, "total_n": int(row.total_n),
                        "min_power": float(row.min_power), "max_type1_error": float(row.max_type1_error),
                        "replicates_to_decide_power": need})
    saved, saves = 0, False
    if recommended is not None and conventional["total_n"] is not None:
        saved = int(conventional["total_n"] - recommended["total_n"])
        saves = saved > 0
    choice = "simulated" if saves or (recommended is not None and conventional["total_n"] is None) else "conventional"
    statement = _statement(recommended, conventional, saved=saved, saves=saves, budget=budget, design=design)
    return {"recommended": recommended, "conventional": conventional, "patients_saved": max(saved, 0),
            "excess_patients": max(-saved, 0), "saves_patients": saves, "recommendation": choice,
            "budget": budget, "n_qualifying": len(qualifying), "n_feasible": len(qualifying), "unclear": unclear,
            "designs": table, "statement": statement}


def _statement(rec: dict[str, Any] | None, conv: dict[str, Any], *, saved: int, saves: bool, budget: float,
               design: DesignSearchSpec) -> str:
    conv_text = (f"the conventional 1:1 trial needs {conv['total_n']} patients ({conv['source'].replace('_', ' ')}, one-sided α "
                 f"{budget:g}, power {design.target_power:g})") if conv["total_n"] is not None else \
        "the conventional trial's size is unavailable"
    if rec is None:
        return f"no candidate design clears the targets beyond Monte Carlo noise; {conv_text}"
    what = (f"{rec['n_per_arm_control']} control + {rec['n_per_arm_treatment']} treatment concurrent patients"
            f" with {rec['n_synthetic']} synthetic controls (power {rec['min_power']:.3f}, lower bound "
            f"{rec['power_lcb']:.3f}; max type I error {rec['max_type1_error']:.3f}, upper bound {rec['type1_ucb']:.3f})")
    if saves:
        return f"recommended: {what}; {conv_text}, so {saved} patients are saved"
    return (f"no candidate design saves patients: the smallest that clears the targets is {what}, "
            f"{-saved} more than the conventional trial; {conv_text}: recommended: the conventional trial")


def _conventional(
    oc_table: pd.DataFrame, conv: pd.DataFrame, *, design: DesignSearchSpec, conventional_sd: float | None,
    budget: float,
) -> dict[str, Any]:
    ok = conv[conv["status"] == "qualifies"] if "status" in conv else conv.iloc[0:0]
    grid_total = int(2 * ok["n_per_arm_control"].min()) if len(ok) else None
    alt = oc_table[oc_table["scenario_kind"].isin(ALTERNATIVE_KINDS)]
    sd = conventional_sd
    if sd is None and "pooled_sd" in alt:
        sd = float(alt["pooled_sd"].mean())
    delta = float(alt["true_effect"].min()) if "true_effect" in alt and len(alt) else float("nan")
    out = {"delta": delta, "sd": sd, "alpha_one_sided": budget, "grid_total_n": grid_total}
    if sd is None or not np.isfinite(sd) or not np.isfinite(delta) or delta <= 0:
        if grid_total is not None:
            return {"n_per_arm": grid_total // 2, "total_n": grid_total, "source": "grid", **out}
        return {"n_per_arm": None, "total_n": None, "source": "unavailable", **out}
    n = closed_form_n_per_arm(delta, sd=sd, power=design.target_power, alpha_two_sided=2 * budget)
    return {"n_per_arm": n, "total_n": 2 * n, "source": "closed_form", **out}
