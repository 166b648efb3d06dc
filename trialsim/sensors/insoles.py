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

**Contact timing.** An insole's contact does not start and end exactly when the foot's
contact with the floor does: each stance is stretched between the insole's own heel
strike and toe off, the true events plus a per-event offset (:class:`ContactTiming`,
default :data:`CONTACT_TIMING`); the detector's threshold then reads them as a real
insole's would. The only published per-event figures found for an in-shoe force sensor
against a force platform with both sign and SD are Hausdorff, Ladin & Wei 1995 (J Biomech
28(3):347–351, abstract; the group that later recorded gaitpdb): in-shoe footswitches (a
commercial force transducer, no custom footwear) vs a force platform, 10 adults × 30
steps at slow, normal and fast walking (N = 300): start of stance 0 ± 3 ms (all within
±10 ms), end of stance −1 ± 8 ms (within ±22 ms). So the default offsets are 0 and −1 ms
with SDs 3 and 8 ms, independent per event: toe off read through a force threshold is
the noisier event. Caveats: those SDs are of the difference between two detectors (the
platform's own threshold included), and a footswitch is not the gaitpdb's Ultraflex
insole. Not modelled, for want of signed per-event figures: that insoles read stance
*longer* than force platforms (PMC6453056, 39 adults over two force platforms: "less
than 10 %", abstract, no per-event split); Catalfamo, Moser, Ghoussayni & Ewins 2008
(Gait Posture 28(3):420–426, F-Scan, 10 adults) give only absolute differences: 42 ± 11
/ 37 ± 11 ms at initial contact / foot off with the built-in force threshold, 22 ± 9 /
10 ± 4 ms by loaded area; and a conference abstract ("Comparison of kinetic and
kinematic data common to insole pressure and forceplate systems", 6 adults) found
contact time 3–9 % *shorter* with the insoles (onset at 2.5 N/cm²). The sources
disagree on the sign of a mean offset, so only Hausdorff's is used.

:func:`insole_measures` reads the gait measures back from the totals alone with the
event detection of :mod:`.events` (the same code ``trialsim fidelity`` uses on real
recordings); its error against the truth is the device's error (``tests/sensors``
reports it next to ``DEVICES["insoles"]``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

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
class ContactTiming:
    """Per-event offset of the insole's contact from the foot's (s): mean and SD at heel strike and toe off."""

    heel_strike_offset_s: float
    heel_strike_sd_s: float
    toe_off_offset_s: float
    toe_off_sd_s: float

    def read(self, heel_strike_s: np.ndarray, toe_off_s: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The insole's heel strikes and toe offs of stances ``i`` (``z``: ``(2, len(toe_off_s))`` standard normals).

        Examples
        --------
        >>> hs, to = CONTACT_TIMING.read(np.array([0.0, 1.1]), np.array([0.7]), np.zeros((2, 1)))
        >>> float(hs[0]), round(float(to[0]), 3)
        (0.0, 0.699)
        """
        n = len(toe_off_s)
        hs = heel_strike_s[:n] + self.heel_strike_offset_s + self.heel_strike_sd_s * z[0, :n]
        to = toe_off_s + self.toe_off_offset_s + self.toe_off_sd_s * z[1, :n]
        return hs, np.maximum(to, hs + 0.02)


CONTACT_TIMING = ContactTiming(heel_strike_offset_s=0.0, heel_strike_sd_s=0.003, toe_off_offset_s=-0.001, toe_off_sd_s=0.008)
NO_TIMING_ERROR = replace(CONTACT_TIMING, heel_strike_offset_s=0.0, heel_strike_sd_s=0.0, toe_off_offset_s=0.0, toe_off_sd_s=0.0)


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
    contact_timing: ContactTiming | None = None,
) -> InsoleRecording:
    """Insole sensor forces over ``walk`` (see module docs); shapes on :data:`~.force.STANCE_GRID`.

    ``contact_timing`` defaults to :data:`CONTACT_TIMING` (Hausdorff 1995);
    :data:`NO_TIMING_ERROR` gives contacts exactly at the walk's events. The timing draws
    are made either way, so the two share every other random number.
    """
    timing = CONTACT_TIMING if contact_timing is None else contact_timing
    t = np.arange(0.0, walk.duration_s, 1.0 / sample_rate_hz)
    bw = body_mass_kg * G
    sides = []
    for side, shape in (("r", shape_r), ("l", shape_l)):
        hs_true, to_true = getattr(walk, f"heel_strike_{side}_s"), getattr(walk, f"toe_off_{side}_s")
        hs, to = timing.read(hs_true, to_true, rng.standard_normal((2, len(to_true))))
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
