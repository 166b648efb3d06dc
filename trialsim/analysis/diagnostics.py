"""Convergence diagnostics of PyMC fits, computed by ArviZ: R-hat, bulk/tail ESS, divergences.

The fast engine draws no samples and has none; the PyMC engine (``engine: pymc``) and
the NUTS fits of example trials do. Everything here takes ArviZ ``InferenceData``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import xarray as xr

__all__ = ["VARIABLES", "convergence", "convergence_dataset", "posterior_dataset"]

#: the parameters whose convergence is reported (the decision rests on ``effect``)
VARIABLES = ("effect", "sigma", "control_mean")


def convergence(idata: Any, *, var_names: Sequence[str] = VARIABLES) -> dict[str, float]:
    """Worst R-hat (rank-normalised, split), smallest bulk and tail ESS over ``var_names``, and divergences.

    Examples
    --------
    >>> import arviz as az, numpy as np
    >>> idata = az.from_dict(posterior={"effect": np.random.default_rng(0).normal(size=(2, 500))})
    >>> round(convergence(idata, var_names=["effect"])["r_hat_max"], 2)
    1.0
    """
    import arviz as az

    post = idata.posterior[list(var_names)]
    rhat, bulk, tail = az.rhat(post), az.ess(post, method="bulk"), az.ess(post, method="tail")
    stats = getattr(idata, "sample_stats", None)
    diverging = stats.get("diverging") if stats is not None else None
    return {
        "r_hat_max": float(max(float(rhat[v].max()) for v in var_names)),
        "ess_bulk_min": float(min(float(bulk[v].min()) for v in var_names)),
        "ess_tail_min": float(min(float(tail[v].min()) for v in var_names)),
        "divergences": float(np.asarray(diverging).sum()) if diverging is not None else float("nan"),
        "draws": float(post.sizes["chain"] * post.sizes["draw"]),
    }


def convergence_dataset(fits: Sequence[Any], *, dim: str = "trial") -> xr.Dataset:
    """One row of :func:`convergence` per fit, along ``dim``."""
    rows = [convergence(f) for f in fits]
    keys = rows[0] if rows else {}
    return xr.Dataset({k: (dim, np.array([r[k] for r in rows])) for k in keys}, coords={dim: np.arange(len(rows))})


def posterior_dataset(fits: Sequence[Any], *, dim: str = "trial", var_names: Sequence[str] = VARIABLES) -> xr.Dataset:
    """Posterior draws of several fits stacked along ``dim`` (chain × draw kept), with divergences.

    Stored in the results tree, so ArviZ plots of example trials work from a saved ``results.nc``.
    """
    parts = []
    for f in fits:
        ds = f.posterior[list(var_names)].reset_coords(drop=True)
        if getattr(f, "sample_stats", None) is not None and "diverging" in f.sample_stats:
            ds["diverging"] = f.sample_stats["diverging"].reset_coords(drop=True)
        parts.append(ds)
    return xr.concat(parts, dim=dim).assign_coords({dim: np.arange(len(parts))})
