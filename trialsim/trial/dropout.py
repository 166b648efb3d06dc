"""Dropout: completely at random, at random on observed severity, not at random."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy.optimize import brentq
from scipy.special import expit, logit

from trialsim.spec.study import DropoutSpec


@lru_cache(maxsize=256)
def _intercept_for_rate(rate: float, slope: float, n_intervals: int) -> float:
    """Per-visit log-odds giving mean dropout ``rate`` by the last visit when the driver is N(0, 1)."""
    nodes, weights = np.polynomial.hermite_e.hermegauss(40)
    weights = weights / weights.sum()

    def gap(a: float) -> float:
        q = expit(a + slope * nodes)
        return float(np.sum(weights * (1 - (1 - q) ** n_intervals)) - rate)

    return float(brentq(gap, -30, 30))


def dropout_mask(
    spec: DropoutSpec, *, n_visits: int, rng: np.random.Generator, severity_z: np.ndarray,
    outcome_change_z: np.ndarray,
) -> np.ndarray:
    """``(N, V)`` boolean: True where the visit is observed (monotone dropout).

    ``severity_z``: ``(N,)`` standardised baseline severity (MAR driver).
    ``outcome_change_z``: ``(N, V)`` standardised worsening of the outcome (MNAR driver:
    patients whose gait is getting worse, unobserved, drop out more).
    """
    n = severity_z.shape[0]
    observed = np.ones((n, n_visits), dtype=bool)
    if spec.mechanism == "none" or spec.rate == 0:
        return observed
    intervals = n_visits - 1
    if spec.mechanism == "mcar":
        logits = np.full((n, intervals), logit(1 - (1 - spec.rate) ** (1 / intervals)))
    else:
        slope = spec.log_odds_per_sd
        base = _intercept_for_rate(spec.rate, slope, intervals)
        driver = np.repeat(severity_z[:, None], intervals, axis=1) if spec.mechanism == "mar" else outcome_change_z[:, 1:]
        logits = base + slope * driver
    drop_now = rng.random((n, intervals)) < expit(logits)
    gone = np.cumsum(drop_now, axis=1) > 0
    observed[:, 1:] = ~gone
    return observed
