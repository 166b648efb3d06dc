"""Closed-form power, sample size and assurance of a two-arm normal-endpoint trial.

These are the analytic references the simulation engine is checked against
(REFERENCE.md §4: SD 0.2, Δ 0.1, 80 % power, two-sided α 0.05 → ≈ 64 per arm;
prognostic adjustment with correlation ρ shrinks the residual variance by
``1 − ρ²`` → ≈ 33 per arm at ρ = 0.7, Schuler et al. 2021, PROCOVA).

Power is that of the two-sided two-sample *t*-test (noncentral *t*), which is what
an ANCOVA with vague priors reproduces; :func:`closed_form_assurance` uses the
normal approximation, for which averaging over a normal design prior is exact.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

__all__ = ["closed_form_assurance", "closed_form_n_per_arm", "closed_form_power"]


def _check_positive(**values: float) -> None:
    for name, value in values.items():
        if not value > 0:
            raise ValueError(f"{name} must be > 0 (got {value})")


def closed_form_power(
    delta: float,
    *,
    sd: float,
    n_per_arm: float,
    alpha_two_sided: float = 0.05,
    rho: float = 0.0,
    n_covariates: int = 0,
) -> float:
    """Power of the two-sided two-sample *t*-test of a normal endpoint.

    Parameters
    ----------
    delta
        True mean difference (treatment − control), endpoint units.
    sd
        Outcome SD within an arm (unadjusted), endpoint units.
    n_per_arm
        Patients per arm (equal allocation).
    alpha_two_sided
        Two-sided significance level.
    rho
        Correlation of a prognostic covariate with the outcome (PROCOVA); the
        residual SD becomes ``sd * sqrt(1 - rho**2)``.
    n_covariates
        Covariates in the model besides the arm (each costs one degree of freedom).

    Returns
    -------
    float
        Probability of rejecting in either direction.

    Examples
    --------
    >>> round(closed_form_power(0.1, sd=0.2, n_per_arm=64, alpha_two_sided=0.05), 2)
    0.8
    """
    _check_positive(sd=sd, n_per_arm=n_per_arm, alpha_two_sided=alpha_two_sided)
    if not 0 <= abs(rho) < 1:
        raise ValueError(f"rho must lie in (-1, 1) (got {rho})")
    sd_resid = sd * math.sqrt(1.0 - rho**2)
    df = 2.0 * n_per_arm - 2.0 - n_covariates
    if df <= 0:
        raise ValueError("too few patients for the number of covariates")
    noncentrality = delta / (sd_resid * math.sqrt(2.0 / n_per_arm))
    t_crit = stats.t.ppf(1.0 - alpha_two_sided / 2.0, df)
    upper = stats.nct.sf(t_crit, df, noncentrality)
    lower = stats.nct.cdf(-t_crit, df, noncentrality)
    return float(upper + lower)


def closed_form_n_per_arm(
    delta: float,
    *,
    sd: float,
    power: float = 0.8,
    alpha_two_sided: float = 0.05,
    rho: float = 0.0,
) -> int:
    """Smallest patients per arm giving ``power`` (two-sample *t*-test, 1:1).

    With ``rho`` > 0 the prognostic covariate is counted as one extra model term.

    Examples
    --------
    >>> closed_form_n_per_arm(0.1, sd=0.2, power=0.8, alpha_two_sided=0.05)
    64
    >>> closed_form_n_per_arm(0.1, sd=0.2, power=0.8, alpha_two_sided=0.05, rho=0.7)
    34
    """
    _check_positive(delta=abs(delta), sd=sd)
    if not 0 < power < 1:
        raise ValueError(f"power must lie in (0, 1) (got {power})")
    n_cov = 1 if rho != 0 else 0
    z = stats.norm.ppf(1 - alpha_two_sided / 2) + stats.norm.ppf(power)
    n = max(2 + n_cov, math.floor(2 * z**2 * sd**2 * (1 - rho**2) / delta**2) - 1)
    while closed_form_power(abs(delta), sd=sd, n_per_arm=n, alpha_two_sided=alpha_two_sided,
                            rho=rho, n_covariates=n_cov) < power:
        n += 1
    return int(n)


def closed_form_assurance(
    prior_mean: float,
    *,
    prior_sd: float,
    sd: float,
    n_per_arm: float,
    alpha_one_sided: float = 0.025,
) -> float:
    """Assurance (power averaged over a normal design prior), normal approximation.

    Success is ``estimate > z_{1-α} · SE``; marginally over ``effect ~ N(prior_mean,
    prior_sd²)`` the estimate is ``N(prior_mean, SE² + prior_sd²)`` (O'Hagan et al. 2005).

    Examples
    --------
    >>> round(closed_form_assurance(0.1, prior_sd=1e-9, sd=0.2, n_per_arm=64), 3)
    0.807
    """
    _check_positive(sd=sd, n_per_arm=n_per_arm)
    if prior_sd < 0:
        raise ValueError("prior_sd must be >= 0")
    se = sd * math.sqrt(2.0 / n_per_arm)
    z = stats.norm.ppf(1 - alpha_one_sided)
    return float(stats.norm.cdf((prior_mean - z * se) / np.sqrt(se**2 + prior_sd**2)))
