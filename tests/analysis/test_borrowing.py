"""Borrowing from synthetic controls: ESS, power gain without drift, type I bound under drift."""

from __future__ import annotations

import numpy as np
import pytest

from trialsim.analysis import analyze_batch, operating_characteristics
from trialsim.seeding import stream
from trialsim.spec.analysis import AnalysisSpec, BorrowingSpec

from .normal_batches import make_normal_batch

R = 2000
NONE = BorrowingSpec()
FULL = BorrowingSpec(method="full")
COMMENSURATE = BorrowingSpec(method="commensurate", commensurate_sd=0.05)
ROBUST = BorrowingSpec(method="robust_mixture", robust_weight=0.5, vague_sd=0.2)
#: type I error bound achieved by ROBUST over drift 0 … −0.3 m/s (20 concurrent controls,
#: 40 treated, 80 synthetic, SD 0.2; measured max ≈ 0.08 at drift ≈ −0.1).
ROBUST_TYPE1_BOUND = 0.10


def _batch(*, key: str, effect: float, drift: float, n_external: int = 80):
    return make_normal_batch(rng=stream(21, key, effect, drift), n_replicates=R, n_control=20, n_treatment=40,
                             effect=effect, sd=0.2, n_external=n_external, drift=drift)


def _run(batch, borrowing, decision):
    return analyze_batch(batch, analysis=AnalysisSpec(borrowing=borrowing), decision=decision)


def test_ess_is_zero_without_borrowing_and_about_m_with_full_pooling(decision):
    batch = _batch(key="ess", effect=0.0, drift=0.0)
    assert np.all(_run(batch, NONE, decision).ess_borrowed == 0)
    full = _run(batch, FULL, decision).ess_borrowed
    assert np.mean(full) == pytest.approx(80, rel=0.05)
    partial = _run(batch, COMMENSURATE, decision).ess_borrowed
    assert 0 < np.mean(partial) < np.mean(full)


def test_n_external_selects_how_many_synthetic_controls_are_borrowed(decision):
    batch = _batch(key="n_ext", effect=0.0, drift=0.0)
    spec = AnalysisSpec(borrowing=FULL)
    few = analyze_batch(batch.replicate(0), analysis=spec, decision=decision, n_external=20)
    assert few.ess_borrowed[0] == pytest.approx(20, rel=0.1)
    with pytest.raises(ValueError, match="n_external"):
        analyze_batch(batch, analysis=spec, decision=decision, n_external=81)


def test_borrowing_without_drift_raises_power(decision):
    batch = _batch(key="power", effect=0.1, drift=0.0)
    none = operating_characteristics(_run(batch, NONE, decision), true_effect=0.1)
    for spec in (FULL, COMMENSURATE, ROBUST):
        oc = operating_characteristics(_run(batch, spec, decision), true_effect=0.1)
        gain = oc["power"] - none["power"]
        assert gain > 4 * np.hypot(oc["power_mc_se"], none["power_mc_se"]), spec.method
        # full pooling is the true model here; the others hedge, so they may over-cover
        assert oc["coverage"] > 0.95 - 3 * oc["coverage_mc_se"], spec.method
        if spec.method == "full":
            assert abs(oc["coverage"] - 0.95) < 3 * oc["coverage_mc_se"]


def test_robust_mixture_bounds_type1_error_across_drift(decision):
    drifts = (0.0, -0.05, -0.1, -0.15, -0.2, -0.3)
    t1 = {m: [] for m in ("full", "commensurate", "robust_mixture")}
    for drift in drifts:
        batch = _batch(key="drift", effect=0.0, drift=drift)
        for spec in (FULL, COMMENSURATE, ROBUST):
            t1[spec.method].append(_run(batch, spec, decision).success.mean())
    robust = np.array(t1["robust_mixture"])
    assert robust.max() <= ROBUST_TYPE1_BOUND
    assert robust[-1] < 0.025 + 0.03  # large conflict: synthetic arm discounted, back near nominal
    assert max(t1["full"]) > 0.5  # unbounded without robustness
    assert max(t1["commensurate"]) > 0.5
    assert t1["full"] == sorted(t1["full"])  # full pooling grows monotonically with drift


def test_drift_in_the_favourable_direction_is_conservative(decision):
    batch = _batch(key="plus", effect=0.0, drift=0.1)
    assert _run(batch, FULL, decision).success.mean() < 0.01
