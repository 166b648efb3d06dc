"""The generator's networks: a conditional normalising flow over a PCA code of the gait.

Why this model
--------------
The library is small (tens to a few hundred solves, each minutes of Moco), the output
is high-dimensional (≈ 35 curves × 51 points) but smooth and strongly correlated, and
the evaluation needs calibrated predictive intervals. So:

1. **PCA of the curves** (:class:`GaitCodec`, numpy SVD): a handful of components
   carry almost all of the curve variance; the flow works on ``y`` = standardised
   independent spatiotemporal targets + whitened principal components (≈ 10–20 dims);
2. **a conditional normalising flow** (:class:`ConditionalFlow`): an affine layer whose
   shift is a ridge-regularised linear map of the parameters plus a small tanh MLP,
   and whose log-scale is a global per-dimension value plus a bounded heteroscedastic
   term, followed (for larger libraries) by zero-initialised affine coupling layers
   conditioned on the parameters. It has an exact likelihood (maximum-likelihood /
   MAP training, no adversarial or ELBO gap, no posterior collapse) and exact
   predictive intervals. With few data it *is* a heteroscedastic Gaussian regression
   (couplings stay at the identity), which is the most a few dozen solves support;
   a VAE or diffusion model would have to learn the same thing with far more
   parameters and a noisier objective.

Torch is imported by this module only; import it lazily.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

LOG_SCALE_FLOOR = float(np.log(0.02))
COUPLING_SCALE_BOUND = 1.0
HETERO_BOUND = 0.5


@dataclass(frozen=True)
class GaitCodec:
    """Standardise targets; PCA-code curves. ``encode``/``decode`` between gaits and ``y``."""

    target_mean: np.ndarray   # (T,)
    target_sd: np.ndarray     # (T,)
    curve_mean: np.ndarray    # (P, C)
    curve_scale: np.ndarray   # (C,)
    components: np.ndarray    # (K, P*C) orthonormal rows
    component_sd: np.ndarray  # (K,)

    @classmethod
    def fit(cls, targets: np.ndarray, curves: np.ndarray, *, max_components: int = 16,
            variance: float = 0.995) -> GaitCodec:
        n = len(targets)
        t_mean = targets.mean(axis=0)
        t_sd = targets.std(axis=0)
        t_sd = np.where(t_sd > 1e-9, t_sd, 1.0)
        c_mean = curves.mean(axis=0)
        centred = curves - c_mean
        c_scale = np.sqrt((centred**2).mean(axis=(0, 1)))
        c_scale = np.where(c_scale > 1e-9, c_scale, 1.0)
        flat = (centred / c_scale).reshape(n, -1)
        _, s, vt = np.linalg.svd(flat, full_matrices=False)
        var = s**2
        total = var.sum()
        k = 1 if total <= 0 else int(np.searchsorted(np.cumsum(var) / total, variance) + 1)
        k = max(1, min(k, max_components, max(n - 1, 1), len(s)))
        comps = vt[:k]
        sd = s[:k] / np.sqrt(max(n, 1))
        sd = np.where(sd > 1e-9, sd, 1.0)
        return cls(t_mean, t_sd, c_mean, c_scale, comps, sd)

    @property
    def dim(self) -> int:
        return len(self.target_mean) + len(self.component_sd)

    @property
    def n_targets(self) -> int:
        return len(self.target_mean)

    def encode(self, targets: np.ndarray, curves: np.ndarray) -> np.ndarray:
        t = (targets - self.target_mean) / self.target_sd
        flat = ((curves - self.curve_mean) / self.curve_scale).reshape(len(curves), -1)
        pcs = flat @ self.components.T / self.component_sd
        return np.column_stack([t, pcs])

    def decode_targets(self, y: np.ndarray) -> np.ndarray:
        return y[..., : self.n_targets] * self.target_sd + self.target_mean

    def decode_curves(self, y: np.ndarray) -> np.ndarray:
        pcs = y[..., self.n_targets:] * self.component_sd
        flat = pcs @ self.components
        shape = (*y.shape[:-1], *self.curve_mean.shape)
        return flat.reshape(shape) * self.curve_scale + self.curve_mean

    def arrays(self) -> dict[str, np.ndarray]:
        return {"target_mean": self.target_mean, "target_sd": self.target_sd, "curve_mean": self.curve_mean,
                "curve_scale": self.curve_scale, "components": self.components, "component_sd": self.component_sd}


class AffineCoupling(nn.Module):
    """Affine coupling: the unmasked dims are scaled/shifted by a net of the masked dims and ``x``."""

    mask: torch.Tensor

    def __init__(self, y_dim: int, x_dim: int, hidden: int, mask: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("mask", mask)
        out = nn.Linear(hidden, 2 * y_dim)
        nn.init.zeros_(out.weight)
        nn.init.zeros_(out.bias)
        self.net = nn.Sequential(nn.Linear(y_dim + x_dim, hidden), nn.Tanh(), out)

    def _st(self, masked: torch.Tensor, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        s, t = self.net(torch.cat([masked, x], dim=-1)).chunk(2, dim=-1)
        inv = 1.0 - self.mask
        return COUPLING_SCALE_BOUND * torch.tanh(s) * inv, t * inv

    def forward(self, z: torch.Tensor, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        s, t = self._st(z * self.mask, x)
        return z * torch.exp(s) + t, s.sum(-1)

    def inverse(self, u: torch.Tensor, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        s, t = self._st(u * self.mask, x)
        return (u - t) * torch.exp(-s), s.sum(-1)


class ConditionalFlow(nn.Module):
    """p(y | x): ``y = μ(x) + σ(x) ⊙ g(z; x)``, ``z ~ N(0, I)``, ``g`` = affine couplings."""

    inflation: torch.Tensor

    def __init__(self, x_dim: int, y_dim: int, *, hidden: int = 32, n_coupling: int = 0) -> None:
        super().__init__()
        self.x_dim, self.y_dim = x_dim, y_dim
        self.linear = nn.Linear(x_dim, y_dim)
        nn.init.zeros_(self.linear.weight)
        nn.init.zeros_(self.linear.bias)
        out = nn.Linear(hidden, 2 * y_dim)
        nn.init.zeros_(out.weight)
        nn.init.zeros_(out.bias)
        self.mlp = nn.Sequential(nn.Linear(x_dim, hidden), nn.Tanh(), out)
        self.log_sigma0 = nn.Parameter(torch.zeros(y_dim))
        self.register_buffer("inflation", torch.ones(y_dim))
        masks = [(torch.arange(y_dim) % 2 == k % 2).to(torch.get_default_dtype()) for k in range(n_coupling)]
        self.couplings: list[AffineCoupling] = nn.ModuleList(  # type: ignore[assignment]
            [AffineCoupling(y_dim, x_dim, hidden, m) for m in masks] if y_dim > 1 else []
        )

    def loc_scale(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        shift, hetero = self.mlp(x).chunk(2, dim=-1)
        mu = self.linear(x) + shift
        log_sigma = torch.clamp(self.log_sigma0 + HETERO_BOUND * torch.tanh(hetero), min=LOG_SCALE_FLOOR)
        return mu, log_sigma + torch.log(self.inflation)

    def log_prob(self, y: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        mu, log_sigma = self.loc_scale(x)
        u = (y - mu) * torch.exp(-log_sigma)
        logdet = log_sigma.sum(-1)
        for layer in reversed(self.couplings):
            u, ld = layer.inverse(u, x)
            logdet = logdet + ld
        base = -0.5 * (u**2).sum(-1) - 0.5 * self.y_dim * float(np.log(2 * np.pi))
        return base - logdet

    def transform(self, z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Map base noise ``z`` to ``y`` (``z = 0`` gives the typical gait)."""
        u = z
        for layer in self.couplings:
            u, _ = layer(u, x)
        mu, log_sigma = self.loc_scale(x)
        return mu + torch.exp(log_sigma) * u

    def penalty(self, *, linear: float, network: float, free_last_input: bool = False) -> torch.Tensor:
        """Ridge (Gaussian-prior) penalty: linear weights vs everything non-linear.

        ``free_last_input`` leaves the linear effect of the last input unpenalised (flat
        prior): the generator's speed, which every solve varies and which drives every output.
        """
        w = self.linear.weight[:, :-1] if free_last_input else self.linear.weight
        pen = linear * (w**2).sum()
        for name, p in self.named_parameters():
            if name.startswith(("mlp.", "couplings.")) and name.endswith("weight"):
                pen = pen + network * (p**2).sum()
        return pen
