"""Interactive (plotly) figures for the dashboard; they read results and never compute them.

Inputs are ``example_trials`` and ``baseline_sample`` datasets and joint-angle curves
over the gait cycle (:func:`gait_cycle_curves`); the results figures (power, drift,
posteriors, trajectories) are :mod:`.interactive_results`, drawn from :mod:`.prepare`. Published
constants used as reference lines live in :data:`NORMS`, each with its source.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import xarray as xr
from plotly.subplots import make_subplots

#: Published reference values drawn beside simulated data (never used to compute anything).
NORMS: dict[str, dict[str, Any]] = {
    "bohannon_2011_comfortable_speed_m_s": {
        "source": "Bohannon & Williams Andrews 2011, Physiotherapy 97:182 (meta-analysis, comfortable gait speed)",
        # age decade (low, high) -> (men, women), m/s
        "by_decade": {
            (20, 29): (1.358, 1.341), (30, 39): (1.433, 1.337), (40, 49): (1.434, 1.390),
            (50, 59): (1.433, 1.310), (60, 69): (1.339, 1.241), (70, 79): (1.262, 1.132),
            (80, 99): (0.968, 0.943),
        },
    },
    "bovi_2011_adults": {
        "source": "Bovi et al. 2011, Gait Posture 33:6 (healthy adults, natural speed; mean ± SD)",
        "cadence_steps_min": (109.8, 9.1),
        "stride_length_m": (1.33, 0.12),
        "stance_pct": (62.6, 2.0),
        "peak_knee_flexion_swing_deg": (64.1, 4.9),
    },
    "winter_2009_segments": {
        "source": "Winter 2009, Biomechanics and Motor Control of Human Movement, 4th ed., table 4.1",
        # segment length / standing height
        "thigh": 0.245, "shank": 0.246, "foot": 0.152, "ankle_height": 0.039, "hip_to_shoulder": 0.288,
    },
}

ARM_COLOURS = {0: "#1f77b4", 1: "#ff7f0e"}
SYNTHETIC_COLOUR = "#2ca02c"
REFERENCE_COLOUR = "#7f7f7f"
_PALETTE = ["#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf"]


def _rgba(hex_colour: str, alpha: float) -> str:
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


# --------------------------------------------------------------------------- operating characteristics


def control_comparison(examples: xr.Dataset, *, trial: int) -> go.Figure:
    """Concurrent vs synthetic controls: change from baseline by visit (mean ± SD, with patients)."""
    weeks = examples.visit.values
    concurrent = examples.outcome.isel(trial=trial).values[examples.arm.isel(trial=trial).values == 0]
    synthetic = examples.synthetic_outcome.isel(trial=trial).values
    fig = go.Figure()
    for label, data, colour in (("concurrent controls", concurrent, ARM_COLOURS[0]), ("synthetic controls", synthetic, SYNTHETIC_COLOUR)):
        change = data - data[:, :1]
        mean, sd = np.nanmean(change, axis=0), np.nanstd(change, axis=0)
        fig.add_trace(go.Scatter(x=np.r_[weeks, weeks[::-1]], y=np.r_[mean + sd, (mean - sd)[::-1]], mode="lines", fill="toself",
                                 fillcolor=_rgba(colour, 0.15), line={"width": 0}, hoverinfo="skip",
                                 name=f"{label}: ± 1 SD", legendgroup=label))
        fig.add_trace(go.Scatter(x=weeks, y=mean, mode="lines+markers", line={"color": colour, "width": 3},
                                 name=f"{label} (n={len(change)}): mean", legendgroup=label))
    fig.update_layout(xaxis_title="week", yaxis_title=f"change in {examples.attrs.get('endpoint', 'endpoint')}",
                      height=380, margin={"t": 30, "b": 40, "l": 60, "r": 10})
    return fig


def speed_by_age_and_sex(baseline: xr.Dataset) -> go.Figure:
    """Simulated baseline gait speed against Bohannon 2011 comfortable speed by age decade and sex."""
    norms = NORMS["bohannon_2011_comfortable_speed_m_s"]
    fig = go.Figure()
    female = baseline.sex.values > 0.5
    for is_female, label, colour, idx in ((False, "men", "#1f77b4", 0), (True, "women", "#d62728", 1)):
        m = female == is_female
        fig.add_trace(go.Scatter(x=baseline.age_years.values[m], y=baseline.gait_speed_m_s.values[m], mode="markers",
                                 marker={"color": _rgba(colour, 0.35), "size": 5}, name=f"simulated {label}"))
        xs, ys = [], []
        for (lo, hi), values in norms["by_decade"].items():
            xs += [lo, hi + 1, None]
            ys += [values[idx], values[idx], None]
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line={"color": colour, "width": 4},
                                 name=f"Bohannon 2011 {label}"))
    fig.update_layout(xaxis_title="age (years)", yaxis_title="baseline gait speed (m/s)", height=380,
                      margin={"t": 30, "b": 40, "l": 60, "r": 10})
    return fig


def spatiotemporal_vs_norms(baseline: xr.Dataset) -> go.Figure:
    """Histograms of baseline cadence, stride, stance and swing knee flexion against Bovi 2011 (mean ± SD band)."""
    norms = NORMS["bovi_2011_adults"]
    measures = [k for k in ("cadence_steps_min", "stride_length_m", "stance_pct", "peak_knee_flexion_swing_deg") if k in baseline]
    fig = make_subplots(rows=1, cols=len(measures), subplot_titles=measures, horizontal_spacing=0.06)
    for i, name in enumerate(measures, start=1):
        mean, sd = norms[name]
        fig.add_trace(go.Histogram(x=baseline[name].values, nbinsx=30, marker={"color": "#1f77b4"}, opacity=0.75,
                                   name="simulated", showlegend=i == 1), row=1, col=i)
        fig.add_vrect(x0=mean - sd, x1=mean + sd, fillcolor="orange", opacity=0.2, line_width=0, row=1, col=i)
        fig.add_vline(x=mean, line={"color": "darkorange", "width": 2}, row=1, col=i)
    fig.update_layout(height=320, margin={"t": 40, "b": 40, "l": 40, "r": 10}, bargap=0.05)
    return fig


# --------------------------------------------------------------------------- gait cycle

ANGLE_COLUMNS = ("hip_flexion", "knee_flexion", "ankle_dorsiflexion")


def reference_curves() -> pd.DataFrame:
    """Normative adult joint angles (Bovi et al. 2011 / Ferrarin means; Fourier fit shipped with trialsim)."""
    from trialsim.musculoskeletal.reference_kinematics import joint_angles_deg

    phase = np.linspace(0.0, 1.0, 51)
    out = {"gait_cycle_pct": phase * 100, "pelvis_tilt_deg": joint_angles_deg("pelvis_tilt", phase)}
    for side, shift in (("r", 0.0), ("l", 0.5)):
        out[f"hip_flexion_{side}_deg"] = joint_angles_deg("hip_flexion", phase + shift)
        out[f"knee_flexion_{side}_deg"] = -joint_angles_deg("knee_angle", phase + shift)
        out[f"ankle_dorsiflexion_{side}_deg"] = joint_angles_deg("ankle_angle", phase + shift)
    return pd.DataFrame(out)


def _read_sto(path: Path) -> pd.DataFrame:
    lines = path.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "endheader") + 1
    header = lines[start].split("\t")
    rows = [[float(x) for x in line.split("\t")] for line in lines[start + 1:] if line.strip()]
    return pd.DataFrame(rows, columns=header)


def _from_half_cycle_sto(path: Path) -> pd.DataFrame:
    """A symmetric half-cycle Moco solution as a full cycle (right leg's 2nd half = left leg's 1st half)."""
    sto = _read_sto(path)

    def col(joint: str, name: str) -> np.ndarray:
        return np.degrees(sto[f"/jointset/{joint}/{name}/value"].to_numpy()[:-1])

    half_time = sto["time"].to_numpy()
    duration = 2 * (half_time[-1] - half_time[0])
    pct = np.r_[half_time[:-1], half_time[:-1] + duration / 2] / duration * 100
    out = {"gait_cycle_pct": pct, "pelvis_tilt_deg": np.tile(col("ground_pelvis", "pelvis_tilt"), 2)}
    for first, second in (("r", "l"), ("l", "r")):
        for joint, coord, clinical, sign in (("hip", "hip_flexion", "hip_flexion", 1), ("knee", "knee_angle", "knee_flexion", -1),
                                             ("ankle", "ankle_angle", "ankle_dorsiflexion", 1)):
            a = col(f"{joint}_{first}", f"{coord}_{first}")
            b = col(f"{joint}_{second}", f"{coord}_{second}")
            out[f"{clinical}_{first}_deg"] = sign * np.r_[a, b]
    return pd.DataFrame(out)


def gait_cycle_curves(
    *, height_m: float | None = None, speed_m_s: float | None = None, data_dir: Path | None = None,
) -> tuple[pd.DataFrame, str]:
    """Joint angles over 0–100 % of the gait cycle and a label naming where they come from.

    The most physical source available wins: a simulation library's curves (the
    successful solve nearest in height and speed), the shipped Moco predictive
    solution of the nominal model, or the Ferrarin reference kinematics. ``data_dir``
    replaces the package's ``trialsim/data`` folder (for tests).
    """
    data = data_dir if data_dir is not None else Path(__file__).resolve().parents[1] / "data"
    curves_path = data / "library" / "curves.parquet"
    if curves_path.is_file():
        from trialsim.musculoskeletal import load_library

        library = load_library(curves_path.parent)
        ok = library.successful
        wanted = [f"{j}_{s}_deg" for j in ANGLE_COLUMNS for s in "rl"]
        if len(ok) and set(wanted) <= set(library.curves.columns):
            distance = np.zeros(len(ok))
            if height_m is not None and "param_height_m" in ok:
                distance = distance + ((ok.param_height_m.to_numpy(dtype=float) - height_m) / 0.1) ** 2
            if speed_m_s is not None and "gait_speed_m_s" in ok:
                distance = distance + ((ok.gait_speed_m_s.to_numpy(dtype=float) - speed_m_s) / 0.1) ** 2
            sim_id = ok.sim_id.iloc[int(np.nanargmin(distance))]
            frame = library.curves[library.curves.sim_id == sim_id].sort_values("gait_cycle_pct").reset_index(drop=True)
            if "pelvis_tilt_deg" not in frame:
                frame["pelvis_tilt_deg"] = 0.0
            return frame, f"OpenSim/Moco simulation library solve {sim_id} (nearest in height and speed), {curves_path}"
    nominal = sorted(data.glob("nominal*.sto"), key=lambda p: p.name != "nominal_guess.sto")
    if nominal:
        return _from_half_cycle_sto(nominal[0]), (
            f"OpenSim/Moco simulation of the nominal 1.75 m model at 1.2 m/s (trialsim/data/{nominal[0].name}, "
            "symmetric half cycle mirrored to a full cycle)")
    return reference_curves(), "normative reference kinematics (Bovi et al. 2011 / Ferrarin means, Fourier fit)"


def joint_angles(curves: pd.DataFrame, *, source: str, reference: pd.DataFrame | None = None) -> go.Figure:
    """Hip, knee and ankle angles over the gait cycle for both legs (reference means dotted)."""
    fig = make_subplots(rows=1, cols=3, subplot_titles=["hip flexion (°)", "knee flexion (°)", "ankle dorsiflexion (°)"],
                        horizontal_spacing=0.07)
    for i, joint in enumerate(ANGLE_COLUMNS, start=1):
        for side, colour, label in (("r", "#d62728", "right"), ("l", "#1f77b4", "left")):
            fig.add_trace(go.Scatter(x=curves.gait_cycle_pct, y=curves[f"{joint}_{side}_deg"], mode="lines",
                                     line={"color": colour, "width": 2.5}, name=f"{label} leg", showlegend=i == 1), row=1, col=i)
        if reference is not None:
            fig.add_trace(go.Scatter(x=reference.gait_cycle_pct, y=reference[f"{joint}_r_deg"], mode="lines",
                                     line={"color": "black", "dash": "dot", "width": 1.5}, name="reference mean (right)",
                                     showlegend=i == 1), row=1, col=i)
    fig.update_xaxes(title_text="gait cycle (%)")
    fig.update_layout(height=330, margin={"t": 60, "b": 40, "l": 40, "r": 10},
                      title={"text": f"source: {source}", "font": {"size": 11}})
    return fig


def _leg_points(curves: pd.DataFrame, side: str, seg: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """Hip, knee, ankle, heel, toe, ankle (x, y) per frame for one leg, hip at the origin."""
    tilt = np.radians(curves.pelvis_tilt_deg.to_numpy())
    thigh = tilt + np.radians(curves[f"hip_flexion_{side}_deg"].to_numpy())
    shank = thigh - np.radians(curves[f"knee_flexion_{side}_deg"].to_numpy())
    foot = shank + np.radians(curves[f"ankle_dorsiflexion_{side}_deg"].to_numpy())
    zero = np.zeros_like(tilt)
    knee = np.c_[seg["thigh"] * np.sin(thigh), -seg["thigh"] * np.cos(thigh)]
    ankle = knee + np.c_[seg["shank"] * np.sin(shank), -seg["shank"] * np.cos(shank)]

    def in_foot(x: float, y: float) -> np.ndarray:
        return ankle + np.c_[x * np.cos(foot) - y * np.sin(foot), x * np.sin(foot) + y * np.cos(foot)]

    heel = in_foot(-0.2 * seg["foot"], -seg["ankle_height"])
    toe = in_foot(0.8 * seg["foot"], -seg["ankle_height"])
    pts = np.stack([np.c_[zero, zero], knee, ankle, heel, toe, ankle], axis=1)
    return pts[..., 0], pts[..., 1]


def stick_figure(curves: pd.DataFrame, *, height_m: float, stride_time_s: float, speed_m_s: float) -> go.Figure:
    """Animated sagittal stick figure walking on a treadmill (plotly frames with a play button).

    Segment lengths are Winter's fractions of height; the body is lowered each frame
    so that the lowest point of either foot touches the ground.
    """
    step = max(1, math.ceil(len(curves) / 50))
    curves = curves.iloc[::step].reset_index(drop=True)
    w = NORMS["winter_2009_segments"]
    seg = {k: w[k] * height_m for k in ("thigh", "shank", "foot", "ankle_height", "hip_to_shoulder")}
    rx, ry = _leg_points(curves, "r", seg)
    lx, ly = _leg_points(curves, "l", seg)
    tilt = np.radians(curves.pelvis_tilt_deg.to_numpy())
    lift = -np.minimum(ry[:, 3:5].min(axis=1), ly[:, 3:5].min(axis=1))
    ry, ly = ry + lift[:, None], ly + lift[:, None]
    shoulder = np.c_[-seg["hip_to_shoulder"] * np.sin(tilt), lift + seg["hip_to_shoulder"] * np.cos(tilt)]
    head = shoulder + np.c_[-0.1 * height_m * np.sin(tilt), 0.1 * height_m * np.cos(tilt)]
    n = len(curves)
    spacing = 0.25
    marks = np.arange(-1.5, 1.75, spacing)
    pct = curves.gait_cycle_pct.to_numpy()

    def traces(k: int) -> list[go.Scatter]:
        shift = (-(speed_m_s * stride_time_s * pct[k] / 100)) % spacing
        return [
            go.Scatter(x=marks + shift, y=np.zeros_like(marks), mode="markers", marker={"symbol": "line-ns-open", "size": 8, "color": "grey"},
                       showlegend=False, hoverinfo="skip"),
            go.Scatter(x=lx[k], y=ly[k], mode="lines+markers", line={"color": "#1f77b4", "width": 6}, name="left leg"),
            go.Scatter(x=[0.0, shoulder[k, 0]], y=[lift[k], shoulder[k, 1]], mode="lines", line={"color": "#444", "width": 8}, name="trunk"),
            go.Scatter(x=[head[k, 0]], y=[head[k, 1]], mode="markers", marker={"size": 26, "color": "#444"}, showlegend=False),
            go.Scatter(x=rx[k], y=ry[k], mode="lines+markers", line={"color": "#d62728", "width": 6}, name="right leg"),
        ]

    frame_ms = max(10, int(1000 * stride_time_s / n))
    fig = go.Figure(data=traces(0), frames=[go.Frame(data=traces(k), name=str(k)) for k in range(n)])
    fig.update_layout(
        height=480, margin={"t": 50, "b": 30, "l": 30, "r": 10},
        xaxis={"range": [-0.9, 0.9], "title": "m", "zeroline": False},
        yaxis={"range": [-0.05, 1.05 * height_m], "scaleanchor": "x", "scaleratio": 1, "title": "m"},
        updatemenus=[{"type": "buttons", "x": 0.0, "y": 1.08, "xanchor": "left", "direction": "left", "buttons": [
            {"label": "▶ play", "method": "animate",
             "args": [None, {"frame": {"duration": frame_ms, "redraw": True}, "fromcurrent": True, "mode": "immediate",
                             "transition": {"duration": 0}}]},
            {"label": "❚❚ pause", "method": "animate",
             "args": [[None], {"frame": {"duration": 0, "redraw": False}, "mode": "immediate"}]},
        ]}],
        sliders=[{"currentvalue": {"prefix": "gait cycle %: "}, "pad": {"t": 30}, "steps": [
            {"label": f"{pct[k]:.0f}", "method": "animate",
             "args": [[str(k)], {"frame": {"duration": 0, "redraw": True}, "mode": "immediate"}]}
            for k in range(n)]}],
    )
    return fig


def drift_curves(drift: xr.Dataset, *, budget: float, target_power: float, highlight: str | None = None) -> go.Figure:
    """Type I error (left) and power (right) of each borrowing design against drift, ± 1.96 MC SE bands.

    ``drift`` is the ``/drift`` group of a results tree; y-axes are scaled to the data.
    """
    dim = str(drift.attrs.get("drift_dim", next(d for d in drift.dims if d != "design")))
    x = drift[dim].values
    panels = [v for v in ("type1", "power") if v in drift]
    fig = make_subplots(rows=1, cols=len(panels), subplot_titles=[{"type1": "type I error", "power": "power"}[v] for v in panels])
    for c, var in enumerate(panels, start=1):
        lows, highs = [], []
        for i, label in enumerate(drift.design.values):
            if int(drift.n_synthetic.values[i]) == 0:
                continue
            y, se = drift[var].values[i], drift[f"{var}_mcse"].values[i]
            main = highlight is None or str(label) == highlight
            colour = _PALETTE[i % len(_PALETTE)]
            fig.add_trace(go.Scatter(x=np.r_[x, x[::-1]], y=np.r_[y + 1.96 * se, (y - 1.96 * se)[::-1]], fill="toself",
                                     fillcolor=_rgba(colour, 0.18 if main else 0.05), line={"width": 0}, hoverinfo="skip",
                                     showlegend=False, legendgroup=str(label)), row=1, col=c)
            fig.add_trace(go.Scatter(x=x, y=y, mode="lines", name=str(label), legendgroup=str(label), showlegend=c == 1,
                                     line={"color": colour, "width": 3 if str(label) == highlight else 1.2}), row=1, col=c)
            lows.append(float(np.nanmin(y - 1.96 * se)))
            highs.append(float(np.nanmax(y + 1.96 * se)))
        level = budget if var == "type1" else target_power
        fig.add_hline(y=level, line_dash="dot", line_color="firebrick", row=1, col=c)
        if var == "type1":
            fig.add_hline(y=2 * budget, line_dash="dash", line_color="firebrick", row=1, col=c)
        marks = [level, 2 * budget] if var == "type1" else [level]
        lo, hi = min(lows + marks), max(highs + marks)
        pad = 0.08 * (hi - lo if hi > lo else 0.05)
        fig.update_yaxes(range=[max(lo - pad, 0.0), min(hi + pad, 1.0)], row=1, col=c)
        fig.update_xaxes(title_text=f"drift of synthetic controls ({dim})", row=1, col=c)
    fig.update_layout(height=380, margin={"t": 40, "b": 40})
    return fig
