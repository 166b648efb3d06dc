"""Matplotlib renderings of the prepared results frames (report figures, notebooks).

Figures are built with :class:`matplotlib.figure.Figure` directly, never through
``pyplot``'s global state, so no backend is chosen at import and nothing leaks between
figures.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from trialsim.plotting.prepare import (
    DriftData,
    PosteriorData,
    PowerData,
    TrajectoryData,
    axis_range,
)

ARM_COLOURS = {"control": "tab:blue", "treatment": "tab:orange"}


def _grid(n: int, *, columns: int = 3, width: float = 3.4, height: float = 3.0) -> tuple[Figure, list[Axes]]:
    cols = min(columns, n)
    rows = math.ceil(n / cols)
    fig = Figure(figsize=(width * cols, height * rows + 0.6), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False)
    flat = list(axes.ravel())
    for extra in flat[n:]:
        extra.set_visible(False)
    return fig, flat[:n]


def power(data: PowerData) -> Figure:
    """Success rate against concurrent sample size, one panel per scenario, 95 % MC bands."""
    scenarios = list(dict.fromkeys(data.frame.scenario))
    fig, axes = _grid(len(scenarios))
    for ax, name in zip(axes, scenarios, strict=True):
        sub = data.frame[data.frame.scenario == name]
        lo, hi = sub.power - 1.96 * sub.power_mc_se, sub.power + 1.96 * sub.power_mc_se
        for series, g in sub.groupby("series", sort=False):
            reference = g.analysis.iloc[0] == "reference"
            line = ax.plot(g.n_total, g.power, marker="o", ms=3, label=series, ls=":" if reference else "-",
                           color="grey" if reference else None)[0]
            ax.fill_between(g.n_total, g.power - 1.96 * g.power_mc_se, g.power + 1.96 * g.power_mc_se,
                            color=line.get_color(), alpha=0.18, lw=0)
            mark = g[g.design == data.highlight]
            if len(mark):
                ax.plot(mark.n_total, mark.power, "o", ms=8, mfc="none", color="black")
        null = bool(sub.is_null.iloc[0])
        ax.axhline(data.bounds[name], color="grey", ls="--", lw=0.8)
        ax.set_ylim(*axis_range(lo, hi, lines=[data.bounds[name]]))
        ax.set_title(f"{name} ({'type I error' if null else 'power'})", fontsize=9)
        ax.set_xlabel("concurrent patients (total)")
        ax.set_ylabel("P(success)")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=min(4, len(labels)), fontsize=7)
    return fig


def type1_vs_drift(data: DriftData) -> Figure:
    """Type I error against the synthetic controls' drift, one line per design (≤ 8), 95 % MC bars."""
    fig = Figure(figsize=(6.4, 3.8), layout="constrained")
    ax = fig.subplots()
    frame = data.frame
    for design, g in frame.groupby("design", sort=False):
        g = g.sort_values("drift")
        ax.errorbar(g.drift, g.type1_error, yerr=1.96 * g.type1_mc_se, marker="o", ms=3, capsize=2, label=str(design))
    ax.axhline(data.bound, color="firebrick", lw=1, ls=":", label=f"bound {data.bound:g}")
    ax.set_ylim(*axis_range(frame.type1_error - 1.96 * frame.type1_mc_se, frame.type1_error + 1.96 * frame.type1_mc_se,
                            lines=[data.bound]))
    ax.set_xlabel("drift of synthetic controls (outcome offset, endpoint units)")
    ax.set_ylabel("type I error")
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    return fig


def posteriors(data: PosteriorData) -> Figure:
    """Each replicate's posterior mean and 95 % interval (sorted, coloured by decision) in one scenario."""
    sub = data.frame[data.frame.scenario == data.scenario].sort_values("effect_mean")
    rank = np.arange(len(sub))
    fig = Figure(figsize=(6.4, 3.6), layout="constrained")
    ax = fig.subplots()
    for ok, colour, label in ((True, "tab:green", "success"), (False, "tab:red", "no success")):
        m = (sub.success == ok).to_numpy()
        ax.errorbar(rank[m], sub.effect_mean[m], yerr=[sub.effect_mean[m] - sub.ci_low[m], sub.ci_high[m] - sub.effect_mean[m]],
                    fmt="o", ms=2.5, lw=0.6, color=colour, ecolor=colour, alpha=0.8, label=label)
    ax.axhline(data.true_effects[data.scenario], color="black", lw=1.2, label="true effect")
    ax.axhline(data.threshold, color="grey", ls="--", lw=0.8, label="decision threshold")
    ax.set_xlabel("replicate (sorted by posterior mean)")
    ax.set_ylabel("treatment effect (95 % interval)")
    ax.set_title(f"{data.design} under '{data.scenario}'", fontsize=9)
    ax.legend(fontsize=7)
    return fig


def trajectories(data: TrajectoryData) -> Figure:
    """Each virtual patient's endpoint over the visits by arm, with arm means."""
    fig = Figure(figsize=(6.4, 3.8), layout="constrained")
    ax = fig.subplots()
    for arm, colour in ARM_COLOURS.items():
        pts = data.patients[data.patients.arm == arm]
        for _, g in pts.groupby("patient"):
            ax.plot(g.week, g.value, color=colour, alpha=0.15, lw=0.7)
        mean = data.means[data.means.arm == arm]
        ax.plot(mean.week, mean.value, color=colour, lw=2.4, marker="o", ms=3, label=f"{arm}: mean")
    ax.set_xlabel("week")
    ax.set_ylabel(("change in " if data.change_from_baseline else "") + data.endpoint)
    ax.set_title(data.title, fontsize=9)
    ax.legend(fontsize=7)
    return fig


def arviz_posteriors(draws: xr.Dataset, *, var_names: Sequence[str], threshold: float) -> Figure:
    """``arviz.plot_posterior`` of each example trial (one column per trial, one row per variable)."""
    import arviz as az

    trials = list(draws.trial.values)
    fig = Figure(figsize=(3.2 * len(trials), 2.6 * len(var_names)), layout="constrained")
    axes = fig.subplots(len(var_names), len(trials), squeeze=False)
    for j, t in enumerate(trials):
        idata = az.convert_to_inference_data(draws.sel(trial=t)[list(var_names)].drop_vars("trial"))
        az.plot_posterior(idata, var_names=list(var_names), ax=axes[:, j], hdi_prob=0.95,
                          ref_val={"effect": [{"ref_val": threshold}]} if "effect" in var_names else None,
                          textsize=8)
        axes[0, j].set_title(f"example trial {t}: {axes[0, j].get_title()}", fontsize=8)
    return fig
