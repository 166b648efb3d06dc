"""Plotly renderings of the prepared results frames (the dashboard); same data as :mod:`.static`."""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from trialsim.plotting.prepare import (
    REFERENCE_SERIES,
    DriftData,
    PosteriorData,
    PowerData,
    TrajectoryData,
    axis_range,
)

ARM_COLOURS = {"control": "#1f77b4", "treatment": "#ff7f0e"}
REFERENCE_COLOUR = "#7f7f7f"
PALETTE = ["#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#d62728"]


def rgba(hex_colour: str, alpha: float) -> str:
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def power(data: PowerData, *, columns: int = 3) -> go.Figure:
    """P(success) against concurrent sample size, one panel per scenario, 95 % Monte Carlo bands."""
    frame = data.frame
    scenarios = list(dict.fromkeys(frame.scenario))
    nulls = dict(zip(frame.scenario, frame.is_null, strict=False))
    rows, cols = math.ceil(len(scenarios) / columns), min(columns, len(scenarios))
    titles = [f"{s} ({'type I error' if nulls[s] else 'power'})" for s in scenarios]
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles, horizontal_spacing=0.07,
                        vertical_spacing=0.3 / rows if rows > 1 else 0.1)
    series = list(dict.fromkeys(frame.series))
    colours = {s: REFERENCE_COLOUR if s == REFERENCE_SERIES else PALETTE[i % len(PALETTE)] for i, s in enumerate(series)}
    for i, name in enumerate(scenarios):
        row, col = i // cols + 1, i % cols + 1
        sub = frame[frame.scenario == name]
        for label, g in sub.groupby("series", sort=False):
            colour = colours[label]
            lo = (g.power - 1.96 * g.power_mc_se).clip(0, 1)
            hi = (g.power + 1.96 * g.power_mc_se).clip(0, 1)
            fig.add_trace(go.Scatter(x=g.n_total, y=hi, mode="lines", line={"width": 0}, showlegend=False,
                                     hoverinfo="skip", legendgroup=label), row=row, col=col)
            fig.add_trace(go.Scatter(x=g.n_total, y=lo, mode="lines", line={"width": 0}, fill="tonexty",
                                     fillcolor=rgba(colour, 0.18), showlegend=False, hoverinfo="skip",
                                     legendgroup=label), row=row, col=col)
            fig.add_trace(go.Scatter(
                x=g.n_total, y=g.power, mode="lines+markers", name=label, legendgroup=label, showlegend=i == 0,
                line={"color": colour, "dash": "dot" if label == REFERENCE_SERIES else "solid"},
                customdata=np.c_[g.design, g.power_mc_se],
                hovertemplate="%{customdata[0]}<br>n=%{x}<br>P(success)=%{y:.3f} ± %{customdata[1]:.3f} (MC SE)<extra></extra>",
            ), row=row, col=col)
        fig.add_hline(y=data.bounds[name], line={"color": "grey", "dash": "dash", "width": 1}, row=row, col=col)
        lo_all, hi_all = sub.power - 1.96 * sub.power_mc_se, sub.power + 1.96 * sub.power_mc_se
        fig.update_yaxes(range=list(axis_range(lo_all, hi_all, lines=[data.bounds[name]])), row=row, col=col)
        if i + cols >= len(scenarios):
            fig.update_xaxes(title_text="concurrent patients (total)", row=row, col=col)
    fig.update_yaxes(title_text="P(success)", col=1)
    fig.update_layout(height=330 * rows, margin={"t": 50, "b": 40, "l": 50, "r": 10},
                      legend={"orientation": "h", "y": -0.15 if rows == 1 else -0.08})
    return fig


