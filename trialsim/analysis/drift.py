"""Operating characteristics as functions of drift, on the same simulated patients.

Drift is an offset on the synthetic controls' outcome (``DriftSpec.outcome_offset``:
added at each visit in proportion to time, so the change at the primary visit moves by
the offset). Shifting the synthetic controls of an already simulated batch is exactly
what simulating them with that offset would give (same patients, same noise), so one
simulation serves every drift value.

For the Bayesian ANCOVA the shift enters only the sufficient statistics
(``Xᵀy += d Σ_ext x``, ``yᵀy += 2d Σ_ext y + d² n_ext``), so a sweep of D drifts costs D
posterior evaluations and no re-simulation. Other analyses re-run the engine on the
shifted batch.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from scipy import special

from trialsim.analysis.bayes_ancova import ols_rss
from trialsim.analysis.borrowing import borrowing_prior
from trialsim.analysis.conjugate import half_normal_logpdf, log_sigma_grid, normalize_log_weights
from trialsim.analysis.engine import CHUNK_REPLICATES, analyze_batch, base_prior_var, slice_batch
from trialsim.analysis.layout import ancova_layout, external_size
from trialsim.spec.analysis import AnalysisSpec, DecisionSpec
from trialsim.trial.batch import TrialBatch

__all__ = ["drift_grid", "drift_sweep", "shift_synthetic_controls"]


def drift_grid(*, half_width: float, n_values: int, include: tuple[float, ...] = ()) -> np.ndarray:
    """``n_values`` evenly spaced drifts on ``[−half_width, +half_width]`` (0 included when odd), plus ``include``.

    Examples
    --------
    >>> drift_grid(half_width=0.06, n_values=5).round(3).tolist()
    [-0.06, -0.03, 0.0, 0.03, 0.06]
    """
    grid = np.linspace(-half_width, half_width, n_values)
    return np.unique(np.round(np.concatenate([grid, np.asarray(include, dtype=float)]), 12))


def shift_synthetic_controls(batch: TrialBatch, offset: float) -> TrialBatch:
    """``batch`` with ``offset`` added to the synthetic controls as the simulator's drift adds it."""
    if batch.external_outcome is None or offset == 0:
        return batch
    weeks = np.asarray(batch.visits_weeks, dtype=float)
    ramp = weeks / weeks[batch.primary_visit]
    return replace(batch, external_outcome=batch.external_outcome + offset * ramp[None, None, :])


def drift_sweep(
    batch: TrialBatch, *, analysis: AnalysisSpec, decision: DecisionSpec, offsets: np.ndarray,
    n_external: int | None = None,
) -> np.ndarray:
    """``(R, D)`` posterior probability of success (or ``1 − p``) at each drift ``offsets[d]``.

    Designs without borrowing do not depend on drift: their column is repeated.
    """
    offsets = np.asarray(offsets, dtype=float)
    m = external_size(batch, n_external) if analysis.borrowing.method != "none" else 0
    if m == 0:
        prob = analyze_batch(batch, analysis=analysis, decision=decision, n_external=0).prob_success
        return np.repeat(prob[:, None], offsets.size, axis=1)
    if analysis.method != "bayesian_ancova" or analysis.engine != "fast":
        return np.stack([
            analyze_batch(shift_synthetic_controls(batch, d), analysis=analysis, decision=decision,
                          n_external=m).prob_success for d in offsets], axis=1)
    parts = []
    for start in range(0, batch.n_replicates, CHUNK_REPLICATES):
        sub = slice_batch(batch, slice(start, start + CHUNK_REPLICATES))
        parts.append(_ancova_sweep(sub, analysis=analysis, decision=decision, offsets=offsets, m=m))
    return np.concatenate(parts, axis=0)


