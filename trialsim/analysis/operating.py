"""Operating characteristics of a design from its simulated replicates, and assurance.

Every rate comes with its Monte Carlo standard error (REFERENCE.md §4:
``sqrt(p(1 − p)/R)``); bias and RMSE with the usual delta-method errors.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from trialsim.analysis.batch_analysis import BatchAnalysis

__all__ = ["assurance", "operating_characteristics"]


def _rate(x: np.ndarray) -> tuple[float, float]:
    p = float(np.mean(x))
    return p, float(np.sqrt(p * (1.0 - p) / max(x.size, 1)))


def operating_characteristics(analysis: BatchAnalysis, *, true_effect: float) -> dict[str, float]:
    """Power (or type I error), bias, RMSE, coverage and ESS, each with its MC error.

    Parameters
    ----------
    analysis
        Per-replicate results of one design in one scenario.
    true_effect
        The scenario's true treatment effect (0 for null scenarios).

    Returns
    -------
    dict
        ``power`` and ``type1_error`` (the same success rate: the caller decides which
        one the scenario measures), ``*_mc_se``, ``bias``, ``rmse``, ``coverage`` (of
        the 95 % interval), ``mean_ess_borrowed``, ``mean_pooled_sd``, ``n_replicates``
        and ``n_failed`` (replicates whose estimate is not finite: they count as
        failures in ``power`` and are left out of bias, RMSE and coverage).

    Examples
    --------
    >>> import numpy as np
    >>> est = np.array([0.1, 0.3])
    >>> a = BatchAnalysis(effect_mean=est, effect_sd=np.full(2, 0.1), ci_low=est - 0.2,
    ...                   ci_high=est + 0.2, prob_success=np.array([0.9, 0.99]),
    ...                   prob_cid=np.zeros(2), success=np.array([False, True]),
    ...                   standardized_effect_mean=est, ess_borrowed=np.zeros(2), method="x")
    >>> oc = operating_characteristics(a, true_effect=0.2)
    >>> oc["power"], abs(round(oc["bias"], 12)), round(oc["rmse"], 12), oc["coverage"]
    (0.5, 0.0, 0.1, 1.0)
    """
    r = analysis.n_replicates
    if r == 0:
        raise ValueError("no replicates to summarise")
    ok = np.isfinite(analysis.effect_mean)
    success = np.where(ok, analysis.success, False).astype(float)
    power, power_se = _rate(success)
    err = analysis.effect_mean[ok] - true_effect
    n_ok = max(err.size, 1)
    bias = float(np.mean(err)) if err.size else float("nan")
    bias_se = float(np.std(err, ddof=1) / np.sqrt(n_ok)) if err.size > 1 else float("nan")
    mse = float(np.mean(err**2)) if err.size else float("nan")
    rmse = float(np.sqrt(mse))
    mse_se = float(np.std(err**2, ddof=1) / np.sqrt(n_ok)) if err.size > 1 else float("nan")
    rmse_se = mse_se / (2.0 * rmse) if rmse > 0 else float("nan")
    covered = (analysis.ci_low[ok] <= true_effect) & (true_effect <= analysis.ci_high[ok])
    coverage, coverage_se = _rate(covered.astype(float)) if err.size else (float("nan"), float("nan"))
    pooled = analysis.pooled_sd[np.isfinite(analysis.pooled_sd)]
    return {
        "power": power, "power_mc_se": power_se,
        "type1_error": power, "type1_error_mc_se": power_se,
        "bias": bias, "bias_mc_se": bias_se, "rmse": rmse, "rmse_mc_se": rmse_se,
        "coverage": coverage, "coverage_mc_se": coverage_se,
        "mean_ess_borrowed": float(np.mean(analysis.ess_borrowed)),
        "mean_pooled_sd": float(np.mean(pooled)) if pooled.size else float("nan"),
        "n_replicates": float(r), "n_failed": float(r - int(ok.sum())),
    }


def assurance(
    *, effects: np.ndarray, power: np.ndarray, prior_mean: float, prior_sd: float,
    power_mc_se: np.ndarray | None = None,
) -> dict[str, float]:
    """Power averaged over a normal design prior ``effect ~ N(prior_mean, prior_sd²)``.

    The power curve is simulated on a grid of true effects (one scenario each) and
    interpolated linearly between them; beyond the grid it is held at the end
    values (power is monotone in the effect, so this bounds the truth), and the prior
    mass there is reported. Because the result is linear in the simulated powers its
    MC standard error is exact: ``sqrt(Σ c_j² se_j²)``.

    Parameters
    ----------
    effects, power
        ``(J,)`` true effects of the simulated scenarios and the power at each.
    prior_mean, prior_sd
        Normal design prior (the *design* prior, not the analysis prior).
    power_mc_se
        ``(J,)`` MC errors of ``power`` (optional).

    Returns
    -------
    dict
        ``assurance``, ``assurance_mc_se`` (NaN without ``power_mc_se``) and
        ``prior_mass_outside_grid``.

    Examples
    --------
    >>> round(assurance(effects=np.array([0.0, 1.0]), power=np.array([0.0, 1.0]),
    ...                 prior_mean=0.5, prior_sd=0.1)["assurance"], 6)
    0.5
    """
    effects = np.asarray(effects, dtype=float)
    power = np.asarray(power, dtype=float)
    order = np.argsort(effects)
    effects, power = effects[order], power[order]
    if effects.size < 2 or effects.size != power.size:
        raise ValueError("assurance needs power at two or more distinct effects")
    if prior_sd <= 0:
        raise ValueError("prior_sd must be > 0")
    nodes = np.linspace(prior_mean - 9 * prior_sd, prior_mean + 9 * prior_sd, 4001)
    w = stats.norm.pdf(nodes, prior_mean, prior_sd)
    w /= w.sum()
    basis = np.stack([np.interp(nodes, effects, np.eye(effects.size)[j]) for j in range(effects.size)])
    coef = basis @ w  # (J,)
    value = float(coef @ power)
    se = float("nan")
    if power_mc_se is not None:
        se = float(np.sqrt(np.sum(coef**2 * np.asarray(power_mc_se, dtype=float)[order] ** 2)))
    outside = float(stats.norm.cdf(effects[0], prior_mean, prior_sd)
                    + stats.norm.sf(effects[-1], prior_mean, prior_sd))
    return {"assurance": value, "assurance_mc_se": se, "prior_mass_outside_grid": outside}
