"""Prior effective sample size of a normal-mixture prior, as RBesT computes it.

For a prior ``p(θ) = Σ_k w_k N(θ | m_k, s_k²)`` on a normal mean with sampling SD σ
(one observation carries information ``1/σ²``):

``moment``  ``σ² / Var_p(θ)`` — conservative;
``morita``  ``σ² (i_p(θ̂) − i_q(θ̂))`` at the prior mode θ̂, where
            ``i(θ) = −∂² log p(θ)/∂θ²`` and ``q`` is the moment-matched normal
            with variance inflated by ``s² = 100²`` (Morita, Thall & Müller 2008,
            Biometrics 64:595, as RBesT evaluates it at the mode) — liberal;
``elir``    ``σ² E_p[i_p(θ)]``, the expected local information ratio
            (Neuenschwander, Weber, Schmidli & O'Hagan 2020, Biometrics 76:578) —
            predictively consistent.

For a single normal component ``N(m, σ²/n)`` all three equal ``n``. Checked against
RBesT's published examples in ``tests/analysis/test_prior_ess.py``.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = ["normal_mixture_ess", "synthetic_control_prior"]

METHODS = ("moment", "morita", "elir")


def _derivatives(theta: np.ndarray, w: np.ndarray, m: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, ...]:
    dens = w[None, :] * stats.norm.pdf(theta[:, None], m[None, :], s[None, :])
    z = (theta[:, None] - m[None, :]) / s[None, :] ** 2
    p = dens.sum(axis=1)
    p1 = -(dens * z).sum(axis=1)
    p2 = (dens * (z**2 - 1.0 / s[None, :] ** 2)).sum(axis=1)
    return p, p1, p2


def _information(theta: np.ndarray, w: np.ndarray, m: np.ndarray, s: np.ndarray) -> np.ndarray:
    """``−∂² log p / ∂θ²``."""
    p, p1, p2 = _derivatives(theta, w, m, s)
    p = np.maximum(p, 1e-300)
    return -(p2 / p) + (p1 / p) ** 2


def normal_mixture_ess(
    weights: np.ndarray, means: np.ndarray, sds: np.ndarray, *, sigma: float, method: str = "elir",
) -> float:
    """Prior ESS of a normal mixture in units of one observation with SD ``sigma``.

    Examples
    --------
    >>> round(normal_mixture_ess([1.0], [0.0], [10 / np.sqrt(25)], sigma=10, method="elir"), 6)
    25.0
    """
    if method not in METHODS:
        raise ValueError(f"method {method!r} (allowed: {', '.join(METHODS)})")
    w = np.asarray(weights, dtype=float)
    w = w / w.sum()
    m = np.asarray(means, dtype=float)
    s = np.asarray(sds, dtype=float)
    mean = float(np.sum(w * m))
    var = float(np.sum(w * (s**2 + m**2)) - mean**2)
    if method == "moment":
        return sigma**2 / var
    nodes = np.unique(np.concatenate([np.linspace(mk - 14 * sk, mk + 14 * sk, 6001) for mk, sk in zip(m, s, strict=True)]))
    if method == "elir":
        p, _, _ = _derivatives(nodes, w, m, s)
        f = p * _information(nodes, w, m, s)
        return float(sigma**2 * np.trapezoid(f, nodes))
    p, _, _ = _derivatives(nodes, w, m, s)
    i = int(np.argmax(p))
    lo, hi = nodes[max(i - 1, 0)], nodes[min(i + 1, nodes.size - 1)]
    fine = np.linspace(lo, hi, 2001)
    mode = fine[np.argmax(_derivatives(fine, w, m, s)[0])]
    vague = 1.0 / (100.0**2 * var)
    return float(sigma**2 * (_information(np.array([mode]), w, m, s)[0] - vague))


def synthetic_control_prior(
    *, n_synthetic: int, robust_weight: float, tau_sigma_fraction: float, vague_sd_in_sigma: float | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The prior the synthetic controls imply for the concurrent control mean, in σ units.

    ``(1 − w)·N(0, 1/M + τ²) + w·N(0, 1/M + v²)`` with ``τ`` and the vague SD ``v``
    (default 1: unit information) in units of σ; centred on the synthetic mean (0).

    Returns
    -------
    (weights, means, sds)
    """
    base = 1.0 / max(n_synthetic, 1)
    v = 1.0 if vague_sd_in_sigma is None else vague_sd_in_sigma
    weights = np.array([1.0 - robust_weight, robust_weight])
    sds = np.sqrt(np.array([base + tau_sigma_fraction**2, base + v**2]))
    keep = weights > 0
    return weights[keep], np.zeros(int(keep.sum())), sds[keep]
