"""Devices that measure from the signals: the slow, faithful path behind ``DEVICES``' error figures.

:func:`measure_from_signals` records each patient's walk with the device's signal model
and reads the measures back with the event detection a real device uses:

- ``insoles``: heel strike / toe off from force thresholds on each foot's total
  (:mod:`.events`) → stride time, its CV, cadence, stance, swing, double support;
- ``imu_ankle``: mid-swing peaks of the shank gyroscope → stride time, its CV, cadence;
- ``phone_video``: keypoints through the camera → speed, step and stride length,
  cadence, peak swing knee flexion (:func:`.video.video_gait_estimates`).

A measure the device reports but has no signal path here (insole and ankle-IMU speed
and lengths, every lumbar-IMU, walkway and stopwatch measure) keeps the calibrated
error of :func:`.devices.measure`. :func:`signal_error_table` measures the signal path's
error against the truth; ``tests/sensors/test_signal_devices.py`` checks that the fast
calibrated path (:func:`.devices.measure`, which the trial grids use) matches it.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from trialsim.sensors.devices import DEVICES, measure
from trialsim.sensors.imu import gyro_stride_times_s
from trialsim.sensors.insoles import MEASURES as INSOLE_MEASURES
from trialsim.sensors.insoles import insole_measures
from trialsim.sensors.recordings import imu_table, insole_recording, video_table
from trialsim.sensors.video import video_gait_estimates

SIGNAL_MEASURES: dict[str, tuple[str, ...]] = {
    "insoles": INSOLE_MEASURES,
    "imu_ankle": ("stride_time_s", "stride_time_cv_pct", "cadence_steps_min"),
    "phone_video": ("gait_speed_m_s", "step_length_m", "stride_length_m", "cadence_steps_min", "peak_knee_flexion_swing_deg"),
}


def _one(device: str, gait: dict[str, float], *, height_m: float, body_mass_kg: float, motor_noise: float,
         duration_s: float, rng: np.random.Generator) -> dict[str, float]:
    if device == "insoles":
        rec, _ = insole_recording(gait, motor_noise=motor_noise, height_m=height_m, body_mass_kg=body_mass_kg, rng=rng,
                                  duration_s=duration_s, walkway_m=None)
        return insole_measures(rec)
    if device == "imu_ankle":
        df, _ = imu_table(gait, motor_noise=motor_noise, height_m=height_m, rng=rng, duration_s=duration_s, walkway_m=None,
                          sites=("ankle_r",))
        strides = gyro_stride_times_s(df["ankle_r_gyro_z"].to_numpy(), sample_rate_hz=100.0)
        t = float(strides.mean())
        return {"stride_time_s": t, "stride_time_cv_pct": float(100 * strides.std(ddof=1) / t), "cadence_steps_min": 120.0 / t}
    df, _ = video_table(gait, motor_noise=motor_noise, height_m=height_m, rng=rng)
    px = np.stack([df[[f"{k}_x_px", f"{k}_y_px"]].to_numpy() for k in
                   ("hip_r", "knee_r", "ankle_r", "toe_r", "hip_l", "knee_l", "ankle_l", "toe_l")], 1)
    return video_gait_estimates(df["time_s"].to_numpy(), px, height_m=height_m, rng=rng)


def measure_from_signals(
    true_gait: Mapping[str, np.ndarray], *, device: str, rng: np.random.Generator, height_m: np.ndarray,
    body_mass_kg: np.ndarray, motor_noise: np.ndarray | None = None, duration_s: float = 60.0,
) -> dict[str, np.ndarray]:
    """Observe ``(N,)`` true gaits through ``device``'s signals (module docs); same keys as :func:`.devices.measure`.

    Examples
    --------
    >>> gait = {"gait_speed_m_s": np.array([1.2]), "stride_time_s": np.array([1.1]), "stance_pct": np.array([62.0]),
    ...         "stride_time_cv_pct": np.array([2.0])}
    >>> out = measure_from_signals(gait, device="insoles", rng=np.random.default_rng(0), height_m=np.array([1.7]),
    ...                            body_mass_kg=np.array([70.0]))
    >>> abs(float(out["stride_time_s"][0]) - 1.1) < 0.05
    True
    """
    if device not in DEVICES:
        raise ValueError(f"unknown device {device!r} (allowed: {', '.join(DEVICES)})")
    observed = measure(true_gait, device=device, rng=rng)  # the calibrated error, for measures without a signal path
    paths = [m for m in SIGNAL_MEASURES.get(device, ()) if m in observed]
    if not paths:
        return observed
    arrays = {k: np.asarray(v, dtype=float).ravel() for k, v in true_gait.items()}
    n = len(next(iter(arrays.values())))
    height, mass = np.broadcast_to(height_m, n), np.broadcast_to(body_mass_kg, n)
    noise = np.broadcast_to(1.0 if motor_noise is None else motor_noise, n)
    for i in range(n):
        gait = {k: float(v[i]) for k, v in arrays.items()}
        got = _one(device, gait, height_m=float(height[i]), body_mass_kg=float(mass[i]), motor_noise=float(noise[i]),
                   duration_s=duration_s, rng=rng)
        for m in paths:
            observed[m].reshape(-1)[i] = got[m]
    return observed


def signal_error_table(
    true_gait: Mapping[str, np.ndarray], observed: Mapping[str, np.ndarray], *, device: str,
) -> pd.DataFrame:
    """Per signal-path measure: bias and SD of (observed − true), next to the calibrated figures."""
    rows = []
    for m in SIGNAL_MEASURES.get(device, ()):
        if m not in observed or m not in true_gait:
            continue
        truth = np.asarray(true_gait[m], dtype=float)
        err = np.asarray(observed[m], dtype=float) - truth
        spec = DEVICES[device].errors[m]
        rows.append({"device": device, "measure": m, "bias": float(np.nanmean(err)), "sd": float(np.nanstd(err, ddof=1)),
                     "relative_bias": float(np.nanmean(err / truth)),
                     "calibrated_relative_bias": spec.relative_bias, "calibrated_sd": spec.noise_sd})
    return pd.DataFrame(rows)
