"""Segment kinematics over a walk: the simulated joint-angle cycle replayed stride by stride.

Each leg follows its own foot's strides (:class:`~trialsim.sensors.walk.Walk`): the
simulated cycle (joint angles over ``gait_cycle_pct``, periodic cubic spline) is
time-warped piecewise so that the cycle's stance maps onto that stride's stance and its
swing onto that stride's swing — kinematics and force events agree stride by stride.
The left leg's cycle starts where the left foot's vertical GRF rises in the simulated
cycle (50 % when the curves carry no GRF).

Sagittal-plane body with Winter's segment proportions of height H (thigh 0.245 H,
shank 0.246 H, foot 0.152 H heel to toe with the ankle 0.039 H above the sole, a quarter
of the way from the heel): segment angles from the vertical
are thigh = hip flexion, shank = hip − knee flexion, foot = shank + dorsiflexion + 90°.
The pelvis moves forward with the stride's speed (smoothly interpolated) and its height
is set so that the lower of the two feet's heel or toe touches the ground, which gives
the pelvis its double vertical oscillation per stride (≈ 4–7 cm; a rigid sagittal model
without pelvic list or heel rise: the excursion does not grow with step length as a real
pelvis's does, so lumbar-IMU step length by the inverted-pendulum model is not read from
these signals — ``imu_lumbar`` keeps its calibrated error).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.interpolate import CubicSpline

from trialsim.sensors.walk import Walk

THIGH, SHANK, FOOT, ANKLE_HEIGHT = 0.245, 0.246, 0.152, 0.039
HEEL_FRACTION = 0.25  # ankle above the sole a quarter of the foot length from the heel
JOINTS = ("hip_flexion", "knee_flexion", "ankle_dorsiflexion")


@dataclass(frozen=True)
class Kinematics:
    """Positions ``(T, 2)`` (m; x forward, y up) and segment angles ``(T,)`` (rad from the vertical)."""

    time_s: np.ndarray
    points: dict[str, np.ndarray]   # hip_<s>, knee_<s>, ankle_<s>, heel_<s>, toe_<s>, pelvis
    angles_rad: dict[str, np.ndarray]  # thigh_<s>, shank_<s>, foot_<s>, pelvis


def _periodic_spline(pct: np.ndarray, values: np.ndarray) -> CubicSpline:
    """Periodic cubic spline of a cycle sampled at ``pct`` (with or without the 100 % point)."""
    v = np.asarray(values, dtype=float)
    if pct[-1] >= 100.0:
        x, y = pct[:-1], v[:-1]
    else:
        x, y = pct, v
    return CubicSpline(np.r_[x, 100.0] / 100.0, np.r_[y, y[0]], bc_type="periodic")


def _cycle_stance_fraction(curve: np.ndarray | None, pct: np.ndarray, start: float) -> float:
    if curve is None:
        return 0.6
    fine = np.linspace(0.0, 100.0, 1001)[:-1]
    on = np.interp((fine + start) % 100.0, pct, curve, period=100.0) > 0.05
    return float(np.argmin(on) / len(on)) if on[0] and not on.all() else 0.6


def _onset_pct(curve: np.ndarray | None, pct: np.ndarray, default: float) -> float:
    if curve is None:
        return default
    fine = np.linspace(0.0, 100.0, 1001)[:-1]
    on = np.interp(fine, pct, curve, period=100.0) > 0.05
    rises = np.flatnonzero(on & ~np.roll(on, 1))
    return float(fine[rises[0]]) if len(rises) else default


def _cycle_phase(t: np.ndarray, hs: np.ndarray, to: np.ndarray, stance_fraction: float) -> np.ndarray:
    """Phase (0–1) of the simulated cycle for each time, warped stance→stance, swing→swing."""
    k = np.clip(np.searchsorted(hs, t, side="right") - 1, 0, len(to) - 1)
    start, stop, end = hs[k], to[k], hs[k + 1]
    in_stance = t < stop
    stance_phase = (t - start) / (stop - start) * stance_fraction
    swing_phase = stance_fraction + (t - stop) / (end - stop) * (1.0 - stance_fraction)
    return np.clip(np.where(in_stance, stance_phase, swing_phase), 0.0, 1.0)


def _ankle_forward_m(hip_deg: np.ndarray, knee_deg: np.ndarray, height_m: float) -> np.ndarray:
    thigh = np.radians(hip_deg)
    shank = thigh - np.radians(knee_deg)
    return height_m * (THIGH * np.sin(thigh) + SHANK * np.sin(shank))


def step_length_from_cycle_m(curves: dict[str, np.ndarray], *, height_m: float) -> float:
    """Step length the cycle's geometry gives: mean of the two extremes of the ankles' fore-aft separation."""
    sep = (_ankle_forward_m(curves["hip_flexion_r_deg"], curves["knee_flexion_r_deg"], height_m)
           - _ankle_forward_m(curves["hip_flexion_l_deg"], curves["knee_flexion_l_deg"], height_m))
    return float(0.5 * (sep.max() - sep.min()))


def scale_to_step_length(curves: dict[str, np.ndarray], *, step_length_m: float, height_m: float) -> dict[str, np.ndarray]:
    """The cycle with both hip-flexion curves scaled about their means (factor 0.5–1.8) so that
    its geometry gives ``step_length_m``: a patient's joint excursions agree with its step
    length (a fixed reference cycle would give every patient the same stride on camera)."""
    out = dict(curves)
    base = {s: np.asarray(curves[f"hip_flexion_{s}_deg"], dtype=float) for s in ("r", "l")}

    def at(k: float) -> float:
        for s, c in base.items():
            out[f"hip_flexion_{s}_deg"] = c.mean() + k * (c - c.mean())
        return step_length_from_cycle_m(out, height_m=height_m)

    lo, hi = 0.5, 1.8
    for _ in range(30):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if at(mid) < step_length_m else (lo, mid)
    at(0.5 * (lo + hi))
    return out


def replay(
    curves: dict[str, np.ndarray], gait_cycle_pct: np.ndarray, walk: Walk, *, height_m: float, sample_rate_hz: float,
) -> Kinematics:
    """Segment kinematics of ``walk`` from one simulated cycle (see module docs)."""
    pct = np.asarray(gait_cycle_pct, dtype=float)
    t = np.arange(0.0, min(walk.heel_strike_r_s[-1], walk.heel_strike_l_s[-1]), 1.0 / sample_rate_hz)
    points: dict[str, np.ndarray] = {}
    angles: dict[str, np.ndarray] = {}
    legs = {}
    for side in ("r", "l"):
        grf = curves.get(f"grf_vertical_{side}_bw")
        onset = 0.0 if side == "r" else _onset_pct(grf, pct, 50.0)
        frac = _cycle_stance_fraction(None if grf is None else np.asarray(grf, float), pct, onset)
        phase = _cycle_phase(t, getattr(walk, f"heel_strike_{side}_s"), getattr(walk, f"toe_off_{side}_s"), frac)
        cycle = (phase + onset / 100.0) % 1.0
        ang = {}
        for j in JOINTS:
            ang[j] = np.radians(_periodic_spline(pct, curves[f"{j}_{side}_deg"])(cycle))
        thigh = ang["hip_flexion"]
        shank = thigh - ang["knee_flexion"]
        foot = shank + ang["ankle_dorsiflexion"] + np.pi / 2
        knee = np.stack([THIGH * height_m * np.sin(thigh), -THIGH * height_m * np.cos(thigh)], -1)
        ankle = knee + np.stack([SHANK * height_m * np.sin(shank), -SHANK * height_m * np.cos(shank)], -1)
        along = np.stack([np.sin(foot), -np.cos(foot)], -1)  # heel → toe
        up = np.stack([np.cos(foot), np.sin(foot)], -1)  # sole → ankle
        sole = ankle - ANKLE_HEIGHT * height_m * up
        heel = sole - HEEL_FRACTION * FOOT * height_m * along
        toe = sole + (1.0 - HEEL_FRACTION) * FOOT * height_m * along
        legs[side] = {"knee": knee, "ankle": ankle, "toe": toe, "heel": heel}
        angles.update({f"thigh_{side}": thigh, f"shank_{side}": shank, f"foot_{side}": foot})
    lowest = np.min([legs[s][p][:, 1] for s in ("r", "l") for p in ("heel", "toe")], axis=0)
    k = 7
    hip_y = np.convolve(np.pad(-lowest, k // 2, mode="edge"), np.ones(k) / k, mode="valid")[: len(t)]
    mid = 0.5 * (walk.heel_strike_r_s[:-1] + walk.heel_strike_r_s[1:])
    speed = np.interp(t, mid, walk.speed_r_m_s)
    hip_x = np.r_[0.0, np.cumsum(0.5 * (speed[1:] + speed[:-1]) / sample_rate_hz)]
    hip = np.stack([hip_x, hip_y], -1)
    points["pelvis"] = hip
    for side in ("r", "l"):
        points[f"hip_{side}"] = hip
        for p, xy in legs[side].items():
            points[f"{p}_{side}"] = hip + xy
    tilt = curves.get("pelvis_tilt_deg")
    if tilt is not None:
        grf_r = curves.get("grf_vertical_r_bw")
        frac_r = _cycle_stance_fraction(None if grf_r is None else np.asarray(grf_r, float), pct, 0.0)
        phase_r = _cycle_phase(t, walk.heel_strike_r_s, walk.toe_off_r_s, frac_r)
        angles["pelvis"] = np.radians(_periodic_spline(pct, tilt)(phase_r))
    else:
        angles["pelvis"] = np.zeros(len(t))
    return Kinematics(t, points, angles)
