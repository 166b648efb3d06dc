"""The drift sweep equals analysing re-simulated synthetic controls, drift by drift."""

from __future__ import annotations

import numpy as np
import pytest

from trialsim.analysis import analyze_batch
from trialsim.analysis.drift import drift_grid, drift_sweep, shift_synthetic_controls
from trialsim.seeding import stream
from trialsim.spec.analysis import AnalysisSpec, BorrowingSpec

from .normal_batches import make_normal_batch

ROBUST = BorrowingSpec(method="robust_mixture", robust_weight=0.5)


@pytest.mark.parametrize("analysis", [
    AnalysisSpec(prognostic_adjustment=True, borrowing=ROBUST),
    AnalysisSpec(borrowing=BorrowingSpec(method="commensurate", commensurate_sd=0.03)),
    AnalysisSpec(borrowing=BorrowingSpec(method="robust_mixture", robust_weight=0.2, vague_sd=0.5, tau_sigma_fraction=0.0)),
])
def test_sweep_matches_direct_analysis_of_shifted_synthetic_controls(analysis, decision):
    batch = make_normal_batch(rng=stream(5, "sweep"), n_replicates=300, n_control=20, n_treatment=20, effect=0.0,
                              sd=0.06, rho=0.3, n_external=40, drift=0.0, dropout=0.1)
    offsets = drift_grid(half_width=0.06, n_values=7)
    swept = drift_sweep(batch, analysis=analysis, decision=decision, offsets=offsets)
    for j, d in enumerate(offsets):
        direct = analyze_batch(shift_synthetic_controls(batch, d), analysis=analysis, decision=decision).prob_success
        assert np.max(np.abs(swept[:, j] - direct)) < 1e-8


def test_sweep_is_flat_without_borrowing_and_generic_for_mmrm(decision):
    batch = make_normal_batch(rng=stream(6, "sweep"), n_replicates=60, n_control=15, n_treatment=15, effect=0.05,
                              sd=0.06, n_external=30, visits_weeks=(0.0, 12.0, 24.0))
    offsets = np.array([-0.05, 0.0, 0.05])
    flat = drift_sweep(batch, analysis=AnalysisSpec(), decision=decision, offsets=offsets)
    assert np.all(flat == flat[:, :1])
    mmrm = AnalysisSpec(method="mmrm", borrowing=ROBUST)
    swept = drift_sweep(batch, analysis=mmrm, decision=decision, offsets=offsets)
    direct = analyze_batch(shift_synthetic_controls(batch, -0.05), analysis=mmrm, decision=decision).prob_success
    assert np.array_equal(swept[:, 0], direct)


def test_type1_error_rises_with_unfavourable_drift_and_is_bounded_by_the_robust_prior(decision):
    batch = make_normal_batch(rng=stream(7, "sweep"), n_replicates=2000, n_control=20, n_treatment=20, effect=0.0,
                              sd=0.06, n_external=50, drift=0.0)
    offsets = drift_grid(half_width=0.12, n_values=13)
    success = drift_sweep(batch, analysis=AnalysisSpec(borrowing=ROBUST), decision=decision, offsets=offsets) >= 0.975
    type1 = success.mean(axis=0)
    worst = int(np.argmax(type1))
    assert offsets[worst] < 0  # synthetic controls doing worse make the drug look better
    assert type1[-1] < 0.025  # favourable drift is conservative
    assert type1[0] < type1[worst]  # far conflict: the vague component takes over
