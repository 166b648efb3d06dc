"""PyMC 5 models of one replicate: the same models the fast engine solves exactly.

They serve ``engine="pymc"``, the agreement tests and simulation-based calibration.
PyMC is imported inside each builder so ``import trialsim`` stays light.

Every builder names the treatment effect ``"effect"`` (a deterministic) and the
residual SD at the primary visit ``"sigma"``; ``"control_mean"`` is the concurrent
control arm's mean change at the covariate centre.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pymc as pm

__all__ = ["build_ancova_model", "build_borrowing_model", "build_mmrm_model"]


def build_ancova_model(
    *, y: np.ndarray, x: np.ndarray, columns: tuple[str, ...], prior_sd: np.ndarray,
    sigma_prior_scale: float,
) -> pm.Model:
    """Bayesian ANCOVA ``y ~ N(Xβ, σ)``, ``β_j ~ N(0, prior_sd_j)``, ``σ ~ HalfNormal``.

    Columns with ``prior_sd == 0`` are fixed at zero (dropped).

    Parameters
    ----------
    y
        ``(n,)`` change from baseline of the patients in the likelihood.
    x
        ``(n, P)`` design (see :mod:`trialsim.analysis.layout` for the columns).
    columns
        Column names; must contain ``"control_mean"`` and ``"effect"``.
    prior_sd
        ``(P,)`` prior SDs of the coefficients.
    sigma_prior_scale
        Half-normal scale of σ.

    Examples
    --------
    >>> x = np.column_stack([np.ones(6), [0, 0, 0, 1, 1, 1]])
    >>> model = build_ancova_model(y=np.arange(6.0), x=x, columns=("control_mean", "effect"),
    ...                            prior_sd=np.array([10.0, 1.0]), sigma_prior_scale=1.0)
    >>> sorted(v.name for v in model.free_RVs)
    ['beta', 'sigma']
    """
    import pymc as pm

    keep = np.flatnonzero(np.asarray(prior_sd) > 0)
    kept = tuple(columns[i] for i in keep)
    with pm.Model(coords={"coef": kept}) as model:
        beta = pm.Normal("beta", 0.0, np.asarray(prior_sd)[keep], dims="coef")
        sigma = pm.HalfNormal("sigma", sigma_prior_scale)
        pm.Normal("y", mu=pm.math.dot(x[:, keep], beta), sigma=sigma, observed=y)
        pm.Deterministic("effect", beta[kept.index("effect")])
        pm.Deterministic("control_mean", beta[kept.index("control_mean")])
    return model


def build_borrowing_model(
    *, y: np.ndarray, x: np.ndarray, columns: tuple[str, ...], prior_var: np.ndarray,
    log_weight: np.ndarray, sigma_prior_scale: float, prior_sigma_scale: np.ndarray | None = None,
) -> pm.Model:
    """ANCOVA with synthetic controls and a mixture-of-normals prior on ``drift``.

    One component is :func:`build_ancova_model`. With several (robust mixture),
    the mixture is marginalised exactly: with ``drift ~ N(0, s_ref²)`` as a carrier,

    ``p = Σ_k w_k · L(θ, drift_k) · N(drift | 0, v_k) / N(drift | 0, s_ref²)``

    where a component with ``v_k = 0`` uses ``drift_k = 0`` and no density ratio
    (its carrier integrates to one), so the posterior of θ is the same mixture the
    fast engine computes.

    Parameters
    ----------
    prior_var, log_weight
        ``(K, P)`` prior variances and ``(K,)`` log weights
        (:func:`~trialsim.analysis.borrowing.borrowing_prior`).
    prior_sigma_scale
        ``(K, P)`` multipliers of σ² added to the drift prior variance (a component
        in units of the residual SD, e.g. unit information); ``None``: none.
    """
    import pymc as pm

    prior_var = np.atleast_2d(prior_var)
    scale = np.zeros_like(prior_var) if prior_sigma_scale is None else np.atleast_2d(prior_sigma_scale)
    if prior_var.shape[0] == 1 and not np.any(scale > 0):
        return build_ancova_model(y=y, x=x, columns=columns, prior_sd=np.sqrt(prior_var[0]),
                                  sigma_prior_scale=sigma_prior_scale)
    d = columns.index("drift")
    base = np.delete(np.arange(len(columns)), d)
    if not np.allclose(prior_var[:, base], prior_var[0, base]):
        raise ValueError("mixture components may differ only in the drift prior")
    shared = tuple(columns[i] for i in base)
    drift_var = prior_var[:, d]
    drift_scale = scale[:, d]
    s_ref = float(np.sqrt(np.max(drift_var + drift_scale * sigma_prior_scale**2)))
    with pm.Model(coords={"coef": shared}) as model:
        beta = pm.Normal("beta", 0.0, np.sqrt(prior_var[0, base]), dims="coef")
        drift = pm.Normal("drift", 0.0, s_ref)
        sigma = pm.HalfNormal("sigma", sigma_prior_scale)
        mu0 = pm.math.dot(x[:, base], beta)
        terms = []
        for v, sc, lw in zip(drift_var, drift_scale, log_weight, strict=True):
            if v > 0 or sc > 0:
                mu = mu0 + x[:, d] * drift
                ratio = (pm.logp(pm.Normal.dist(0.0, pm.math.sqrt(v + sc * sigma**2)), drift)
                         - pm.logp(pm.Normal.dist(0.0, s_ref), drift))
            else:
                mu, ratio = mu0, 0.0
            terms.append(lw + pm.logp(pm.Normal.dist(mu, sigma), y).sum() + ratio)
        pm.Potential("mixture_likelihood", pm.math.logsumexp(pm.math.stack(terms)))
        pm.Deterministic("effect", beta[shared.index("effect")])
        pm.Deterministic("control_mean", beta[shared.index("control_mean")])
    return model


def build_mmrm_model(
    *, y: np.ndarray, z: np.ndarray, covariates: tuple[str, ...], prior_sd: np.ndarray,
    primary: int, structure: str = "unstructured", sigma_prior_scale: float = 1.0,
) -> pm.Model:
    """Longitudinal model with visit-specific coefficients and a full visit covariance.

    ``y_i ~ MVN(B ᵀ z_i, Σ)`` over the observed visits of patient i (monotone dropout:
    one triangular solve with chol(Σ); otherwise one MvNormal per observation pattern), ``B_ct ~ N(0, prior_sd_c)`` (a covariate with
    ``prior_sd_c == 0`` is dropped). Σ: ``LKJCholeskyCov(eta=1, sd ~ HalfNormal)``
    (unstructured) or ``σ² φ^|t−u|`` with ``σ ~ HalfNormal``, ``φ ~ U(−1, 1)`` (ar1).

    Parameters
    ----------
    y
        ``(N, T)`` changes from baseline at post-baseline visits, NaN if missing.
    z
        ``(N, k)`` patient covariates named by ``covariates``.
    prior_sd
        ``(k,)`` prior SD of each covariate's visit-specific coefficients.
    primary
        Index of the primary visit among the ``T``.
    """
    import pymc as pm
    import pytensor.tensor as pt

    t = y.shape[1]
    keep = np.flatnonzero(np.asarray(prior_sd) > 0)
    kept = tuple(covariates[i] for i in keep)
    observed = np.isfinite(y)
    with pm.Model(coords={"covariate": kept, "visit": np.arange(t)}) as model:
        beta = pm.Normal("beta", 0.0, np.asarray(prior_sd)[keep][:, None], dims=("covariate", "visit"))
        if structure == "unstructured":
            chol, _, _ = pm.LKJCholeskyCov(
                "chol", n=t, eta=1.0, sd_dist=pm.HalfNormal.dist(sigma_prior_scale), compute_corr=True,
            )
            cov = pt.dot(chol, chol.T)
        elif structure == "ar1":
            sd = pm.HalfNormal("sd", sigma_prior_scale)
            phi = pm.Uniform("phi", -1.0, 1.0)
            lag = np.abs(np.arange(t)[:, None] - np.arange(t)[None, :])
            cov = sd**2 * phi**lag
        else:
            raise ValueError(f"structure must be 'unstructured' or 'ar1' (got {structure!r})")
        mean = pt.dot(z[:, keep], beta)
        monotone = bool(np.all(observed[:, 1:] <= observed[:, :-1]))
        if monotone:
            # dropout: the leading block of chol(Σ) is chol of the observed block, so one
            # triangular solve gives every patient's whitened residuals
            chol_full = chol if structure == "unstructured" else pt.linalg.cholesky(cov)
            resid = pt.as_tensor(np.where(observed, y, 0.0)) - mean
            white = pt.linalg.solve_triangular(chol_full, resid.T, lower=True)  # (T, N)
            mask = observed.T.astype(float)
            log_diag = pt.log(pt.diagonal(chol_full))[:, None]
            pm.Potential("y_monotone", pt.sum(mask * (-0.5 * white**2 - log_diag))
                         - 0.5 * mask.sum() * np.log(2 * np.pi))
        else:
            patterns = {tuple(row) for row in observed if row.any()}
            for k, pattern in enumerate(sorted(patterns)):
                rows = np.flatnonzero((observed == np.array(pattern)).all(axis=1))
                vis = np.flatnonzero(pattern)
                pm.MvNormal(f"y_pattern_{k}", mu=mean[rows][:, vis], cov=cov[vis][:, vis],
                            observed=y[np.ix_(rows, vis)])
        pm.Deterministic("effect", beta[kept.index("effect"), primary])
        pm.Deterministic("control_mean", beta[kept.index("control_mean"), primary])
        pm.Deterministic("sigma", pt.sqrt(cov[primary, primary]))
    return model
