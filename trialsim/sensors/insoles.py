"""Pressure insoles: 8 sensor forces under each foot over a walk, and the measures read from them.

:func:`record_insoles` turns a :class:`~trialsim.sensors.walk.Walk` (each foot's own
heel strikes and toe offs) into the force under each foot, stride by stride: every
stance is the foot's stance shape (:mod:`.force`: the simulated curve when it is
M-shaped, else the parametric M at that stride's speed) stretched over that stance's
duration, times a per-stride amplitude factor ``1 + 0.03·η``, split over the 8 sensors
by the rolling centre of pressure. Each person has their own stance shape: the
peaks and trough vary between people with SD 0.08, 0.06, 0.08 BW and the peaks' times
with SD 3 % and 2 % of stance (between-subject spread of vertical GRF peaks ≈ 0.1 BW:
Winter; Keller et al. 1996). The device then adds, per sensor, white noise
(``SENSOR_NOISE_N`` = 4 N SD, ≈ 10 N on the total: an assumption for capacitive
insoles), reads no negative force, and has a per-foot calibration gain (log-normal,
log-SD 0.2: insole totals read 0.8–1.9 × body weight in gaitpdb) and a gain per sensor
(log-SD 0.25: sensor-to-sensor variation and placement under the foot, an assumption),
so the total's shape differs from the true force's. Sampled at 100 Hz.

:func:`insole_measures` reads the gait measures back from the totals alone with the
event detection of :mod:`.events` (the same code ``trialsim fidelity`` uses on real
recordings); its error against the truth is the device's error (``tests/sensors``
reports it next to ``DEVICES["insoles"]``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trialsim.sensors.events import force_features
from trialsim.sensors.force import (
    NATURAL_SPEED_HEIGHTS_S,
    STANCE_GRID,
    body_weight_scale,
    m_shape_bw,
    sensor_weights,
    shape_from_curve,
)
from trialsim.sensors.walk import GaitTiming, Walk, simulate_walk

SENSOR_NOISE_N = 4.0
AMPLITUDE_SD = 0.03
SHAPE_JITTER_SD = np.array([0.08, 0.06, 0.08, 0.03, 0.02])  # BW, BW, BW, stance, stance
SENSOR_GAIN_LOG_SD = 0.25
CALIBRATION_LOG_SD = 0.2
G = 9.80665
MEASURES = ("stride_time_s", "stride_time_cv_pct", "cadence_steps_min", "stance_pct", "swing_pct", "double_support_pct")


@dataclass(frozen=True)
class InsoleRecording:
    """Sensor forces ``(T, 8)`` per foot (N) at ``time_s``; ``walk`` holds the true events."""

    time_s: np.ndarray
    sensors_r_n: np.ndarray
    sensors_l_n: np.ndarray
    body_weight_n: float
    walk: Walk

    @property
    def force_r_n(self) -> np.ndarray:
        return self.sensors_r_n.sum(axis=1)

    @property
    def force_l_n(self) -> np.ndarray:
        return self.sensors_l_n.sum(axis=1)

    @property
    def stride_times_s(self) -> np.ndarray:
        return self.walk.stride_times_s("r")


def _foot(
    t: np.ndarray, hs: np.ndarray, to: np.ndarray, speed: np.ndarray, *, shape: np.ndarray | None,
    stance_fraction: float, height_m: float, rng: np.random.Generator,
) -> np.ndarray:
    """One foot's ``(T, 8)`` force in body weights."""
    out = np.zeros((len(t), 8))
    jitter = SHAPE_JITTER_SD * rng.standard_normal(5)
    ref_u = float(np.median(speed)) / (NATURAL_SPEED_HEIGHTS_S * height_m)
    base = shape if shape is not None else m_shape_bw(STANCE_GRID, relative_speed=ref_u, jitter=jitter)
    scale = body_weight_scale(base, stance_fraction=stance_fraction)
    amps = 1.0 + AMPLITUDE_SD * rng.standard_normal(len(to))
    for i in range(len(to)):
        a, b = np.searchsorted(t, [hs[i], to[i]])
        if b <= a:
            continue
        tau = (t[a:b] - hs[i]) / (to[i] - hs[i])
        if shape is None:
            u = speed[i] / (NATURAL_SPEED_HEIGHTS_S * height_m)
            f = m_shape_bw(tau, relative_speed=u, jitter=jitter)
        else:
            f = np.interp(tau, STANCE_GRID, shape)
        out[a:b] = (f * amps[i] * scale)[:, None] * sensor_weights(tau)
    return out


