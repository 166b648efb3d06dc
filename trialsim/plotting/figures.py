"""Static figures (matplotlib) of a results tree; they read results and never compute OCs."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator


def power_curves(table: pd.DataFrame, *, target_power: float, alpha: float) -> Figure:
    """Success rate against concurrent sample size, one panel per scenario, with 95 % MC bands."""
    scenarios = list(dict.fromkeys(table.scenario))
    fig, axes = plt.subplots(1, len(scenarios), figsize=(3.2 * len(scenarios), 3.2), sharey=True, squeeze=False)
    for ax, name in zip(axes[0], scenarios, strict=True):
        sub = table[table.scenario == name]
        for (analysis, n_syn), g in sub.groupby(["analysis", "n_synthetic"]):
            if analysis == "reference" and n_syn > 0:
                continue
            g = g.sort_values("n_total")
            label = "frequentist reference" if analysis == "reference" else (f"primary + {n_syn} synthetic" if n_syn else "primary")
            ax.plot(g.n_total, g.power, marker="o", ms=3, label=label)
            ax.fill_between(g.n_total, g.power - 1.96 * g.power_mc_se, g.power + 1.96 * g.power_mc_se, alpha=0.2)
        null = bool(sub.effect_scale.iloc[0] == 0)
        ax.axhline(alpha if null else target_power, color="grey", ls="--", lw=0.8)
        ax.set_title(f"{name}\n({'type I error' if null else 'power'})", fontsize=9)
        ax.set_xlabel("concurrent patients (total)")
    axes[0][0].set_ylabel("P(success)")
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    return fig


def example_trajectories(examples: xr.Dataset, *, endpoint: str) -> Figure:
    """Spaghetti of patients' observed endpoint by arm, with arm means, for each example trial."""
    n = examples.sizes["trial"]
    fig, axes = plt.subplots(1, n, figsize=(3.4 * n, 3.0), sharey=True, squeeze=False)
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


def type1_across_drift(nulls: pd.DataFrame, *, bound: float) -> Figure:
    """Type I error against the synthetic controls' outcome drift, one line per design, with 95 % MC bars.

    ``nulls`` has columns ``analysis``, ``design``, ``drift_outcome_offset``,
    ``type1_error`` and ``type1_mc_se`` (one row per null scenario × design × analysis).
    """
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    for (analysis, design), g in nulls.groupby(["analysis", "design"], sort=False):
        g = g.sort_values("drift_outcome_offset")
        style = {"ls": "--", "alpha": 0.6} if analysis == "reference" else {"ls": "-"}
        label = f"{design} ({'frequentist reference' if analysis == 'reference' else 'primary'})"
        ax.errorbar(g.drift_outcome_offset, g.type1_error, yerr=1.96 * g.type1_mc_se, marker="o", ms=3,
                    capsize=2, label=label, **style)
    ax.axhline(bound, color="firebrick", lw=1, ls=":", label=f"bound {bound:g}")
    ax.set_xlabel("drift of synthetic controls (outcome offset, endpoint units)")
    ax.set_ylabel("type I error")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=6, ncol=2)
    fig.tight_layout()
    return fig


def bias_coverage(rows: pd.DataFrame, *, nominal: float = 0.95) -> Figure:
    """Bias (± 1.96 MC SE) and interval coverage per scenario × design (primary analysis)."""
    labels = [f"{s} · {d}" for s, d in zip(rows.scenario, rows.design, strict=True)]
    y = np.arange(len(rows))
    fig, (left, right) = plt.subplots(1, 2, figsize=(8.0, 0.28 * len(rows) + 1.4), sharey=True)
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
    fig, ax = plt.subplots(figsize=(max(4.0, 1.1 * len(groups) + 1.5), 3.4))
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
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
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