def _ancova_sweep(
    batch: TrialBatch, *, analysis: AnalysisSpec, decision: DecisionSpec, offsets: np.ndarray, m: int,
) -> np.ndarray:
    """The exact posterior of :func:`~trialsim.analysis.engine.ancova_posterior` at every drift.

    Only ``Xᵀy`` and ``yᵀy`` depend on the drift, so the σ grid (placed to cover the
    posterior of σ at every drift), the prior at each node and the Cholesky factors are
    computed once; each drift then costs matrix–vector products.
    """
    layout = ancova_layout(batch, prognostic=analysis.prognostic_adjustment, n_external=m)
    xtx, xty, yty, n = layout.stats()
    ext = (layout.used & layout.external[None, :]).astype(float)
    x_ext = np.einsum("rl,rlp->rp", ext, layout.x)
    y_ext = np.einsum("rl,rl->r", ext, layout.y)
    n_ext = ext.sum(axis=1)
    p = xtx.shape[-1]
    di = layout.index("drift")
    eff = layout.index("effect")
    xty_d = xty[:, None, :] + offsets[None, :, None] * x_ext[:, None, :]  # (R, D, P)
    yty_d = yty[:, None] + 2.0 * offsets[None, :] * y_ext[:, None] + offsets[None, :] ** 2 * n_ext[:, None]
    df = np.maximum(n - p, 1.0)
    s_free = np.sqrt(ols_rss(xtx, xty, yty, np.arange(p)) / df)
    pooled = np.array([c for c in range(p) if c != di])
    s_pool = np.sqrt(ols_rss(xtx[:, None], xty_d, yty_d, pooled) / df[:, None])  # (R, D)
    lo = np.minimum(s_free, s_pool.min(axis=1))
    hi = np.maximum(s_free, s_pool.max(axis=1))
    nodes, _ = log_sigma_grid(lo, hi, df)
    sigma = np.exp(nodes)
    sigma2 = sigma**2  # (R, G)
    prior = borrowing_prior(analysis.borrowing, prior_var=base_prior_var(analysis, layout.columns), drift_indices=[di])
    var = prior.var[None, :, None, :] + prior.sigma_scale[None, :, None, :] * sigma2[:, None, :, None]  # (R,K,G,P)
    dsq = np.sqrt(var)
    s2 = sigma2[:, None, :, None, None]
    a = np.eye(p) + dsq[..., :, None] * xtx[:, None, None] * dsq[..., None, :] / s2
    chol = np.linalg.cholesky(a)
    l_inv = np.linalg.solve(chol, np.broadcast_to(np.eye(p), chol.shape))
    a_inv = np.swapaxes(l_inv, -1, -2) @ l_inv
    logdet = 2.0 * np.sum(np.log(np.diagonal(chol, axis1=-2, axis2=-1)), axis=-1)  # (R,K,G)
    eff_sd = dsq[..., eff] * np.sqrt(a_inv[..., eff, eff])  # (R,K,G)
    fixed = (half_normal_logpdf(sigma, scale=analysis.residual_sd_prior_scale) + nodes)[:, None, :] \
        + prior.log_weight[None, :, None] - 0.5 * (n[:, None, None] * (np.log(2 * np.pi) + np.log(sigma2)[:, None, :]) + logdet)
    r, k, g = logdet.shape
    out = np.empty((r, offsets.size))
    for j in range(offsets.size):
        rhs = dsq * xty_d[:, j][:, None, None, :] / sigma2[:, None, :, None]  # (R,K,G,P)
        u = np.einsum("rkgij,rkgj->rkgi", a_inv, rhs)
        quad = yty_d[:, j][:, None, None] / sigma2[:, None, :] - np.sum(rhs * u, axis=-1)
        w = normalize_log_weights((fixed - 0.5 * quad).reshape(r, k * g))
        mean = (dsq[..., eff] * u[..., eff]).reshape(r, k * g)
        z = (mean - decision.threshold) / eff_sd.reshape(r, k * g)
        out[:, j] = np.clip(np.sum(w * special.ndtr(z), axis=1), 0.0, 1.0)
    return out
