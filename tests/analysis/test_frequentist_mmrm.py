"""Frequentist references and the longitudinal model against statsmodels and known identities."""

from __future__ import annotations

import numpy as np
import pytest

from trialsim.analysis import analyze_batch, operating_characteristics
from trialsim.analysis.mmrm import estimate_covariance, mmrm_layout
from trialsim.seeding import stream
from trialsim.spec.analysis import AnalysisSpec

from .normal_batches import make_normal_batch

VISITS = (0.0, 4.0, 8.0, 12.0)


def _batch(key, *, r=6, n=40, dropout=0.3, effect=0.1, rho=0.0):
    return make_normal_batch(rng=stream(31, key), n_replicates=r, n_control=n, n_treatment=n, effect=effect,
                             visits_weeks=VISITS, dropout=dropout, visit_corr=0.7, rho=rho)


@pytest.mark.parametrize("method", ["frequentist_ancova", "frequentist_mmrm"])
@pytest.mark.parametrize("procova", [False, True])
def test_batched_fit_equals_statsmodels_per_replicate(method, procova, decision):
    batch = _batch(f"sm-{method}-{procova}", rho=0.5)
    spec = AnalysisSpec(method=method, prognostic_adjustment=procova)
    fast = analyze_batch(batch, analysis=spec, decision=decision)
    reference = analyze_batch(batch, analysis=spec.model_copy(update={"engine": "pymc"}), decision=decision)
    for name in ("effect_mean", "effect_sd", "ci_low", "ci_high", "prob_success", "success"):
        # EM stops on the batch-wide change, so MMRM replicates agree to ~1e-9, ANCOVA to rounding
        np.testing.assert_allclose(getattr(fast, name), getattr(reference, name), rtol=1e-7, atol=1e-8)


def test_complete_data_mmrm_effect_equals_primary_visit_ancova(decision):
    """Identical regressors at every visit: GLS equals visit-wise OLS (Zellner's SUR identity)."""
    batch = _batch("sur", dropout=0.0)
    mmrm = analyze_batch(batch, analysis=AnalysisSpec(method="frequentist_mmrm"), decision=decision)
    ancova = analyze_batch(batch, analysis=AnalysisSpec(method="frequentist_ancova"), decision=decision)
    np.testing.assert_allclose(mmrm.effect_mean, ancova.effect_mean, atol=1e-9)
    bayes = analyze_batch(batch, analysis=AnalysisSpec(method="mmrm"), decision=decision)
    np.testing.assert_allclose(bayes.effect_mean, ancova.effect_mean, atol=0.01 * ancova.effect_sd.min())


@pytest.mark.parametrize("structure", ["unstructured", "ar1"])
def test_em_recovers_the_visit_covariance(structure):
    batch = _batch(f"em-{structure}", r=2, n=1500, dropout=0.3)
    sigma = estimate_covariance(mmrm_layout(batch, prognostic=False), structure=structure)
    lag = np.abs(np.arange(3)[:, None] - np.arange(3)[None, :])
    truth = 0.2**2 * 0.7**lag
    np.testing.assert_allclose(sigma, np.broadcast_to(truth, sigma.shape), rtol=0.1)


@pytest.mark.parametrize("method", ["mmrm", "frequentist_mmrm"])
def test_mmrm_under_dropout_is_unbiased_covers_and_beats_completers(method, decision):
    batch = _batch(f"cover-{method}", r=1000, n=50, dropout=0.35)
    res = analyze_batch(batch, analysis=AnalysisSpec(method=method), decision=decision)
    oc = operating_characteristics(res, true_effect=0.1)
    assert abs(oc["bias"]) < 3 * oc["bias_mc_se"]
    assert abs(oc["coverage"] - 0.95) < 3 * oc["coverage_mc_se"]
    completers = analyze_batch(batch, analysis=AnalysisSpec(), decision=decision)
    assert np.mean(res.effect_sd) < np.mean(completers.effect_sd)  # intermediate visits carry information


def test_ar1_and_unstructured_agree_when_the_truth_is_ar1(decision):
    batch = _batch("ar1-vs-un", r=200, n=60)
    un = analyze_batch(batch, analysis=AnalysisSpec(method="mmrm"), decision=decision)
    ar = analyze_batch(batch, analysis=AnalysisSpec(method="mmrm", residual_correlation="ar1"), decision=decision)
    assert np.max(np.abs(un.effect_mean - ar.effect_mean) / un.effect_sd) < 0.35
    assert np.mean(ar.effect_sd) == pytest.approx(np.mean(un.effect_sd), rel=0.05)
