"""Priors that borrow from the synthetic control arm, as mixtures of normal priors.

The synthetic controls' mean change is ``control_mean + drift``; the borrowing
method is the prior of ``drift`` (every other coefficient keeps its own prior):

========================  =====================================================
``none``                  synthetic controls are not in the likelihood
``full``                  ``drift = 0`` (pooled with the concurrent controls)
``commensurate``          ``drift ~ N(0, commensurate_sd²)`` (Hobbs et al. 2011,
                          fixed commensurability, endpoint units)
``robust_mixture``        robust MAP as RBesT builds it (Neuenschwander 2010,
                          Schmidli 2014): ``drift ~ (1 − w)·N(0, τ²) + w·N(0, v²)``
                          with between-source heterogeneity ``τ = f·σ``
                          (``f = tau_sigma_fraction``; ``f = 0`` is fixed-weight
                          pooling) and a unit-information vague component
                          ``v = σ`` (one patient's worth) unless ``vague_sd`` fixes it
========================  =====================================================

σ is the residual SD, which the engine integrates over; so a component's prior
variance is ``var + scale·σ²`` (:class:`BorrowingPrior`). Each method is a list of
such components with prior weights; the posterior is the mixture of component
posteriors with weights ∝ prior weight × marginal likelihood, evaluated exactly.

Effective number of synthetic patients borrowed: the precision gained on the
concurrent control mean, in units of one patient's information ``1/σ²``, computed
for each component at the *same* σ and averaged with the posterior weights,

    ESS = Σ_kg w_kg σ_g² (1 / Var(control_mean | k, σ_g) − 1 / Var(control_mean | none, σ_g)),

floored at 0 and capped at the synthetic controls in the likelihood (given σ, the
information a prior on ``drift`` lets through cannot exceed that of pooling them).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trialsim.spec.analysis import BorrowingSpec

__all__ = ["BorrowingPrior", "borrowing_components", "borrowing_prior", "effective_sample_size"]


@dataclass(frozen=True)
class BorrowingPrior:
    """``K`` prior components: variance ``var + sigma_scale·σ²`` per coefficient, and log weights.

    Attributes
    ----------
    var, sigma_scale
        ``(K, P)`` absolute prior variances and multipliers of σ².
    log_weight
        ``(K,)`` log prior weights.
    """

    var: np.ndarray
    sigma_scale: np.ndarray
    log_weight: np.ndarray

    def at(self, sigma2: float | np.ndarray) -> np.ndarray:
        """Prior variances given σ² (broadcast: ``(..., K, P)``)."""
        s2 = np.asarray(sigma2, dtype=float)[..., None, None]
        return self.var + self.sigma_scale * s2

    @property
    def scaled(self) -> bool:
        return bool(np.any(self.sigma_scale > 0))


def borrowing_prior(
    borrowing: BorrowingSpec, *, prior_var: np.ndarray, drift_indices: list[int],
) -> BorrowingPrior:
    """Prior components of ``borrowing`` on top of the base prior variances.

    Parameters
    ----------
    borrowing
        The borrowing method.
    prior_var
        ``(P,)`` prior variances of every coefficient (drift entries ignored).
    drift_indices
        Columns holding drift coefficients (one for ANCOVA, one per visit for MMRM);
        empty when no synthetic controls are used.

    Examples
    --------
    >>> p = borrowing_prior(BorrowingSpec(method="robust_mixture", robust_weight=0.2, tau_sigma_fraction=0.25),
    ...                     prior_var=np.ones(3), drift_indices=[2])
    >>> p.var[:, 2].tolist(), p.sigma_scale[:, 2].tolist(), np.exp(p.log_weight).round(2).tolist()
    ([0.0, 0.0], [0.0625, 1.0], [0.8, 0.2])
    """
    base = np.asarray(prior_var, dtype=float).copy()
    zeros = np.zeros_like(base)
    if not drift_indices:
        return BorrowingPrior(base[None, :], zeros[None, :], np.zeros(1))
    method = borrowing.method

    def with_drift(var: float, scale: float) -> tuple[np.ndarray, np.ndarray]:
        out, sc = base.copy(), zeros.copy()
        out[drift_indices] = var
        sc[drift_indices] = scale
        return out, sc

    if method in ("full", "commensurate"):
        v, sc = with_drift(0.0 if method == "full" else borrowing.commensurate_sd**2, 0.0)
        return BorrowingPrior(v[None, :], sc[None, :], np.zeros(1))
    if method == "robust_mixture":
        w = borrowing.robust_weight
        inf_v, inf_s = with_drift(0.0, borrowing.tau_sigma_fraction**2)
        if borrowing.vague_sd is None:
            vag_v, vag_s = with_drift(0.0, 1.0)
        else:
            vag_v, vag_s = with_drift(borrowing.vague_sd**2, 0.0)
        with np.errstate(divide="ignore"):
            log_w = np.log(np.array([1.0 - w, w]))
        return BorrowingPrior(np.stack([inf_v, vag_v]), np.stack([inf_s, vag_s]), log_w)
    raise ValueError(f"borrowing method {method!r} uses no synthetic controls")


def borrowing_components(
    borrowing: BorrowingSpec, *, prior_var: np.ndarray, drift_indices: list[int], sigma: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """``(K, P)`` prior variances at residual SD ``sigma`` and ``(K,)`` log weights.

    Examples
    --------
    >>> v, lw = borrowing_components(BorrowingSpec(method="robust_mixture", robust_weight=0.2, vague_sd=1.0,
    ...                              tau_sigma_fraction=0.0), prior_var=np.ones(3), drift_indices=[2])
    >>> v[:, 2].tolist(), np.exp(lw).round(2).tolist()
    [[0.0, 1.0], [0.8, 0.2]]
    """
    prior = borrowing_prior(borrowing, prior_var=prior_var, drift_indices=drift_indices)
    return prior.at(sigma**2), prior.log_weight


def borrowing_label(borrowing: BorrowingSpec) -> str:
    """One line describing the prior of ``drift`` (report, dashboard)."""
    if borrowing.method != "robust_mixture":
        return borrowing.method
    f = borrowing.tau_sigma_fraction
    informative = "fixed-weight pooling (τ = 0)" if f == 0 else f"MAP with between-source heterogeneity τ = {f:g}·σ"
    vague = "unit-information N(0, σ²)" if borrowing.vague_sd is None else f"N(0, {borrowing.vague_sd:g}²)"
    return (f"robust mixture: weight {1 - borrowing.robust_weight:g} on {informative}, "
            f"weight {borrowing.robust_weight:g} on a vague {vague}")


def effective_sample_size(
    *, var_borrow: np.ndarray, var_none: np.ndarray, sigma2: np.ndarray, weight: np.ndarray | None = None,
    n_available: np.ndarray | float | None = None,
) -> np.ndarray:
    """Synthetic patients borrowed, per replicate.

    ``var_borrow`` (and ``sigma2``, ``var_none``, ``weight``) may carry a trailing
    axis of posterior components evaluated at the same σ: the per-component ESS
    ``σ² (1/var_borrow − 1/var_none)`` is averaged with ``weight``; the result is
    floored at 0 and capped at ``n_available``.
    """
    per = sigma2 * (1.0 / var_borrow - 1.0 / var_none)
    ess = per if weight is None else np.sum(weight * per, axis=-1)
    ess = np.maximum(ess, 0.0)
    if n_available is not None:
        ess = np.minimum(ess, n_available)
    return ess
