"""Spatiotemporal gait measures from one simulated gait cycle (pure numpy).

Events come from the vertical ground reaction force of each foot crossing a
contact threshold (default 2 % of body weight, bounded below by 20 N). The cycle
is re-phased so that 0 % is the right heel strike. ``stride_time_cv_pct`` is NaN:
an optimal-control solution is deterministic; the generator adds variability.
"""

from __future__ import annotations

import numpy as np

N_RESAMPLE = 400


def periodic_resample(time_s: np.ndarray, values: np.ndarray, n: int = N_RESAMPLE) -> np.ndarray:
    """Resample one period ``[t0, t_end]`` of a periodic signal onto ``n`` uniform points (end excluded)."""
    time_s = np.asarray(time_s, float)
    grid = np.linspace(time_s[0], time_s[-1], n, endpoint=False)
    return np.interp(grid, time_s, np.asarray(values, float))


def heel_strike_index(contact: np.ndarray) -> int:
    """First sample of the longest contact run (cyclic), i.e. the heel strike."""
    contact = np.asarray(contact, bool)
    if contact.all() or not contact.any():
        return 0
    rises = np.flatnonzero(contact & ~np.roll(contact, 1))
    lengths = []
    n = len(contact)
    for r in rises:
        k = 0
        while k < n and contact[(r + k) % n]:
            k += 1
        lengths.append(k)
    return int(rises[int(np.argmax(lengths))])


def gait_measures(
    time_s: np.ndarray,
    pelvis_tx_m: np.ndarray,
    grf_vertical_r_n: np.ndarray,
    grf_vertical_l_n: np.ndarray,
    knee_flexion_r_deg: np.ndarray,
    knee_flexion_l_deg: np.ndarray,
    *,
    body_weight_n: float,
) -> dict[str, float]:
    """Measures of one full gait cycle sampled at ``time_s`` (first and last sample one period apart).

    Examples
    --------
    >>> t = np.linspace(0, 1, 101)
    >>> vr = np.where(t < 0.6, 700.0, 0.0); vl = np.roll(vr, 50)
    >>> m = gait_measures(t, 1.3 * t, vr, vl, 30 * t, 30 * t, body_weight_n=700)
    >>> round(m["cadence_steps_min"], 1), round(m["stance_pct"])
    (120.0, 60)
    """
    time_s = np.asarray(time_s, float)
    stride_time = float(time_s[-1] - time_s[0])
    speed = float((pelvis_tx_m[-1] - pelvis_tx_m[0]) / stride_time)
    threshold = max(0.02 * body_weight_n, 20.0)
    vr = periodic_resample(time_s, grf_vertical_r_n)
    vl = periodic_resample(time_s, grf_vertical_l_n)
    kr = periodic_resample(time_s, knee_flexion_r_deg)
    kl = periodic_resample(time_s, knee_flexion_l_deg)
    cr, cl = vr > threshold, vl > threshold
    n = len(vr)
    hs_r, hs_l = heel_strike_index(cr), heel_strike_index(cl)
    # step time of the right step: from left heel strike to right heel strike
    right_step_frac = ((hs_r - hs_l) % n) / n
    stride_length = speed * stride_time
    swing_r = kr[~cr] if (~cr).any() else kr
    swing_l = kl[~cl] if (~cl).any() else kl
    stance_r, stance_l = 100.0 * cr.mean(), 100.0 * cl.mean()
    return {
        "gait_speed_m_s": speed,
        "step_length_m": stride_length / 2.0,
        "stride_length_m": stride_length,
        "cadence_steps_min": 120.0 / stride_time,
        "stride_time_s": stride_time,
        "stride_time_cv_pct": float("nan"),
        "stance_pct": 0.5 * (stance_r + stance_l),
        "swing_pct": 100.0 - 0.5 * (stance_r + stance_l),
        "double_support_pct": 100.0 * float((cr & cl).mean()),
        "peak_knee_flexion_swing_deg": 0.5 * float(swing_r.max() + swing_l.max()),
        "step_length_r_m": stride_length * right_step_frac,
        "step_length_l_m": stride_length * (1.0 - right_step_frac),
        "stance_r_pct": stance_r,
        "stance_l_pct": stance_l,
        "peak_knee_flexion_swing_r_deg": float(swing_r.max()),
        "peak_knee_flexion_swing_l_deg": float(swing_l.max()),
    }


