"""How sure is the recommendation? Bootstrap of the replicates behind the design search.

Every design was simulated on the same virtual patients (common random numbers), so a
bootstrap resample draws replicate indices once and applies them to every design,
scenario and drift. Each resample reruns the qualification rule of
:func:`~trialsim.analysis.design_search.search_designs` (MC bounds from the resample's
own estimates) and records which design would be chosen and how many patients it would
save against the same closed-form comparator.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from trialsim.analysis.design_search import ALTERNATIVE_KINDS, NULL_KINDS
from trialsim.results.run import StudyRun
from trialsim.seeding import stream

__all__ = ["bootstrap_choice"]

#: below this bootstrap frequency the chosen design is reported as uncertain
STABLE_FRACTION = 0.8


def _candidates(run: StudyRun, rows: pd.DataFrame, designs: pd.DataFrame) -> list[dict[str, Any]]:
    from trialsim.results.drift_curve import sweep_pair

    index = {(d.n_control, d.n_treatment, d.n_synthetic): i for i, d in enumerate(run.designs)}
    scen = {s.name: i for i, s in enumerate(run.scenarios)}
    analysis_of = rows.groupby("method").analysis.first().to_dict()
    null_name, _ = sweep_pair(run)
    threshold = run.loaded.spec.decision.probability
    thresholds: dict[str, float] = run.extra.get("calibration_thresholds", {})  # type: ignore[assignment]
    out = []
    for row in designs.itertuples():
        d = index[(int(row.n_per_arm_control), int(row.n_per_arm_treatment), int(row.n_synthetic))]
        which = analysis_of[row.method]
        mine = rows[(rows.method == row.method) & (rows.design == run.designs[d].label)
                    & ~rows.scenario.str.startswith("drift_sweep")]
        success = run.per_replicate[(which, "success")][:, d, :]
        alt = [scen[s] for s in mine[mine.scenario_kind.isin(ALTERNATIVE_KINDS)].scenario]
        null = [scen[s] for s in mine[mine.scenario_kind.isin(NULL_KINDS)].scenario]
        null_rows = [success[null]]
        borrows = bool(row.n_synthetic > 0 and row.borrowing not in ("none", None))
        cut = thresholds.get(run.designs[d].label, threshold) if which == "calibrated" else threshold
        if borrows and null_name in run.drift_prob and which in ("primary", "calibrated"):
            null_rows.append((run.drift_prob[null_name][d] >= cut).T.astype(float))
        out.append({"alt": success[alt], "null": np.concatenate(null_rows, axis=0), "borrows": borrows,
                    "total": int(row.total_n), "n_synthetic": int(row.n_synthetic)})
    return out


def bootstrap_choice(run: StudyRun, rows: pd.DataFrame, found: dict[str, Any]) -> dict[str, Any]:
    """Bootstrap frequency of the chosen design and distribution of the patients saved."""
    spec = run.loaded.spec
    b = spec.design.bootstrap_resamples
    designs = found["designs"].reset_index(drop=True)
    rec = found["recommended"]
    conv_total = found["conventional"]["total_n"]
    if b == 0 or rec is None or not len(designs):
        return {"resamples": 0}
    z, target, budget = spec.design.confidence_z, spec.design.target_power, found["budget"]
    cands = _candidates(run, rows, designs)
    r = run.replicates
    counts = stream(spec.seed, "bootstrap", "design_search").multinomial(r, np.full(r, 1.0 / r), size=b).astype(float)
    ok = np.zeros((b, len(cands)), dtype=bool)
    power = np.zeros((b, len(cands)))
    for c, cand in enumerate(cands):
        pa = counts @ np.nan_to_num(cand["alt"]).T / r  # (B, n_alt)
        pn = counts @ np.nan_to_num(cand["null"]).T / r  # (B, n_null)
        sa = np.sqrt(pa * (1 - pa) / r)
        sn = np.sqrt(pn * (1 - pn) / r)
        type1 = (pn + z * sn) if cand["borrows"] else (pn - z * sn)
        ok[:, c] = (np.min(pa - z * sa, axis=1) >= target) & (np.max(type1, axis=1) <= budget)
        power[:, c] = pa.min(axis=1)
    total = np.array([c["total"] for c in cands])
    n_syn = np.array([c["n_synthetic"] for c in cands])
    chosen = np.full(b, -1)
    for i in range(b):
        idx = np.flatnonzero(ok[i])
        if idx.size:
            order = np.lexsort((-power[i, idx], n_syn[idx], total[idx]))
            chosen[i] = idx[order[0]]
    rec_index = int(designs.index[(designs.method == rec["method"]) & (designs.n_per_arm_control == rec["n_per_arm_control"])
                                  & (designs.n_per_arm_treatment == rec["n_per_arm_treatment"])
                                  & (designs.n_synthetic == rec["n_synthetic"])][0])
    found_any = chosen >= 0
    saved = np.where(found_any, conv_total - total[np.maximum(chosen, 0)], np.nan) if conv_total is not None else None
    frac = float(np.mean(chosen == rec_index))
    out: dict[str, Any] = {
        "resamples": b, "chosen_fraction": frac, "choice_uncertain": frac < STABLE_FRACTION,
        "none_qualifies_fraction": float(np.mean(~found_any)),
    }
    if saved is not None and found_any.any():
        s = saved[found_any]
        out.update({"patients_saved_mean": float(np.mean(np.maximum(s, 0))),
                    "patients_saved_sd": float(np.std(np.maximum(s, 0), ddof=1)) if s.size > 1 else 0.0,
                    "patients_saved_p05": float(np.percentile(np.maximum(s, 0), 5)),
                    "patients_saved_p95": float(np.percentile(np.maximum(s, 0), 95)),
                    "saves_patients_fraction": float(np.mean(s > 0))})
    return out
