"""Calibrate each borrowing design's success threshold so its type I error holds over the drift range.

FDA draft guidance on Bayesian methods (Jan 2026) allows the posterior-probability
threshold to be chosen by simulation so that the design's maximum type I error over
the plausible range of prior–data conflict stays within α. Here the threshold ``c``
of each borrowing design is the smallest value on ``(0.5, 1)`` at which the type I
error at every swept drift is at most ``budget − z·√(budget(1 − budget)/R)`` — so
that the search's own upper confidence bound can clear the budget. It is computed
on the same replicates that then evaluate the design: an in-sample choice, which the
slow 4,000-replicate test checks out of sample.

The calibrated variant of each design is a separate candidate (analysis
``calibrated``, method ``…+calibrated``), competing with the uncalibrated ones.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from trialsim.results.run import FIELDS, StudyRun

__all__ = ["CALIBRATED", "calibrated_run", "calibration_thresholds"]

CALIBRATED = "calibrated"


def calibration_thresholds(run: StudyRun) -> dict[str, float]:
    """Design label → calibrated posterior-probability threshold (borrowing designs with a drift sweep)."""
    from trialsim.results.drift_curve import sweep_pair

    spec = run.loaded.spec
    null, _ = sweep_pair(run)
    if not spec.design.calibrate_threshold or null is None:
        return {}
    budget, r = spec.type1_budget, run.replicates
    level = budget - spec.design.confidence_z * np.sqrt(budget * (1 - budget) / r)
    out = {}
    for d, design in enumerate(run.designs):
        if design.n_synthetic == 0:
            continue
        prob = run.drift_prob[null][d]  # (R, D)
        lo, hi = 0.5, 1.0
        for _ in range(50):
            mid = 0.5 * (lo + hi)
            if np.max(np.mean(prob >= mid, axis=0)) <= level:
                hi = mid
            else:
                lo = mid
        out[design.label] = float(hi)
    return out


def calibrated_run(run: StudyRun) -> StudyRun:
    """``run`` plus the analysis ``calibrated``: the primary analysis deciding at each design's own threshold.

    Designs without synthetic controls get NaN (they are not candidates of this analysis).
    """
    thresholds = calibration_thresholds(run)
    if not thresholds:
        return run
    per = dict(run.per_replicate)
    methods = dict(run.methods)
    for f in FIELDS:
        per[(CALIBRATED, f)] = np.full_like(run.per_replicate[("primary", f)], np.nan)
    for d, design in enumerate(run.designs):
        c = thresholds.get(design.label)
        if c is None:
            continue
        for f in FIELDS:
            per[(CALIBRATED, f)][:, d] = run.per_replicate[("primary", f)][:, d]
        per[(CALIBRATED, "success")][:, d] = run.per_replicate[("primary", "prob_success")][:, d] >= c
        methods[f"{CALIBRATED}:{design.label}"] = f"{run.methods[f'primary:{design.label}']}+calibrated(P>={c:.4f})"
    return replace(run, per_replicate=per, methods=methods, extra={**run.extra, "calibration_thresholds": thresholds})
