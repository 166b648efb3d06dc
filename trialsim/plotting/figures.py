"""Static figures (matplotlib) of a results tree; they read results and never compute OCs."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.figure import Figure


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
