"""Exact posterior of the Bayesian ANCOVA (with or without borrowing), vectorised.

Model (written out for PyMC in :mod:`trialsim.analysis.pymc_models`)::

    y = X β + ε,   ε ~ N(0, σ² I)
    β_j ~ N(0, v_j)   (v from AnalysisSpec; the drift prior from the borrowing method)
    σ ~ HalfNormal(residual_sd_prior_scale)

Given σ the posterior of β is normal (:func:`~trialsim.analysis.conjugate.gaussian_posterior`);
σ and the mixture component are integrated on a per-replicate grid in ``log σ``.
The effect posterior is therefore a finite normal mixture, summarised exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trialsim.analysis.conjugate import (
    gaussian_posterior,
    half_normal_logpdf,
    log_sigma_grid,
    normalize_log_weights,
)
from trialsim.analysis.mixture import EffectMixture

__all__ = ["LinearModelPosterior", "linear_model_posterior", "ols_rss"]


@dataclass(frozen=True)
class LinearModelPosterior:
    """Per-replicate posterior summaries of a linear model with unknown σ.

    Attributes
    ----------
    effect
        Mixture posterior of the coefficient of interest.
    standardized_mean
        ``(R,)`` posterior mean of ``effect / σ``.
    control_var
        ``(R,)`` posterior variance of ``control_mean``.
    sigma2_mean
        ``(R,)`` posterior mean of σ².
    ess_borrowed
        ``(R,)`` synthetic patients borrowed (0 unless a reference was given):
        see :func:`~trialsim.analysis.borrowing.effective_sample_size`.
    """

    effect: EffectMixture
    standardized_mean: np.ndarray
    control_var: np.ndarray
    sigma2_mean: np.ndarray
    ess_borrowed: np.ndarray | None = None


def ols_rss(xtx: np.ndarray, xty: np.ndarray, yty: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Residual sum of squares of least squares on the columns ``keep`` (tiny ridge)."""
    sub = xtx[..., keep[:, None], keep[None, :]]
    rhs = xty[..., keep]
    ridge = 1e-10 * (np.trace(sub, axis1=-2, axis2=-1)[..., None, None] + 1.0) * np.eye(len(keep))
    beta = np.linalg.solve(sub + ridge, rhs[..., None])[..., 0]
    return np.maximum(yty - np.sum(beta * rhs, axis=-1), 1e-300)


def linear_model_posterior(
    stats: tuple[np.ndarray, ...],
    *,
    prior_var: np.ndarray,
    log_weight: np.ndarray,
    effect_index: int,
    control_index: int,
    sigma_prior_scale: float,
    drift_indices: list[int],
    prior_sigma_scale: np.ndarray | None = None,
    reference: tuple[tuple[np.ndarray, ...], np.ndarray] | None = None,
) -> LinearModelPosterior:
    """Posterior of a normal linear model with a mixture-of-normals prior and σ unknown.

    Parameters
    ----------
    stats
        ``(XᵀX, Xᵀy, yᵀy, n)`` per replicate, shapes ``(R,P,P)``, ``(R,P)``, ``(R,)``, ``(R,)``.
    prior_var, log_weight
        ``(K, P)`` prior variances and ``(K,)`` log weights of the prior components.
    effect_index, control_index
        Columns of the treatment effect and of the concurrent control mean.
    sigma_prior_scale
        Scale of the half-normal prior on σ.
    drift_indices
        Drift columns (used only to place the σ grid).
    prior_sigma_scale
        ``(K, P)`` multipliers of σ² added to ``prior_var`` at each σ (priors in
        units of the residual SD, e.g. a unit-information component).
    reference
        ``(stats, prior_var)`` of the model without borrowing (concurrent patients
        only): with it, the ESS borrowed is computed per component at the same σ.

    Returns
    -------
    LinearModelPosterior
    """
    xtx, xty, yty, n = stats
    p = xtx.shape[-1]
    all_cols = np.arange(p)
    rss_free = ols_rss(xtx, xty, yty, all_cols)
    pooled = np.array([c for c in all_cols if c not in drift_indices])
    rss_pool = ols_rss(xtx, xty, yty, pooled) if drift_indices else rss_free
    df = np.maximum(n - p, 1.0)
    s_free = np.sqrt(rss_free / df)
    s_pool = np.sqrt(rss_pool / df)
    nodes, _ = log_sigma_grid(np.minimum(s_free, s_pool), np.maximum(s_free, s_pool), df)
    sigma = np.exp(nodes)  # (R, G)
    sigma2 = sigma**2
    var = prior_var[None, :, None, :]
    if prior_sigma_scale is not None:
        var = var + prior_sigma_scale[None, :, None, :] * sigma2[:, None, :, None]
    post = gaussian_posterior(
        xtx[:, None, None], xty[:, None, None], yty[:, None, None], n[:, None, None],
        prior_var=var, sigma2=sigma2[:, None, :],
    )  # (R, K, G, ...)
    log_w = (
        post.log_marginal
        + half_normal_logpdf(sigma, scale=sigma_prior_scale)[:, None, :]
        + nodes[:, None, :]  # Jacobian dσ = σ du
        + log_weight[None, :, None]
    )
    r, k, g = log_w.shape
    w = normalize_log_weights(log_w.reshape(r, k * g))
    m_eff = post.mean[..., effect_index].reshape(r, k * g)
    s_eff = np.sqrt(post.cov[..., effect_index, effect_index]).reshape(r, k * g)
    m_ctl = post.mean[..., control_index].reshape(r, k * g)
    v_ctl = post.cov[..., control_index, control_index].reshape(r, k * g)
    sig_flat = np.broadcast_to(sigma[:, None, :], (r, k, g)).reshape(r, k * g)
    control_mean = np.sum(w * m_ctl, axis=1)
    ess = None
    if reference is not None:
        (rxtx, rxty, ryty, rn), rvar = reference
        ref = gaussian_posterior(rxtx[:, None], rxty[:, None], ryty[:, None], rn[:, None],
                                 prior_var=rvar[None, None, :], sigma2=sigma2)  # (R, G, ...)
        v_none = np.broadcast_to(ref.cov[..., control_index, control_index][:, None, :], (r, k, g)).reshape(r, k * g)
        ess = np.maximum(np.sum(w * sig_flat**2 * (1.0 / v_ctl - 1.0 / v_none), axis=1), 0.0)
    return LinearModelPosterior(
        effect=EffectMixture(weight=w, mean=m_eff, scale=s_eff, df=np.full(r, np.inf)),
        standardized_mean=np.sum(w * m_eff / sig_flat, axis=1),
        control_var=np.sum(w * (v_ctl + m_ctl**2), axis=1) - control_mean**2,
        sigma2_mean=np.sum(w * sig_flat**2, axis=1),
        ess_borrowed=ess,
    )
