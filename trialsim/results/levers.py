"""Whether each saving lever does anything: PROCOVA's gain and the variance it acts on.

PROCOVA (a prognostic score as ANCOVA covariate) shrinks the residual variance by
``1 − ρ²`` (ρ = correlation of score and outcome; Schuler et al. 2021; REFERENCE §4).
ρ is measured on a pilot of control patients; the power with and without it is given
in closed form at the conventional trial's size, and as simulated (primary analysis vs
the unadjusted frequentist reference, same replicates, designs without synthetic
controls).

The SD of change at the primary visit is compared with published test–retest figures
for comfortable gait speed: the SD of a test–retest difference is ``√2 · SEM``
(``MDC95 = 1.96 · √2 · SEM``). Over months the SD of change can only be larger
(progression and response vary between patients), so the published test–retest range
bounds it from below; no published SD of 24-week change in a PD placebo arm was found.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from trialsim.results.run import StudyRun

__all__ = ["PUBLISHED_SD_CHANGE", "procova_gain", "variance_check"]

#: published SD of a test–retest difference in comfortable gait speed (m/s) and sources
PUBLISHED_SD_CHANGE: dict[str, dict[str, Any]] = {
    "gait_speed_m_s": {
        "low": 0.046, "high": 0.107,
        "sources": [
            "Combs SA et al. 2014, Gait Posture 39:784 (88 PD, comfortable 10 m walk, MDC95 0.09 m/s → "
            "SD of a test–retest difference 0.09/1.96 = 0.046 m/s)",
            "10 m walk test standardisations in mild PD, J Neurol 2018, doi:10.1007/s00415-018-8921-9 "
            "(151 PD, SEM 0.032–0.076 m/s → SD of a difference √2·SEM = 0.045–0.107 m/s)",
        ],
        "note": "test–retest over days: a lower bound for the SD of change over months",
    },
}

#: |ρ| below this: the report says PROCOVA does little
SMALL_RHO = 0.3


def procova_gain(run: StudyRun, table: pd.DataFrame, *, n_per_arm: int | None, sd: float | None = None) -> dict[str, Any]:
    """ρ, variance reduction and power with vs without prognostic adjustment.

    The closed form uses ``sd`` (default: the pilot's SD of change) at ``n_per_arm``.
    """
    from trialsim.analysis.closed_form import closed_form_power

    spec = run.loaded.spec
    rho = float(run.variance.get("rho_prognostic", float("nan")))
    out: dict[str, Any] = {"used": spec.analysis.prognostic_adjustment, "prognostic_model": spec.analysis.prognostic_model,
                           "rho": rho, "variance_reduction": float(rho**2) if np.isfinite(rho) else None}
    sd = sd or run.variance.get("sd_change")
    alts = [run.true_effects[s.name] for s in run.scenarios if not s.is_null and not s.drift]
    if n_per_arm and sd and alts and min(alts) > 0:
        alpha2 = 2 * spec.type1_budget
        out["closed_form_n_per_arm"] = int(n_per_arm)
        out["closed_form_power_without"] = closed_form_power(min(alts), sd=sd, n_per_arm=n_per_arm, alpha_two_sided=alpha2)
        out["closed_form_power_with"] = closed_form_power(min(alts), sd=sd, n_per_arm=n_per_arm, alpha_two_sided=alpha2,
                                                          rho=rho if np.isfinite(rho) else 0.0, n_covariates=1)
    alt = table[(table.scenario_kind == "alternative") & (table.n_synthetic == 0)]
    if spec.analysis.prognostic_adjustment and len(alt):
        pivot = alt.pivot_table(index="design", columns="analysis", values="power", aggfunc="min")
        if {"primary", "reference"} <= set(pivot.columns):
            diff = (pivot["primary"] - pivot["reference"]).to_numpy()
            out["simulated_power_gain_mean"] = float(np.mean(diff))
            out["simulated_power_gain_max"] = float(np.max(diff))
    small = not np.isfinite(rho) or abs(rho) < SMALL_RHO
    out["does_little"] = bool(small)
    if not spec.analysis.prognostic_adjustment:
        out["statement"] = "PROCOVA is not used in this study."
    elif small:
        out["statement"] = (f"PROCOVA does little here: the prognostic score correlates with the outcome at ρ = {rho:.2f}, "
                            f"removing {100 * rho**2:.1f} % of the variance; it is not a lever for this study.")
    else:
        out["statement"] = (f"PROCOVA: ρ = {rho:.2f} removes {100 * rho**2:.0f} % of the outcome variance.")
    return out


def variance_check(run: StudyRun) -> dict[str, Any]:
    """The simulated SD of change at the primary visit against the published range."""
    spec = run.loaded.spec
    out: dict[str, Any] = {k: float(v) for k, v in run.variance.items()}
    ref = PUBLISHED_SD_CHANGE.get(spec.endpoint.measure)
    if ref and "sd_change" in run.variance:
        sd = run.variance["sd_change"]
        out.update({"published_low": ref["low"], "published_high": ref["high"], "published_sources": ref["sources"],
                    "published_note": ref["note"], "within_published_range": bool(ref["low"] <= sd <= ref["high"])})
    return out
