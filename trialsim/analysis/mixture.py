"""Summaries of finite mixtures of normal or Student-*t* components, per replicate.

Every fast posterior of the treatment effect is such a mixture: over the σ grid of
the ANCOVA, and over the components of the robust mixture prior.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special, stats

__all__ = ["EffectMixture"]


@dataclass(frozen=True)
class EffectMixture:
    """``Σ_k w_k · LocScale(mean_k, scale_k; df)`` for each replicate.

    Attributes
    ----------
    weight, mean, scale
        ``(R, K)``; weights sum to one over ``K``.
    df
        ``(R,)`` degrees of freedom of every component; ``inf`` for normal.
    """

    weight: np.ndarray
    mean: np.ndarray
    scale: np.ndarray
    df: np.ndarray

    def _cdf(self, z: np.ndarray) -> np.ndarray:
        df = np.broadcast_to(self.df[:, None], z.shape)
        normal = ~np.isfinite(df)
        out = np.empty_like(z)
        out[normal] = special.ndtr(z[normal])
        if not normal.all():
            out[~normal] = special.stdtr(df[~normal], z[~normal])
        return out

    def posterior_mean(self) -> np.ndarray:
        return np.sum(self.weight * self.mean, axis=1)

    def posterior_sd(self) -> np.ndarray:
        """Mixture SD; a *t* component with ``df ≤ 2`` counts with its scale."""
        df = self.df[:, None]
        heavy = np.isfinite(df) & (df > 2)
        inflate = np.where(heavy, np.where(heavy, df, 3.0) / (np.where(heavy, df, 3.0) - 2.0), 1.0)
        second = np.sum(self.weight * (self.scale**2 * inflate + self.mean**2), axis=1)
        return np.sqrt(np.maximum(second - self.posterior_mean() ** 2, 0.0))

    def sf(self, threshold: float) -> np.ndarray:
        """``P(effect > threshold)``."""
        z = (self.mean - threshold) / self.scale
        return np.clip(np.sum(self.weight * self._cdf(z), axis=1), 0.0, 1.0)

    def cdf_at(self, x: np.ndarray) -> np.ndarray:
        """``P(effect ≤ x_r)`` for a per-replicate point ``x``."""
        z = (x[:, None] - self.mean) / self.scale
        return np.sum(self.weight * self._cdf(z), axis=1)

    def quantile(self, q: float, *, iterations: int = 48) -> np.ndarray:
        """Per-replicate ``q``-quantile by vectorised bisection (relative error ~2⁻⁴⁸)."""
        df = self.df
        reach = np.where(np.isfinite(df), stats.t.ppf(1 - 1e-9, np.where(np.isfinite(df), df, 1.0)), 7.0)
        reach = np.maximum(reach, 7.0)
        lo = np.min(self.mean - reach[:, None] * self.scale, axis=1)
        hi = np.max(self.mean + reach[:, None] * self.scale, axis=1)
        for _ in range(iterations):
            mid = 0.5 * (lo + hi)
            below = self.cdf_at(mid) < q
            lo = np.where(below, mid, lo)
            hi = np.where(below, hi, mid)
        return 0.5 * (lo + hi)