def rephase(time_s: np.ndarray, signals: dict[str, np.ndarray], contact_r: np.ndarray, n_points: int = 51) -> dict[str, np.ndarray]:
    """Signals over 0–100 % of the cycle starting at the right heel strike (``n_points`` incl. both ends)."""
    first = {k: periodic_resample(time_s, v) for k, v in signals.items()}
    contact = periodic_resample(time_s, contact_r.astype(float)) > 0.5
    shift = heel_strike_index(contact)
    n = len(contact)
    pct = np.linspace(0.0, 100.0, n_points)
    src = np.arange(n + 1) * 100.0 / n
    out = {"gait_cycle_pct": pct}
    for k, v in first.items():
        rolled = np.roll(v, -shift)
        out[k] = np.interp(pct, src, np.append(rolled, rolled[0]))
    return out


#: muscle efficiency for positive and negative work (Margaria 1968; Umberger 2003 uses the same)
POSITIVE_WORK_EFFICIENCY = 0.25
NEGATIVE_WORK_EFFICIENCY = 1.2
#: resting metabolic rate, W/kg (≈ 1.2 W/kg; Waters & Mulroy 1999, Gait Posture 9:207)
BASAL_METABOLIC_RATE_W_KG = 1.2
COST_JOINTS = ("hip_flexion", "knee_flexion", "ankle_dorsiflexion")


def cost_of_transport(curves: dict[str, np.ndarray], *, stride_time_s: float, speed_m_s: float) -> float:
    """Metabolic cost of transport (J/kg/m) from joint work over one cycle plus the basal rate.

    Joint power = net moment × angular velocity for hip, knee and ankle of both legs;
    positive work costs 1/0.25 and negative work 1/1.2 of its magnitude (Margaria
    1968), and the resting rate 1.2 W/kg is added. This makes very slow walking
    expensive per metre (basal) and fast walking expensive (joint work grows faster
    than speed), giving the U-shaped cost of transport whose minimum is the
    self-selected speed (Ralston 1958).
    """
    pct = np.asarray(curves["gait_cycle_pct"], float)
    t = pct / 100.0 * stride_time_s
    metabolic = 0.0
    for side in ("r", "l"):
        for joint in COST_JOINTS:
            angle = np.radians(np.asarray(curves[f"{joint}_{side}_deg"], float))
            moment = np.asarray(curves[f"{joint}_moment_{side}_nm_kg"], float)
            # periodic central difference (first and last samples are the same instant)
            a = angle[:-1]
            omega = (np.roll(a, -1) - np.roll(a, 1)) / (2 * (t[1] - t[0]))
            power = moment[:-1] * omega
            dt = t[1] - t[0]
            metabolic += dt * (np.clip(power, 0, None).sum() / POSITIVE_WORK_EFFICIENCY
                               + np.clip(-power, 0, None).sum() / NEGATIVE_WORK_EFFICIENCY)
    rate = metabolic / stride_time_s + BASAL_METABOLIC_RATE_W_KG
    return float(rate / speed_m_s)


def minimum_cost_speed(speeds_m_s: np.ndarray, cost_of_transport: np.ndarray) -> float:
    """Speed of minimum cost of transport: a parabola through the cheapest solved speed and its
    two nearest neighbours (the cheapest speed itself with fewer than 3 or a concave fit),
    clipped to the solved range.

    Examples
    --------
    >>> round(minimum_cost_speed(np.array([1.0, 1.2, 1.4]), np.array([5.0, 4.5, 4.9])), 3)
    1.21
    """
    v, c = np.asarray(speeds_m_s, float), np.asarray(cost_of_transport, float)
    v_star = v[np.argmin(c)]
    if len(v) >= 3:
        near = np.argsort(np.abs(v - v_star))[:3]  # the minimum and its two neighbours
        a, b, _ = np.polyfit(v[near], c[near], 2)
        if a > 0:
            v_star = -b / (2 * a)
    return float(np.clip(v_star, v.min(), v.max()))
