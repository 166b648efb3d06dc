"""Pressure insoles: vertical force under each foot over a continuous walk, and its gait events.

A recording is built from one gait cycle's vertical GRF curves (as generated, in body
weights, 0 % = right heel strike) repeated over many strides with stride-to-stride
variability: stride time ``T·(1 + CV·ε)`` (ε standard normal, CV from the generator's
``stride_time_cv_pct``) and force amplitude ``×(1 + 0.03·η)`` per stride and foot.
The insole samples at ``sample_rate_hz`` (100 Hz typical) with additive force noise
(10 N SD, an assumption for capacitive insoles). Measures come back from events alone:
contact = force above max(20 N, 2 % body weight) with hysteresis (on at twice that),
heel strike = start of a contact.
The documented device error (``DEVICES["insoles"]``, Hegde 2016 review) is the error
of this event detection against the true gait: stride time ≈ 10 ms, stance ≈ 1 %.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FORCE_NOISE_N = 10.0
AMPLITUDE_SD = 0.03
G = 9.80665


@dataclass(frozen=True)
class InsoleRecording:
    """Vertical force under each foot (N) sampled at ``time_s``; ``stride_times_s`` are the truth."""

    time_s: np.ndarray
    force_r_n: np.ndarray
    force_l_n: np.ndarray
    body_weight_n: float
    stride_times_s: np.ndarray


def continuous_walk(
    grf_vertical_r_bw: np.ndarray, grf_vertical_l_bw: np.ndarray, gait_cycle_pct: np.ndarray, *,
    stride_time_s: float, stride_time_cv_pct: float, body_mass_kg: float, n_strides: int,
    rng: np.random.Generator, sample_rate_hz: float = 100.0,
) -> InsoleRecording:
    """Insole forces over ``n_strides`` strides of one patient's gait (see module docs).

    Examples
    --------
    >>> pct = np.linspace(0, 100, 51)
    >>> r = np.where(pct < 60, 1.0, 0.0); l = np.roll(r, 25)
    >>> rec = continuous_walk(r, l, pct, stride_time_s=1.1, stride_time_cv_pct=2.0, body_mass_kg=70,
    ...                       n_strides=20, rng=np.random.default_rng(0))
    >>> rec.force_r_n.shape == rec.time_s.shape
    True
    """
    pct = np.asarray(gait_cycle_pct, dtype=float) / 100.0
    strides = stride_time_s * (1.0 + stride_time_cv_pct / 100.0 * rng.standard_normal(n_strides))
    strides = np.clip(strides, 0.3 * stride_time_s, None)
    amps = 1.0 + AMPLITUDE_SD * rng.standard_normal((n_strides, 2))
    starts = np.r_[0.0, np.cumsum(strides)]
    t = np.arange(0.0, starts[-1], 1.0 / sample_rate_hz)
    k = np.clip(np.searchsorted(starts, t, side="right") - 1, 0, n_strides - 1)
    phase = (t - starts[k]) / strides[k]
    bw = body_mass_kg * G
    fr = np.interp(phase, pct, grf_vertical_r_bw, period=1.0) * amps[k, 0] * bw
    fl = np.interp(phase, pct, grf_vertical_l_bw, period=1.0) * amps[k, 1] * bw
    fr = fr + FORCE_NOISE_N * rng.standard_normal(len(t))
    fl = fl + FORCE_NOISE_N * rng.standard_normal(len(t))
    return InsoleRecording(t, fr, fl, bw, strides)


def _contact(force: np.ndarray, low: float) -> np.ndarray:
    """Contact with hysteresis (on above 2×``low``, off below ``low``) so noise cannot chatter."""
    out = np.empty(len(force), bool)
    state = bool(force[0] > 2 * low)
    for i, f in enumerate(force):
        state = f > low if state else f > 2 * low
        out[i] = state
    return out


def _heel_strikes(contact: np.ndarray) -> np.ndarray:
    """Starts of contact, dropping any closer than half the median interval to the previous one."""
    hs = np.flatnonzero(contact[1:] & ~contact[:-1]) + 1
    if len(hs) < 3:
        return hs
    min_gap = 0.5 * np.median(np.diff(hs))
    kept = [hs[0]]
    for h in hs[1:]:
        if h - kept[-1] >= min_gap:
            kept.append(h)
    if len(kept) > 2 and kept[1] - kept[0] < min_gap * 1.5:
        kept = kept[1:]
    return np.asarray(kept)


def insole_measures(rec: InsoleRecording) -> dict[str, float]:
    """Stride time, its CV, cadence, stance, swing and double support from the forces alone."""
    threshold = max(20.0, 0.02 * rec.body_weight_n)
    cr, cl = _contact(rec.force_r_n, threshold), _contact(rec.force_l_n, threshold)
    hs = _heel_strikes(cr)
    if len(hs) < 3:
        nan = float("nan")
        return {"stride_time_s": nan, "stride_time_cv_pct": nan, "cadence_steps_min": nan,
                "stance_pct": nan, "swing_pct": nan, "double_support_pct": nan}
    times = rec.time_s[hs]
    stride = np.diff(times)
    window = slice(hs[0], hs[-1])
    stance = 100.0 * 0.5 * (cr[window].mean() + cl[window].mean())
    return {
        "stride_time_s": float(stride.mean()),
        "stride_time_cv_pct": float(100.0 * stride.std(ddof=1) / stride.mean()),
        "cadence_steps_min": float(120.0 / stride.mean()),
        "stance_pct": float(stance),
        "swing_pct": float(100.0 - stance),
        "double_support_pct": float(100.0 * (cr[window] & cl[window]).mean()),
    }
