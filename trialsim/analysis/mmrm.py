"""Longitudinal (MMRM-like) model over all post-baseline visits, vectorised.

Change from baseline of patient i at post-baseline visit t::

    y_it = Σ_c z_ic β_ct + ε_it,   ε_i ~ N(0, Σ)

with patient covariates ``z_i = (1, treated, baseline, [prognostic], [synthetic])``
and a coefficient per covariate *and visit* (visit-specific means, effects and
slopes); Σ is unstructured or AR(1) (``σ² φ^|t−u|`` over visit index). Every
observed visit counts (missing at random after dropout).

Fast engine ("Laplace / empirical Bayes"): Σ is estimated by maximum likelihood
with EM (missing visits are the latent data), batched over replicates, inflated by
``n_t / (n_t − k)`` per visit as REML does for complete data; given Σ̂ the model is a
Gaussian linear model, so β has an exact normal posterior (mixture over borrowing
components). The uncertainty in Σ̂ is acknowledged by reporting the effect posterior
as Student-*t* with ``n_primary − k`` degrees of freedom. The frequentist MMRM is
the same GLS fit without priors (Wald-*t* inference).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trialsim.trial.batch import TrialBatch

__all__ = ["MmrmLayout", "estimate_covariance", "gls_stats", "mmrm_layout"]


@dataclass(frozen=True)
class MmrmLayout:
    """Patient covariates and post-baseline changes of R replicates.

    Attributes
    ----------
    covariates
        Names of the ``k`` patient covariates (``control_mean``, ``effect``, ...).
    z
        ``(R, L, k)`` covariates (zero for unused rows).
    y
        ``(R, L, T)`` change from baseline at visits 1..V-1, 0 where missing.
    observed
        ``(R, L, T)`` observed visits.
    external
        ``(L,)`` synthetic-control rows.
    primary
        Index into the ``T`` post-baseline visits of the primary visit.
    """

    covariates: tuple[str, ...]
    z: np.ndarray
    y: np.ndarray
    observed: np.ndarray
    external: np.ndarray
    primary: int

    @property
    def n_visits(self) -> int:
        return int(self.y.shape[-1])

    def column(self, covariate: str, visit: int) -> int:
        """Index of β for ``covariate`` at post-baseline visit ``visit``."""
        return self.covariates.index(covariate) * self.n_visits + visit


def mmrm_layout(batch: TrialBatch, *, prognostic: bool, n_external: int = 0) -> MmrmLayout:
    """Build the longitudinal layout (covariates centred on concurrent patients)."""
    if batch.primary_visit < 1:
        raise ValueError("the primary visit must come after baseline")
    change = batch.outcome[:, :, 1:] - batch.outcome[:, :, :1]
    baseline = batch.outcome[:, :, 0]
    arm = batch.arm.astype(float)
    score = batch.prognostic_score
    r, n, _ = change.shape
    names = ["control_mean", "effect", "baseline"] + (["prognostic"] if prognostic else [])
    m = n_external
    if m > 0:
        names.append("drift")
        ext = batch.external_outcome[:, :m]  # type: ignore[index]
        if prognostic and batch.external_prognostic_score is None:
            raise ValueError("PROCOVA with borrowing needs external_prognostic_score in the batch")
        change = np.concatenate([change, ext[:, :, 1:] - ext[:, :, :1]], axis=1)
        baseline = np.concatenate([baseline, ext[:, :, 0]], axis=1)
        arm = np.concatenate([arm, np.zeros((r, m))], axis=1)
        ext_score = batch.external_prognostic_score[:, :m] if prognostic else np.zeros((r, m))  # type: ignore[index]
        score = np.concatenate([score, ext_score], axis=1)
    external = np.arange(n + m) >= n
    observed = np.isfinite(change)
    any_obs = observed.any(axis=2)
    conc = any_obs & ~external[None, :]
    count = np.maximum(conc.sum(axis=1, keepdims=True), 1)

    def centred(values: np.ndarray) -> np.ndarray:
        return np.where(any_obs, values - np.where(conc, values, 0.0).sum(1, keepdims=True) / count, 0.0)

    cols = [np.ones_like(arm), arm, centred(baseline)]
    if prognostic:
        cols.append(centred(score))
    if m > 0:
        cols.append(np.broadcast_to(external.astype(float), arm.shape))
    z = np.stack(cols, axis=-1) * any_obs[..., None]
    return MmrmLayout(
        covariates=tuple(names), z=z, y=np.where(observed, change, 0.0), observed=observed,
        external=external, primary=batch.primary_visit - 1,
    )


def _pattern_codes(observed: np.ndarray) -> np.ndarray:
    t = observed.shape[-1]
    return np.einsum("rlt,t->rl", observed.astype(np.int64), 1 << np.arange(t))


def _pattern_masks(t: int) -> np.ndarray:
    codes = np.arange(1 << t)
    return ((codes[:, None] >> np.arange(t)[None, :]) & 1).astype(float)  # (C, T)


def _observed_precisions(sigma: np.ndarray) -> np.ndarray:
    """``(R, C, T, T)``: Σ_oo⁻¹ padded with zeros, for every observation pattern C."""
    t = sigma.shape[-1]
    masks = _pattern_masks(t)
    mm = masks[:, :, None] * masks[:, None, :]
    eye = np.eye(t)
    inner = sigma[:, None] * mm[None] + eye * (1.0 - masks)[None, :, None, :]
    return np.linalg.inv(inner) * mm[None]


def gls_stats(
    layout: MmrmLayout, sigma: np.ndarray, *, concurrent_only: bool = False,
) -> tuple[np.ndarray, ...]:
    """GLS sufficient statistics ``(XᵀPX, XᵀPy, yᵀPy, n_obs)`` given Σ ``(R, T, T)``."""
    r, _, k = layout.z.shape
    t = layout.n_visits
    prec = _observed_precisions(sigma)
    codes = _pattern_codes(layout.observed)
    p_i = prec[np.arange(r)[:, None], codes]  # (R, L, T, T)
    z = layout.z
    if concurrent_only:
        z = z * (~layout.external)[None, :, None]
        p_i = p_i * (~layout.external)[None, :, None, None]
    py = np.einsum("rltu,rlu->rlt", p_i, layout.y)
    xtx = np.einsum("rlc,rld,rltu->rctdu", z, z, p_i, optimize=True).reshape(r, k * t, k * t)
    xty = np.einsum("rlc,rlt->rct", z, py).reshape(r, k * t)
    yty = np.einsum("rlt,rlt->r", layout.y, py)
    obs = layout.observed if not concurrent_only else layout.observed & ~layout.external[None, :, None]
    return xtx, xty, yty, obs.sum(axis=(1, 2)).astype(float)


def _fit_ar1(scatter: np.ndarray) -> np.ndarray:
    """Maximise ``-½[log|Σ| + tr(Σ⁻¹S)]`` over AR(1) Σ, per replicate."""
    t = scatter.shape[-1]
    lag = np.abs(np.arange(t)[:, None] - np.arange(t)[None, :])
    lo = np.full(scatter.shape[0], -0.99)
    hi = np.full(scatter.shape[0], 0.99)
    best = np.zeros(scatter.shape[0])
    for _ in range(3):
        phis = lo[:, None] + (hi - lo)[:, None] * np.linspace(0.0, 1.0, 81)[None, :]  # (R, G)
        corr = phis[..., None, None] ** lag  # (R, G, T, T)
        trace = np.einsum("rgtu,rut->rg", np.linalg.inv(corr), scatter)
        s2 = trace / t
        objective = t * np.log(s2) + (t - 1) * np.log(1.0 - phis**2)
        idx = np.argmin(objective, axis=1)
        best = phis[np.arange(len(idx)), idx]
        step = (hi - lo) / 80
        lo, hi = np.maximum(best - 2 * step, -0.999), np.minimum(best + 2 * step, 0.999)
    corr = best[:, None, None] ** lag
    s2 = np.einsum("rtu,rut->r", np.linalg.inv(corr), scatter) / t
    return s2[:, None, None] * corr


def estimate_covariance(
    layout: MmrmLayout, *, structure: str = "unstructured", max_iter: int = 200, tol: float = 1e-7,
) -> np.ndarray:
    """REML-inflated ML estimate of Σ ``(R, T, T)`` by EM over the missing visits.

    The mean model is the free one (every covariate × visit, drift unconstrained).
    """
    r, _, k = layout.z.shape
    t = layout.n_visits
    obs = layout.observed
    n_t = obs.sum(axis=1)  # (R, T)
    mean_t = layout.y.sum(axis=1) / np.maximum(n_t, 1)
    var_t = (np.where(obs, (layout.y - mean_t[:, None, :]) ** 2, 0.0)).sum(axis=1) / np.maximum(n_t - 1, 1)
    sigma = np.einsum("rt,tu->rtu", np.maximum(var_t, 1e-12), np.eye(t))
    masks = _pattern_masks(t)
    codes = _pattern_codes(obs)
    counts = np.stack([(codes == c).sum(axis=1) for c in range(1 << t)], axis=1).astype(float)
    counts[:, 0] = 0.0
    n_used = np.maximum(counts.sum(axis=1), 1.0)
    eye = np.eye(t)
    rows = np.arange(r)[:, None]
    for _ in range(max_iter):
        xtx, xty, _, _ = gls_stats(layout, sigma)
        ridge = 1e-10 * (np.trace(xtx, axis1=1, axis2=2)[:, None, None] + 1.0) * np.eye(k * t)
        beta = np.linalg.solve(xtx + ridge, xty[..., None])[..., 0].reshape(r, k, t)
        resid = (layout.y - np.einsum("rlc,rct->rlt", layout.z, beta)) * obs
        prec = _observed_precisions(sigma)
        sp = sigma[:, None] @ prec  # (R, C, T, T)
        q = (1.0 - masks)[None, :, :, None] * sp + eye * masks[None, :, None, :]
        cond = sigma[:, None] - sp @ sigma[:, None]
        filled = np.einsum("rltu,rlu->rlt", q[rows, codes], resid)
        filled = filled * (codes > 0)[..., None]
        scatter = (
            np.einsum("rlt,rlu->rtu", filled, filled) + np.einsum("rc,rctu->rtu", counts, cond)
        ) / n_used[:, None, None]
        new = _fit_ar1(scatter) if structure == "ar1" else 0.5 * (scatter + np.swapaxes(scatter, 1, 2))
        change = np.max(np.abs(new - sigma)) / (np.max(np.abs(sigma)) + 1e-300)
        sigma = new
        if change < tol:
            break
    factor = np.sqrt(n_t / np.maximum(n_t - k, 1.0))  # REML-like inflation per visit
    return sigma * factor[:, :, None] * factor[:, None, :]
