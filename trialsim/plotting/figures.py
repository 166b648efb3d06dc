"""Static figures (matplotlib) of a results tree; they read results and never compute OCs.

Figures are :class:`~matplotlib.figure.Figure` objects built without ``pyplot`` (no backend
is chosen at import, no global figure state).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator


def example_trajectories(examples: xr.Dataset, *, endpoint: str) -> Figure:
    """Spaghetti of patients' observed endpoint by arm, with arm means, for each example trial."""
    n = examples.sizes["trial"]
    fig = Figure(figsize=(3.4 * n, 3.0))
    axes = fig.subplots(1, n, sharey=True, squeeze=False)
    weeks = examples.visit.values
    for t, ax in enumerate(axes[0]):
        y = examples.outcome.isel(trial=t).values
        arm = examples.arm.isel(trial=t).values
        for a, colour in ((0, "tab:blue"), (1, "tab:orange")):
            rows = y[arm == a]
            ax.plot(weeks, rows.T, color=colour, alpha=0.15, lw=0.7)
            ax.plot(weeks, np.nanmean(rows, axis=0), color=colour, lw=2.2, label="treatment" if a else "control")
        ax.set_title(f"simulated trial {t}", fontsize=9)
        ax.set_xlabel("week")
    axes[0][0].set_ylabel(endpoint)
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    return fig


def bias_coverage(rows: pd.DataFrame, *, nominal: float = 0.95) -> Figure:
    """Bias (± 1.96 MC SE) and interval coverage per scenario × design (primary analysis)."""
    labels = [f"{s} · {d}" for s, d in zip(rows.scenario, rows.design, strict=True)]
    y = np.arange(len(rows))
    fig = Figure(figsize=(8.0, 0.28 * len(rows) + 1.4))
    left, right = fig.subplots(1, 2, sharey=True)
    left.errorbar(rows.bias, y, xerr=1.96 * rows.bias_mc_se, fmt="o", ms=3, capsize=2)
    left.axvline(0, color="grey", lw=0.8)
    left.set_xlabel("bias of the effect estimate")
    left.xaxis.set_major_locator(MaxNLocator(5))
    left.set_yticks(y, labels, fontsize=7)
    right.errorbar(rows.coverage, y, xerr=1.96 * rows.coverage_mc_se, fmt="o", ms=3, capsize=2, color="tab:green")
    right.axvline(nominal, color="grey", lw=0.8, ls="--")
    right.set_xlabel("coverage of the 95 % interval")
    left.invert_yaxis()
    fig.tight_layout()
    return fig


def ess_borrowed(ess: pd.DataFrame) -> Figure:
    """Effective number of synthetic controls borrowed per replicate, by scenario and design.

    ``ess`` has one row per replicate: ``scenario``, ``design``, ``n_synthetic``, ``ess``.
    The dashed line marks the synthetic patients available (full pooling).
    """
    groups = list(ess.groupby(["scenario", "design"], sort=False))
    fig = Figure(figsize=(max(4.0, 1.1 * len(groups) + 1.5), 3.4))
    ax = fig.subplots()
    ax.boxplot([g.ess.to_numpy() for _, g in groups], showfliers=False)
    for i, (_, g) in enumerate(groups, start=1):
        n = float(g.n_synthetic.iloc[0])
        ax.plot([i - 0.4, i + 0.4], [n, n], color="firebrick", ls="--", lw=1)
    ax.set_xticks(range(1, len(groups) + 1), [f"{s}\n{d}" for (s, d), _ in groups], fontsize=7)
    ax.set_ylabel("ESS borrowed (patients)")
    ax.set_ylim(bottom=0)
    fig.tight_layout()
    return fig


def drift_curve(drift: xr.Dataset, *, variable: str, level: float, highlight: str | None = None,
                validated: tuple[float, float] | None = None, extra_level: float | None = None) -> Figure:
    """``type1`` or ``power`` of every borrowing design against drift, with 95 % MC bands.

    The y-axis is scaled to the data (not 0–1); dotted: the budget (type I) or the target
    (power), and 2 × budget when ``extra_level`` is given; shaded: the validated range.
    """
    dim = str(drift.attrs.get("drift_dim", next(d for d in drift.dims if d != "design")))
    x = drift[dim].values
    fig = Figure(figsize=(6.4, 3.6))
    ax = fig.subplots()
    if validated is not None:
        ax.axvspan(validated[0], validated[1], color="tab:green", alpha=0.12, label="validated range")
    lows, highs = [], []
    for i, label in enumerate(drift.design.values):
        if int(drift.n_synthetic.values[i]) == 0:
            continue
        y = drift[variable].values[i]
        se = drift[f"{variable}_mcse"].values[i]
        main = highlight is not None and str(label) == highlight
        ax.plot(x, y, lw=2.2 if main else 0.9, alpha=1.0 if main else 0.55, label=str(label) if main or highlight is None else None)
        ax.fill_between(x, y - 1.96 * se, y + 1.96 * se, alpha=0.25 if main else 0.06)
        lows.append(np.nanmin(y - 1.96 * se))
        highs.append(np.nanmax(y + 1.96 * se))
    ax.axhline(level, color="firebrick", lw=1, ls=":", label=("budget " if variable == "type1" else "target ") + f"{level:g}")
    if extra_level is not None:
        ax.axhline(extra_level, color="firebrick", lw=0.8, ls="--", label=f"2 × budget {extra_level:g}")
    marks = [level] + ([extra_level] if extra_level is not None else [])
    lo, hi = min(lows + marks), max(highs + marks)
    pad = 0.08 * (hi - lo if hi > lo else 0.05)
    ax.set_ylim(max(lo - pad, 0.0), min(hi + pad, 1.0))
    ax.axvline(0, color="grey", lw=0.6)
    ax.set_xlabel(f"drift of the synthetic controls ({dim}; change at the primary visit)")
    ax.set_ylabel("type I error" if variable == "type1" else "power")
    ax.legend(fontsize=6, ncol=2)
    fig.tight_layout()
    return fig