def record_insoles(
    walk: Walk, *, body_mass_kg: float, height_m: float, rng: np.random.Generator,
    shape_r: np.ndarray | None = None, shape_l: np.ndarray | None = None, sample_rate_hz: float = 100.0,
) -> InsoleRecording:
    """Insole sensor forces over ``walk`` (see module docs); shapes on :data:`~.force.STANCE_GRID`."""
    t = np.arange(0.0, walk.duration_s, 1.0 / sample_rate_hz)
    bw = body_mass_kg * G
    sides = []
    for side, shape in (("r", shape_r), ("l", shape_l)):
        hs, to = getattr(walk, f"heel_strike_{side}_s"), getattr(walk, f"toe_off_{side}_s")
        frac = float(walk.stance_times_s(side).sum() / walk.stride_times_s(side).sum())
        f_bw = _foot(t, hs, to, getattr(walk, f"speed_{side}_m_s"), shape=shape, stance_fraction=frac, height_m=height_m, rng=rng)
        gain = np.exp(CALIBRATION_LOG_SD * rng.standard_normal() + SENSOR_GAIN_LOG_SD * rng.standard_normal(8))
        sensors = f_bw * bw * gain + SENSOR_NOISE_N * rng.standard_normal(f_bw.shape)
        sides.append(np.clip(sensors, 0.0, None))
    return InsoleRecording(t, sides[0], sides[1], bw, walk)


def continuous_walk(
    grf_vertical_r_bw: np.ndarray, grf_vertical_l_bw: np.ndarray, gait_cycle_pct: np.ndarray, *,
    stride_time_s: float, stride_time_cv_pct: float, body_mass_kg: float, n_strides: int,
    rng: np.random.Generator, sample_rate_hz: float = 100.0, gait_speed_m_s: float = 1.2, height_m: float = 1.75,
    dfa_alpha: float = 0.85,
) -> InsoleRecording:
    """Insole forces of one patient's simulated cycle (vGRF curves in BW, 0 % = right heel strike).

    Stance % comes from the curves (fraction above 5 % BW); each stance keeps the
    curve's shape if it is M-shaped, else the parametric M (:mod:`.force`).

    Examples
    --------
    >>> pct = np.linspace(0, 100, 51)
    >>> r = np.where(pct < 60, 1.0, 0.0); l = np.roll(r, 25)
    >>> rec = continuous_walk(r, l, pct, stride_time_s=1.1, stride_time_cv_pct=2.0, body_mass_kg=70,
    ...                       n_strides=20, rng=np.random.default_rng(0))
    >>> rec.force_r_n.shape == rec.time_s.shape
    True
    """
    pct = np.asarray(gait_cycle_pct, dtype=float)
    fine = np.linspace(0.0, 100.0, 1001)[:-1]
    stance = [100.0 * float(np.mean(np.interp(fine, pct, np.asarray(c, float), period=100.0) > 0.05))
              for c in (grf_vertical_r_bw, grf_vertical_l_bw)]
    timing = GaitTiming(stride_time_s, float(np.mean(stance)), gait_speed_m_s, stride_time_cv_pct, dfa_alpha)
    walk = simulate_walk(timing, n_strides=n_strides, rng=rng)
    return record_insoles(
        walk, body_mass_kg=body_mass_kg, height_m=height_m, rng=rng, sample_rate_hz=sample_rate_hz,
        shape_r=shape_from_curve(grf_vertical_r_bw, pct), shape_l=shape_from_curve(grf_vertical_l_bw, pct),
    )


def insole_measures(rec: InsoleRecording) -> dict[str, float]:
    """Stride time, its CV, cadence, stance, swing and double support from the total forces alone."""
    sample_rate_hz = 1.0 / float(rec.time_s[1] - rec.time_s[0])
    features = force_features(rec.force_l_n, rec.force_r_n, sample_rate_hz=sample_rate_hz)
    return {name: features[name] for name in MEASURES}
