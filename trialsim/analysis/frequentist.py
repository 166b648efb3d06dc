"""Frequentist references: ANCOVA by least squares, MMRM by GLS, batched and statsmodels.

The batched functions are what the engine runs; :func:`frequentist_ancova` and
:func:`frequentist_mmrm` fit one replicate with statsmodels (``OLS``, ``GLS``) and
are the independent references the tests compare the batched path against (and the
per-replicate path of ``engine="pymc"`` for frequentist methods).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["WaldFit", "batched_gls", "frequentist_ancova", "frequentist_mmrm"]


@dataclass(frozen=True)
class WaldFit:
    """Estimate, standard error and *t* degrees of freedom of one coefficient (per replicate)."""

    estimate: np.ndarray
    se: np.ndarray
    df: np.ndarray
    sigma: np.ndarray


def batched_gls(
    stats: tuple[np.ndarray, ...], *, index: int, known_scale: bool, df: np.ndarray | None = None,
) -> WaldFit:
    """Least squares from sufficient statistics, for coefficient ``index``.

    With ``known_scale`` (GLS with an estimated Σ already folded in) the covariance
    is ``(XᵀPX)⁻¹``; otherwise (OLS) it is scaled by ``s² = RSS / (n − P)``.
    """
    xtx, xty, yty, n = stats
    p = xtx.shape[-1]
    inv = np.linalg.inv(xtx)
    beta = np.einsum("rij,rj->ri", inv, xty)
    if known_scale:
        scale2 = np.ones_like(yty)
        dof = np.asarray(df, dtype=float) if df is not None else n - p
    else:
        dof = n - p
        scale2 = np.maximum(yty - np.sum(beta * xty, axis=-1), 0.0) / np.maximum(dof, 1.0)
    se = np.sqrt(scale2 * inv[:, index, index])
    return WaldFit(estimate=beta[:, index], se=se, df=np.asarray(dof, dtype=float), sigma=np.sqrt(scale2))


def frequentist_ancova(y: np.ndarray, x: np.ndarray, *, effect_index: int = 1) -> WaldFit:
    """ANCOVA of one replicate with statsmodels OLS (rows = completers).

    Examples
    --------
    >>> x = np.column_stack([np.ones(4), [0, 0, 1, 1]])
    >>> fit = frequentist_ancova(np.array([0.0, 0.2, 0.5, 0.7]), x)
    >>> round(float(fit.estimate[0]), 6)
    0.5
    """
    import statsmodels.api as sm

    res = sm.OLS(y, x).fit()
    return WaldFit(
        estimate=np.array([res.params[effect_index]]), se=np.array([res.bse[effect_index]]),
        df=np.array([res.df_resid]), sigma=np.array([np.sqrt(res.scale)]),
    )


def frequentist_mmrm(
    y: np.ndarray, z: np.ndarray, observed: np.ndarray, sigma: np.ndarray, *,
    effect_column: int, df: float,
) -> WaldFit:
    """MMRM of one replicate by statsmodels GLS given the visit covariance ``sigma``.

    Parameters
    ----------
    y, observed
        ``(N, T)`` changes from baseline and their observed mask.
    z
        ``(N, k)`` patient covariates; the mean has one coefficient per covariate and
        visit, ordered covariate-major (column ``c * T + t``).
    sigma
        ``(T, T)`` residual covariance (estimated by :func:`~trialsim.analysis.mmrm.estimate_covariance`).
    effect_column, df
        Coefficient reported, and the *t* degrees of freedom of its interval.
    """
    import statsmodels.api as sm

    n, t = y.shape
    k = z.shape[1]
    rows, design, blocks = [], [], []
    for i in range(n):
        vis = np.flatnonzero(observed[i])
        if vis.size == 0:
            continue
        rows.append(y[i, vis])
        xi = np.zeros((vis.size, k * t))
        for j, v in enumerate(vis):
            xi[j, np.arange(k) * t + v] = z[i]
        design.append(xi)
        blocks.append(sigma[np.ix_(vis, vis)])
    big = np.zeros((sum(b.shape[0] for b in blocks),) * 2)
    pos = 0
    for b in blocks:
        big[pos : pos + b.shape[0], pos : pos + b.shape[0]] = b
        pos += b.shape[0]
    res = sm.GLS(np.concatenate(rows), np.vstack(design), sigma=big).fit()
    # GLS with a known covariance: unit scale, not the residual-based one
    cov = res.normalized_cov_params
    return WaldFit(
        estimate=np.array([res.params[effect_column]]),
        se=np.array([np.sqrt(cov[effect_column, effect_column])]),
        df=np.array([df]), sigma=np.array([np.sqrt(sigma[effect_column % t, effect_column % t])]),
    )
