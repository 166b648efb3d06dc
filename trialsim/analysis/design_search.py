"""Choose the smallest design that meets the operating-characteristic targets.

Input: one row per (design, scenario) of simulated operating characteristics.
A design is *feasible* if its power is at least ``target_power`` in every
alternative scenario (``"alternative"``, ``"drift_alternative"``) and its type I
error is at most ``max_type1_error`` in every null scenario (``"null"``,
``"drift_null"``) — so across the whole stated drift range. The recommended design
is the feasible one with the fewest concurrent patients (control + treatment); ties
go to fewer synthetic controls, then to higher power.

The reference is the conventional two-arm design (1:1, no borrowing, no prognostic
adjustment) of the same power: the smallest such design in the grid that meets the
same targets, or, if the grid holds none, the closed-form *t*-test sample size
(:func:`~trialsim.analysis.closed_form.closed_form_n_per_arm`) at the smallest true
effect among the alternative scenarios and the pooled SD estimated from the
simulated data (column ``pooled_sd``), with two-sided α = 2 × the one-sided α of
the decision rule (default ``max_type1_error``).
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


def _summarise(oc_table: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    alt = oc_table[oc_table["scenario_kind"].isin(ALTERNATIVE_KINDS)]
    null = oc_table[oc_table["scenario_kind"].isin(NULL_KINDS)]
    agg_alt = alt.groupby(keys, dropna=False).agg(min_power=("power", "min"), n_alternative=("power", "size"))
    agg_null = null.groupby(keys, dropna=False).agg(
        max_type1_error=("type1_error", "max"), n_null=("type1_error", "size"))
    table = agg_alt.join(agg_null, how="inner").reset_index()
    table["total_n"] = (table["n_per_arm_control"] + table["n_per_arm_treatment"]).astype(int)
    return table


def _is_conventional(table: pd.DataFrame) -> pd.Series:
    conv = (table["n_synthetic"] == 0) & (table["n_per_arm_control"] == table["n_per_arm_treatment"])
    if "prognostic_adjustment" in table:
        conv &= ~table["prognostic_adjustment"].astype(bool)
    if "borrowing" in table:
        conv &= table["borrowing"].isin(["none"]) | table["borrowing"].isna()
    return conv


def search_designs(
    oc_table: pd.DataFrame, *, design: DesignSearchSpec, conventional_sd: float | None = None,
    alpha_one_sided: float | None = None,
) -> dict[str, Any]:
    """Recommend the smallest design meeting the targets and count the patients saved.

    Parameters
    ----------
    oc_table
        One row per design × scenario with columns ``scenario``, ``scenario_kind``
        (``null`` | ``alternative`` | ``drift_null`` | ``drift_alternative``),
        ``n_per_arm_control``, ``n_per_arm_treatment``, ``n_synthetic``, ``power``,
        ``type1_error``; optionally ``method``, ``prognostic_adjustment``,
        ``borrowing`` (these identify designs too), ``true_effect`` and
        ``pooled_sd`` (for the closed-form conventional design).
    design
        Targets: ``target_power`` and ``max_type1_error``.
    conventional_sd
        Outcome SD for the closed-form conventional design; default: the mean
        ``pooled_sd`` of the alternative scenarios.
    alpha_one_sided
        One-sided α of the closed-form conventional test (the decision rule's α,
        e.g. ``DecisionSpec.alpha``); default ``design.max_type1_error``.

    Returns
    -------
    dict
        ``recommended`` (a dict of the design's keys, ``min_power``,
        ``max_type1_error``, ``total_n``; ``None`` if nothing is feasible),
        ``conventional`` (``n_per_arm``, ``total_n``, ``source``: ``"grid"`` or
        ``"closed_form"``, and the ``delta``/``sd`` used), ``patients_saved``
        (conventional total − recommended concurrent total), ``n_feasible``,
        ``designs`` (the per-design summary table) and ``statement`` (one sentence).

    Examples
    --------
    >>> rows = [dict(scenario=s, scenario_kind=k, n_per_arm_control=n, n_per_arm_treatment=n,
    ...              n_synthetic=0, power=p, type1_error=p, true_effect=0.1, pooled_sd=0.2)
    ...         for n, pa, pn in [(40, 0.6, 0.02), (70, 0.85, 0.02)]
    ...         for s, k, p in [("alt", "alternative", pa), ("null", "null", pn)]]
    >>> out = search_designs(pd.DataFrame(rows), design=DesignSearchSpec(target_power=0.8))
    >>> out["recommended"]["total_n"], out["conventional"]["source"], out["patients_saved"]
    (140, 'grid', 0)
    """
    missing = [c for c in REQUIRED if c not in oc_table.columns]
    if missing:
        raise ValueError(f"oc_table lacks columns {missing} (required: {list(REQUIRED)})")
    kinds = set(oc_table["scenario_kind"].unique())
    unknown = kinds - set(ALTERNATIVE_KINDS) - set(NULL_KINDS)
    if unknown:
        raise ValueError(f"unknown scenario_kind {sorted(unknown)} (allowed: {ALTERNATIVE_KINDS + NULL_KINDS})")
    keys = [k for k in DESIGN_KEYS if k in oc_table.columns]
    table = _summarise(oc_table, keys)
    feasible = table[(table["min_power"] >= design.target_power)
                     & (table["max_type1_error"] <= design.max_type1_error)]
    recommended = None
    if len(feasible):
        best = feasible.sort_values(["total_n", "n_synthetic", "min_power"],
                                    ascending=[True, True, False]).iloc[[0]]
        recommended = best.to_dict("records")[0]
    conventional = _conventional(oc_table, table[_is_conventional(table)] if len(table) else table,
                                 design=design, conventional_sd=conventional_sd,
                                 alpha_one_sided=alpha_one_sided or design.max_type1_error)
    saved = None
    if recommended is not None and conventional["total_n"] is not None:
        saved = int(conventional["total_n"] - recommended["total_n"])
    statement = "no candidate design meets the targets"
    if recommended is not None:
        statement = (
            f"recommended: {recommended['n_per_arm_control']} control + "
            f"{recommended['n_per_arm_treatment']} treatment concurrent patients"
            f" with {recommended['n_synthetic']} synthetic controls"
            f" (power ≥ {recommended['min_power']:.3f}, type I error ≤ {recommended['max_type1_error']:.3f});"
            f" a conventional 1:1 two-arm design of the same power needs {conventional['total_n']}"
            f" ({conventional['source']}), so {saved} patients are saved"
        )
    return {"recommended": recommended, "conventional": conventional, "patients_saved": saved,
            "n_feasible": len(feasible), "designs": table, "statement": statement}


def _conventional(
    oc_table: pd.DataFrame, conv: pd.DataFrame, *, design: DesignSearchSpec, conventional_sd: float | None,
    alpha_one_sided: float,
) -> dict[str, Any]:
    ok = conv[(conv["min_power"] >= design.target_power) & (conv["max_type1_error"] <= design.max_type1_error)]
    if len(ok):
        n = int(ok["n_per_arm_control"].min())
        return {"n_per_arm": n, "total_n": 2 * n, "source": "grid", "delta": None, "sd": None}
    alt = oc_table[oc_table["scenario_kind"].isin(ALTERNATIVE_KINDS)]
    sd = conventional_sd
    if sd is None and "pooled_sd" in alt:
        sd = float(alt["pooled_sd"].mean())
    delta = float(alt["true_effect"].min()) if "true_effect" in alt and len(alt) else float("nan")
    if sd is None or not np.isfinite(sd) or not np.isfinite(delta) or delta <= 0:
        return {"n_per_arm": None, "total_n": None, "source": "unavailable", "delta": delta, "sd": sd}
    n = closed_form_n_per_arm(delta, sd=sd, power=design.target_power,
                              alpha_two_sided=2 * alpha_one_sided)
    return {"n_per_arm": n, "total_n": 2 * n, "source": "closed_form", "delta": delta, "sd": sd}
