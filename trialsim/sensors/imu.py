"""Inertial sensors: stride velocities over free living, SV95C, and lumbar gait speed.

Stride velocity 95th centile (SV95C) from an ankle-worn sensor is an EMA-qualified
endpoint (Duchenne muscular dystrophy; REFERENCE §3). Free-living walking is made of
bouts at varying speed: here each bout's speed is the patient's comfortable speed
(from the simulator) times a log-normal factor (log-SD ``bout_log_sd``, 0.15 by
assumption: everyday speeds spread around the lab speed, fast bouts reaching about
1.3× it), strides within a bout vary with the stride-time CV, and the ankle IMU adds
its per-stride error (stride-velocity bias +1.5 %, SD 0.06 m/s; Mariani et al. 2010,
J Biomech 43:2999). SV95C is the 95th centile of the recorded stride velocities.

Lumbar IMU speed uses the inverted-pendulum model (Zijlstra & Hof 2003): step length
from the vertical excursion of the trunk, ``2·sqrt(2·l·h − h²)``; its documented
speed error (SD ≈ 0.08 m/s) is the ``imu_lumbar`` device's.
"""

from __future__ import annotations

import numpy as np

ANKLE_STRIDE_VELOCITY_BIAS = 0.015
ANKLE_STRIDE_VELOCITY_SD = 0.06


def free_living_stride_velocities(
    gait_speed_m_s: float, stride_time_cv_pct: float, *, rng: np.random.Generator, n_strides: int = 5000,
    bout_strides: int = 50, bout_log_sd: float = 0.15,
) -> np.ndarray:
    """Ankle-IMU stride velocities (m/s) over ``n_strides`` strides of free living."""
    n_bouts = max(1, int(np.ceil(n_strides / bout_strides)))
    bout = gait_speed_m_s * np.exp(bout_log_sd * rng.standard_normal(n_bouts) - 0.5 * bout_log_sd**2)
    true = np.repeat(bout, bout_strides)[:n_strides] * (1.0 + stride_time_cv_pct / 100.0 * rng.standard_normal(n_strides))
    return true * (1.0 + ANKLE_STRIDE_VELOCITY_BIAS) + ANKLE_STRIDE_VELOCITY_SD * rng.standard_normal(n_strides)


def sv95c(
    gait_speed_m_s: np.ndarray, stride_time_cv_pct: np.ndarray, *, rng: np.random.Generator, n_strides: int = 5000,
) -> np.ndarray:
    """SV95C (m/s) per patient from comfortable speed and stride-time CV (see module docs).

    Examples
    --------
    >>> float(sv95c(np.array([1.2]), np.array([2.0]), rng=np.random.default_rng(0))[0]) > 1.2
    True
    """
    speed = np.atleast_1d(np.asarray(gait_speed_m_s, dtype=float))
    cv = np.broadcast_to(np.asarray(stride_time_cv_pct, dtype=float), speed.shape)
    out = np.empty(speed.shape)
    for i in np.ndindex(speed.shape):
        out[i] = np.percentile(free_living_stride_velocities(float(speed[i]), float(cv[i]), rng=rng, n_strides=n_strides), 95)
    return out


def inverted_pendulum_step_length_m(leg_length_m: np.ndarray, vertical_excursion_m: np.ndarray) -> np.ndarray:
    """Step length from trunk vertical excursion (Zijlstra & Hof 2003)."""
    leg, h = np.asarray(leg_length_m, dtype=float), np.asarray(vertical_excursion_m, dtype=float)
    return 2.0 * np.sqrt(np.clip(2.0 * leg * h - h**2, 0.0, None))


# --- signal level: accelerometer and gyroscope at body sites from the segment kinematics ---

#: body sites: (segment angle, point the sensor sits at, fraction of the way to the next point)
SITES: dict[str, tuple[str, str, str, float]] = {
    "lumbar": ("pelvis", "pelvis", "pelvis", 0.0),
    "thigh_r": ("thigh_r", "hip_r", "knee_r", 0.5), "thigh_l": ("thigh_l", "hip_l", "knee_l", 0.5),
    "ankle_r": ("shank_r", "knee_r", "ankle_r", 0.8), "ankle_l": ("shank_l", "knee_l", "ankle_l", 0.8),
    "foot_r": ("foot_r", "ankle_r", "toe_r", 0.5), "foot_l": ("foot_l", "ankle_l", "toe_l", 0.5),
}
GRAVITY_M_S2 = 9.80665
ACCEL_NOISE_M_S2, ACCEL_BIAS_SD_M_S2 = 0.02, 0.05
GYRO_NOISE_RAD_S, GYRO_BIAS_SD_RAD_S = 0.005, 0.01
MOUNTING_SD_RAD = np.radians(5.0)
SIGNAL_LOWPASS_HZ = 15.0


