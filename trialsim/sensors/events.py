"""Gait events and features from the vertical force under each foot (real or synthetic alike).

One code path for every recording, so that synthetic and real data are compared on
the same footing (``trialsim fidelity``) and devices measure the way a real insole
pipeline does:

- **Contact** per foot: force above a threshold relative to that recording's own range
  (5th → 95th centile; on at 10 %, off at 5 % — hysteresis, so noise cannot chatter).
  Insole calibration varies between recordings (gaitpdb totals read 0.8–1.9 × body
  weight), so no threshold is in newtons.
- **Heel strike** = start of a contact, **toe off** = its end; strides run heel strike to
  heel strike of the same foot.
- **Cleaning**: strides more than 3 robust SDs or 25 % from the median stride are
  dropped (turns, stops; as in Hausdorff's gaitpdb analyses), together with their
  stance, swing and double support.
- **Features**: stride time, cadence, stance/swing/double support (% of the stride),
  stride- and swing-time CV (%), left/right swing asymmetry (``100·|ln(swing_L/swing_R)|``,
  Plotnik 2005), DFA α of the stride series, and the stance force shape relative to
  the foot's mean stance force (loading peak, mid-stance trough, push-off peak, and
  the loading peak's time in % of stance).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trialsim.sensors.variability import dfa_alpha

ON_FRACTION, OFF_FRACTION = 0.10, 0.05
MAX_STRIDE_DEVIATION = 0.25
SHAPE_POINTS = 51
FEATURES = (
    "stride_time_s", "cadence_steps_min", "stance_pct", "swing_pct", "double_support_pct",
    "stride_time_cv_pct", "swing_time_cv_pct", "swing_asymmetry_pct", "dfa_alpha",
    "force_peak1_rel", "force_trough_rel", "force_peak2_rel", "force_peak1_time_pct",
)


@dataclass(frozen=True)
class FootEvents:
    """One foot's clean strides: heel strike, stride, stance, swing, double support (s)."""

    heel_strike_s: np.ndarray
    stride_s: np.ndarray
    stance_s: np.ndarray
    double_support_s: np.ndarray
    shape: np.ndarray  # (strides, SHAPE_POINTS) stance force / mean stance force

    @property
    def swing_s(self) -> np.ndarray:
        return self.stride_s - self.stance_s


def contact(force_n: np.ndarray) -> np.ndarray:
    """Boolean contact of one foot (see module docs)."""
    f = np.asarray(force_n, dtype=float)
    lo, hi = np.percentile(f, [5.0, 95.0])
    on, off = lo + ON_FRACTION * (hi - lo), lo + OFF_FRACTION * (hi - lo)
    above_on, above_off = f > on, f > off
    # hysteresis without a Python loop: the state flips on at an on-crossing and off at an off-crossing
    marks = np.where(above_on, 1, np.where(~above_off, -1, 0))
    idx = np.where(marks != 0, np.arange(len(f)), 0)
    np.maximum.accumulate(idx, out=idx)
    state = marks[idx] == 1
    state[(marks[idx] == 0)] = False
    return state


def _runs(c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    starts = np.flatnonzero(c[1:] & ~c[:-1]) + 1
    ends = np.flatnonzero(~c[1:] & c[:-1]) + 1
    return starts, ends


def foot_events(force_n: np.ndarray, other_n: np.ndarray, *, sample_rate_hz: float) -> FootEvents:
    """Clean strides of the foot whose force is ``force_n`` (``other_n``: the other foot)."""
    c, c_other = contact(force_n), contact(other_n)
    starts, ends = _runs(c)
    empty = np.zeros(0)
    if len(starts) < 3:
        return FootEvents(empty, empty, empty, empty, np.zeros((0, SHAPE_POINTS)))
    hs, nxt = starts[:-1], starts[1:]
    to = np.array([ends[np.searchsorted(ends, h, side="right")] if np.searchsorted(ends, h, side="right") < len(ends) else -1 for h in hs])
    ok = (to > hs) & (to < nxt)
    stride = (nxt - hs) / sample_rate_hz
    med = np.median(stride[ok]) if ok.any() else np.nan
    mad = 1.4826 * np.median(np.abs(stride[ok] - med)) if ok.any() else np.nan
    ok &= np.abs(stride - med) <= np.minimum(3.0 * max(mad, 0.01 * med), MAX_STRIDE_DEVIATION * med)
    hs, nxt, to, stride = hs[ok], nxt[ok], to[ok], stride[ok]
    stance = (to - hs) / sample_rate_hz
    f = np.asarray(force_n, dtype=float)
    ds = np.array([np.count_nonzero(c_other[a:b] & c[a:b]) for a, b in zip(hs, nxt, strict=True)]) / sample_rate_hz
    grid = np.linspace(0.0, 1.0, SHAPE_POINTS)
    shapes = np.array([np.interp(grid, np.linspace(0.0, 1.0, b - a), f[a:b]) for a, b in zip(hs, to, strict=True)]).reshape(-1, SHAPE_POINTS)
    shapes = shapes / np.maximum(shapes.mean(axis=1, keepdims=True), 1e-9)
    return FootEvents(hs / sample_rate_hz, stride, stance, ds, shapes)


def _cv(x: np.ndarray) -> float:
    return float(100.0 * x.std(ddof=1) / x.mean()) if len(x) > 2 else float("nan")


def force_features(total_l_n: np.ndarray, total_r_n: np.ndarray, *, sample_rate_hz: float = 100.0) -> dict[str, float]:
    """The :data:`FEATURES` of one recording (NaN where too few clean strides)."""
    left = foot_events(total_l_n, total_r_n, sample_rate_hz=sample_rate_hz)
    right = foot_events(total_r_n, total_l_n, sample_rate_hz=sample_rate_hz)
    feet = [e for e in (left, right) if len(e.stride_s) >= 3]
    if not feet:
        return dict.fromkeys(FEATURES, float("nan"))
    stride = np.concatenate([e.stride_s for e in feet])
    stance = np.concatenate([e.stance_s for e in feet])
    ds = np.concatenate([e.double_support_s for e in feet])
    t = float(stride.mean())
    shape = np.concatenate([e.shape for e in feet]).mean(axis=0)
    half, mid = SHAPE_POINTS // 2, slice(SHAPE_POINTS // 4, 3 * SHAPE_POINTS // 4)
    asym = (100.0 * abs(np.log(left.swing_s.mean() / right.swing_s.mean()))
            if len(left.stride_s) >= 3 and len(right.stride_s) >= 3 else float("nan"))
    return {
        "stride_time_s": t,
        "cadence_steps_min": 120.0 / t,
        "stance_pct": float(100.0 * stance.sum() / stride.sum()),
        "swing_pct": float(100.0 * (1.0 - stance.sum() / stride.sum())),
        "double_support_pct": float(100.0 * ds.sum() / stride.sum()),
        "stride_time_cv_pct": float(np.mean([_cv(e.stride_s) for e in feet])),
        "swing_time_cv_pct": float(np.mean([_cv(e.swing_s) for e in feet])),
        "swing_asymmetry_pct": asym,
        "dfa_alpha": float(np.nanmean([dfa_alpha(e.stride_s) for e in feet])) if max(len(e.stride_s) for e in feet) >= 16 else float("nan"),
        "force_peak1_rel": float(shape[:half].max()),
        "force_trough_rel": float(shape[mid].min()),
        "force_peak2_rel": float(shape[half:].max()),
        "force_peak1_time_pct": float(100.0 * np.argmax(shape[:half]) / (SHAPE_POINTS - 1)),
    }
