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