def imu_signals(kin, *, sites: tuple[str, ...], rng: np.random.Generator) -> dict[str, np.ndarray]:  # type: ignore[no-untyped-def]
    """Accelerometer ``<site>_acc_x/_acc_y`` (m/s²) and gyroscope ``<site>_gyro_z`` (rad/s) per site.

    ``kin`` is a :class:`~trialsim.sensors.kinematics.Kinematics`. Sensor frame (sagittal
    plane, right-handed): ``y`` along the segment towards its proximal end (up when
    standing), ``x`` perpendicular to it, anterior (for the foot: ``x`` towards the toes,
    ``y`` up from the sole); ``z = x × y`` points to the walker's left, and ``gyro_z`` is
    positive when the segment's distal end swings forward. The accelerometer reads the
    specific force ``a − g`` (gravity included: +9.81 m/s² on ``y`` standing still).
    Each recording's sensor is mounted off by a rotation (SD 5°) and has a constant
    bias (accelerometer SD 0.05 m/s², gyroscope 0.01 rad/s) and white noise (0.02 m/s²,
    0.005 rad/s SD at 100 Hz: consumer MEMS datasheet values, e.g. Bosch BMI160 noise
    densities 180 µg/√Hz and 0.007 °/s/√Hz, rounded up). Kinematics are differentiated
    numerically and low-passed at 15 Hz (4th-order Butterworth, zero phase).
    """
    from scipy.signal import butter, filtfilt

    t = kin.time_s
    fs = 1.0 / float(t[1] - t[0])
    b, a = butter(4, SIGNAL_LOWPASS_HZ / (0.5 * fs))
    out: dict[str, np.ndarray] = {}
    for site in sites:
        if site not in SITES:
            raise ValueError(f"unknown IMU site {site!r} (allowed: {', '.join(SITES)})")
        seg, p0, p1, frac = SITES[site]
        pos = (1.0 - frac) * kin.points[p0] + frac * kin.points[p1]
        acc = np.gradient(np.gradient(pos, axis=0), axis=0) * fs**2
        acc = filtfilt(b, a, acc, axis=0)
        theta = kin.angles_rad[seg] + MOUNTING_SD_RAD * rng.standard_normal()
        if seg.startswith("foot"):
            theta = theta - np.pi / 2  # foot axis: x along the foot, y up from the sole
        specific = acc + np.array([0.0, GRAVITY_M_S2])
        x_axis = np.stack([np.cos(theta), np.sin(theta)], -1)
        y_axis = np.stack([-np.sin(theta), np.cos(theta)], -1)
        omega = filtfilt(b, a, np.gradient(kin.angles_rad[seg]) * fs)
        out[f"{site}_acc_x"] = (specific * x_axis).sum(-1) + ACCEL_BIAS_SD_M_S2 * rng.standard_normal() + ACCEL_NOISE_M_S2 * rng.standard_normal(len(t))
        out[f"{site}_acc_y"] = (specific * y_axis).sum(-1) + ACCEL_BIAS_SD_M_S2 * rng.standard_normal() + ACCEL_NOISE_M_S2 * rng.standard_normal(len(t))
        out[f"{site}_gyro_z"] = omega + GYRO_BIAS_SD_RAD_S * rng.standard_normal() + GYRO_NOISE_RAD_S * rng.standard_normal(len(t))
    return out


def gyro_stride_times_s(gyro_z: np.ndarray, *, sample_rate_hz: float) -> np.ndarray:
    """Stride times from a shank gyroscope: intervals between mid-swing angular-velocity peaks.

    Mid-swing is the largest forward rotation of the shank (Aminian 2002; Salarian 2004):
    peaks above half the 99th centile, at least 0.5 s apart.
    """
    from scipy.signal import find_peaks

    g = np.asarray(gyro_z, dtype=float)
    height = 0.5 * np.percentile(g, 99)
    peaks, _ = find_peaks(g, height=height, distance=int(0.5 * sample_rate_hz))
    return np.diff(peaks) / sample_rate_hz
