"""The fast engine against full NUTS on the same replicates (tolerances stated below).

Tolerances (per replicate): posterior mean within ``MEAN_TOL`` posterior SDs, posterior
SD within ``SD_TOL`` relative, P(effect > 0) and P(effect > CID) within ``PROB_TOL``,
and the same decision unless the fast probability lies within ``PROB_TOL`` of the
success threshold. NUTS (2 chains × 1000 draws) has MC error ≈ 0.03–0.05 SD on a mean
(a long 4 × 5000 NUTS run reproduced the fast mean to 0.01 SD where a short run was off by 0.13),
≈ 2 % on an SD, ≈ 0.01 on a probability near 0.5; the ANCOVA tolerances are a few
times that because the fast ANCOVA posterior is exact. The MMRM fast posterior plugs
in the REML-inflated Σ̂ (Laplace), so its tolerances are looser.
"""

from __future__ import annotations

import numpy as np
import pytest

from trialsim.analysis import analyze_batch
from trialsim.analysis.pymc_engine import NutsSettings, analyze_batch_pymc
from trialsim.seeding import stream
from trialsim.spec.analysis import AnalysisSpec, BorrowingSpec

from .normal_batches import make_normal_batch

ANCOVA_TOL = {"mean": 0.15, "sd": 0.08, "prob": 0.03}
#: longer NUTS runs for the slow tests: 2 × 1000 draws left one replicate 0.13 SD off
LONG = NutsSettings(draws=2000, chains=4)
MMRM_TOL = {"mean": 0.15, "sd": 0.12, "prob": 0.05}


def _assert_agree(batch, spec, decision, tol, settings=None):
    fast = analyze_batch(batch, analysis=spec, decision=decision)
    m = 0 if batch.external_outcome is None or spec.borrowing.method == "none" else batch.external_outcome.shape[1]
    nuts = analyze_batch_pymc(batch, analysis=spec.model_copy(update={"engine": "pymc"}), decision=decision,
                              n_external=m, seed=5, label="nuts", settings=settings)
    assert np.all(np.abs(nuts.effect_mean - fast.effect_mean) <= tol["mean"] * fast.effect_sd)
    assert np.all(np.abs(nuts.effect_sd / fast.effect_sd - 1) <= tol["sd"])
    assert np.all(np.abs(nuts.prob_success - fast.prob_success) <= tol["prob"])
    assert np.all(np.abs(nuts.prob_cid - fast.prob_cid) <= tol["prob"])
    clear = np.abs(fast.prob_success - decision.probability) > tol["prob"]
    assert np.array_equal(nuts.success[clear], fast.success[clear])
    return fast, nuts


def test_fast_ancova_with_procova_and_robust_borrowing_agrees_with_nuts(decision):
    batch = make_normal_batch(rng=stream(41, "agree"), n_replicates=2, n_control=25, n_treatment=35,
                              effect=0.1, rho=0.6, n_external=60, drift=-0.05)
    spec = AnalysisSpec(prognostic_adjustment=True,
                        borrowing=BorrowingSpec(method="robust_mixture", robust_weight=0.3, vague_sd=0.3))
    # the robust mixture's NUTS reference needs the long run: with 2 × 1000 draws (pymc 5.28.5,
    # pytensor 2.38.3, nutpie 0.16.8; 2026-12-04) P(effect > CID) was 0.038 and 0.040 off the exact
    # value for seeds 5 and 7 (0.013 for seed 6), the mean 0.09 SD off; with 4 × 2000 draws every
    # seed is within 0.02 and 0.025 SD. The tolerance is unchanged; the reference is sharper.
    fast, nuts = _assert_agree(batch, spec, decision, ANCOVA_TOL, settings=LONG)
    # NUTS reports ESS from the posterior variance of the control mean (σ̄² (1/Var − 1/Var_none));
    # the same figure from the exact posterior must agree. (The engine's ESS proper is computed per
    # component at the same σ and capped at the synthetic controls: tests/analysis/test_prior_ess.py.)
    from trialsim.analysis.engine import ancova_posterior
    from trialsim.analysis.layout import ancova_layout
    from trialsim.analysis.pymc_engine import _none_reference

    none = spec.model_copy(update={"borrowing": BorrowingSpec()})
    for r in range(batch.n_replicates):
        one = batch.replicate(r)
        lay = ancova_layout(one, prognostic=True, n_external=60)
        exact = ancova_posterior(lay, analysis=spec, drift=[lay.index("drift")])
        ref_var, ref_sigma2 = _none_reference(one, analysis=none)
        variance_ess = max(ref_sigma2 * (1 / exact.control_var[0] - 1 / ref_var), 0.0)
        assert abs(nuts.ess_borrowed[r] - variance_ess) <= 0.15 * variance_ess + 3
        assert 0 <= fast.ess_borrowed[r] <= 60


@pytest.mark.slow
@pytest.mark.parametrize("borrowing", ["none", "full", "commensurate", "robust_mixture"])
def test_fast_ancova_agrees_with_nuts_for_every_borrowing_method(borrowing, decision):
    """Robust mixture with a moderate vague SD: with ``vague_sd`` = 1 the posterior can be
    bimodal and NUTS chains stick in one mode (observed: 0.25 SD off), while the fast
    engine's mixture weights are exact."""
    batch = make_normal_batch(rng=stream(42, borrowing), n_replicates=4, n_control=20, n_treatment=30,
                              effect=0.1, n_external=50, drift=-0.08, dropout=0.1, visits_weeks=(0.0, 6.0, 12.0))
    spec = BorrowingSpec(method=borrowing, robust_weight=0.3, vague_sd=0.3)
    _assert_agree(batch, AnalysisSpec(borrowing=spec), decision, ANCOVA_TOL, settings=LONG)


@pytest.mark.slow
@pytest.mark.parametrize("structure", ["unstructured", "ar1"])
def test_fast_mmrm_agrees_with_nuts(structure, decision):
    batch = make_normal_batch(rng=stream(43, structure), n_replicates=2, n_control=40, n_treatment=40,
                              effect=0.1, visits_weeks=(0.0, 4.0, 8.0, 12.0), dropout=0.3, visit_corr=0.7)
    _assert_agree(batch, AnalysisSpec(method="mmrm", residual_correlation=structure), decision, MMRM_TOL)