def type1_vs_drift(data: DriftData) -> go.Figure:
    frame = data.frame
    fig = go.Figure()
    for i, (design, g) in enumerate(frame.groupby("design", sort=False)):
        g = g.sort_values("drift")
        fig.add_trace(go.Scatter(x=g.drift, y=g.type1_error, mode="lines+markers", name=str(design),
                                 line={"color": PALETTE[i % len(PALETTE)]},
                                 error_y={"type": "data", "array": 1.96 * g.type1_mc_se, "thickness": 1}))
    fig.add_hline(y=data.bound, line={"color": "firebrick", "dash": "dot", "width": 1}, annotation_text=f"bound {data.bound:g}")
    lo, hi = frame.type1_error - 1.96 * frame.type1_mc_se, frame.type1_error + 1.96 * frame.type1_mc_se
    fig.update_layout(xaxis_title="drift of synthetic controls (outcome offset, endpoint units)", yaxis_title="type I error",
                      yaxis_range=list(axis_range(lo, hi, lines=[data.bound])), height=380,
                      margin={"t": 30, "b": 40, "l": 60, "r": 10})
    return fig


def posterior_means(data: PosteriorData) -> go.Figure:
    """Distribution over replicates of the posterior mean effect, per scenario, with the true effect."""
    fig = go.Figure()
    for s, (name, g) in enumerate(data.frame.groupby("scenario", sort=False)):
        fig.add_trace(go.Violin(y=g.effect_mean, name=str(name), box_visible=True, meanline_visible=True,
                                points="all", pointpos=0, jitter=0.3, marker={"size": 3}, showlegend=False))
        fig.add_trace(go.Scatter(x=[name], y=[data.true_effects[str(name)]], mode="markers", name="true effect",
                                 marker={"symbol": "diamond", "size": 13, "color": "black"}, showlegend=s == 0))
    fig.update_layout(yaxis_title="posterior mean of the treatment effect", height=380,
                      margin={"t": 30, "b": 40, "l": 60, "r": 10})
    return fig


def posteriors(data: PosteriorData) -> go.Figure:
    """Each replicate's posterior mean and 95 % interval, sorted, coloured by the trial's decision."""
    sub = data.frame[data.frame.scenario == data.scenario].sort_values("effect_mean")
    rank = np.arange(len(sub))
    fig = go.Figure()
    for ok, colour, label in ((True, "#2ca02c", "success"), (False, "#d62728", "no success")):
        m = (sub.success == ok).to_numpy()
        mean, low, high = (sub[c].to_numpy()[m] for c in ("effect_mean", "ci_low", "ci_high"))
        fig.add_trace(go.Scatter(
            x=rank[m], y=mean, mode="markers", name=label, marker={"color": colour, "size": 5},
            error_y={"type": "data", "symmetric": False, "array": high - mean, "arrayminus": mean - low,
                     "color": rgba(colour, 0.5), "thickness": 1, "width": 0},
        ))
    fig.add_hline(y=data.true_effects[data.scenario], line={"color": "black", "width": 1.5}, annotation_text="true effect")
    fig.add_hline(y=data.threshold, line={"color": "grey", "dash": "dash", "width": 1}, annotation_text="decision threshold",
                  annotation_position="bottom right")
    fig.update_layout(xaxis_title="replicate (sorted by posterior mean)", yaxis_title="treatment effect (95 % interval)",
                      height=380, margin={"t": 30, "b": 40, "l": 60, "r": 10})
    return fig


def trajectories(data: TrajectoryData) -> go.Figure:
    """Spaghetti of each virtual patient's endpoint over the visits, by arm, with arm means."""
    fig = go.Figure()
    for arm, colour in ARM_COLOURS.items():
        pts = data.patients[data.patients.arm == arm]
        weeks = np.sort(pts.week.unique())
        values = pts.pivot(index="patient", columns="week", values="value").to_numpy()
        xs = np.tile(np.append(weeks, np.nan), len(values))  # one trace: each patient's visits, then a gap
        ys = np.c_[values, np.full(len(values), np.nan)].ravel()
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line={"color": rgba(colour, 0.25), "width": 1},
                                 name=f"{arm}: patients (n={len(values)})", hoverinfo="skip"))
        mean = data.means[data.means.arm == arm]
        fig.add_trace(go.Scatter(x=mean.week, y=mean.value, mode="lines+markers", line={"color": colour, "width": 4},
                                 name=f"{arm}: mean"))
    fig.update_layout(xaxis_title="week", yaxis_title=("change in " if data.change_from_baseline else "") + data.endpoint,
                      height=400, margin={"t": 30, "b": 40, "l": 60, "r": 10},
                      title={"text": data.title, "font": {"size": 13}})
    return fig
