"""One virtual patient's recordings as tables: insoles (gaitpdb layout), IMU, video keypoints.

Joint angles: the simulator's cycle when it gives one, else adults' natural-speed
cycle (:func:`~trialsim.sensors.cycle.default_cycle`), with the hip excursion scaled so
the cycle's geometry gives the patient's step length
(:func:`~trialsim.sensors.kinematics.scale_to_step_length`).

Each function takes the patient's true gait measures (``GAIT_MEASURES`` names), motor
noise, body size and, where the simulator gives them, its cycle curves; draws the
patient's variability traits (:func:`~trialsim.sensors.cycle.variability_traits`) and
a walk (:func:`~trialsim.sensors.walk.simulate_walk`), and returns the recording plus
the traits (``dfa_alpha_true``, ``asymmetry_true``) that label it.

Insole tables follow the PhysioNet gaitpdb layout: ``time_s``, ``l1`` … ``l8``,
``r1`` … ``r8`` (N), ``total_l_n``, ``total_r_n`` at 100 Hz.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from trialsim.sensors.cycle import CYCLE_PCT, default_cycle, patient_timing
from trialsim.sensors.force import shape_from_curve
from trialsim.sensors.imu import imu_signals
from trialsim.sensors.insoles import InsoleRecording, record_insoles
from trialsim.sensors.kinematics import replay, scale_to_step_length
from trialsim.sensors.video import KEYPOINTS, Camera, walk_keypoints
from trialsim.sensors.walk import Walk, simulate_walk

INSOLE_COLUMNS = ("time_s", *(f"l{i}" for i in range(1, 9)), *(f"r{i}" for i in range(1, 9)), "total_l_n", "total_r_n")
IMU_SITES = ("lumbar", "ankle_l", "ankle_r")


def _walk(
    measures: Mapping[str, float], *, motor_noise: float, duration_s: float, walkway_m: float | None, rng: np.random.Generator,
    paretic_side: str | None = None, start_stop: bool = False,
) -> tuple[Walk, dict[str, float]]:
    timing = patient_timing(dict(measures), motor_noise=motor_noise, rng=rng, paretic_side=paretic_side)
    n = max(4, int(np.ceil(duration_s / timing.stride_time_s)))
    walk = simulate_walk(timing, n_strides=n, rng=rng, straight_m=walkway_m, start_stop=start_stop)
    return walk, {"dfa_alpha_true": timing.dfa_alpha, "asymmetry_true": timing.asymmetry}


def _cycle(
    curves: Mapping[str, np.ndarray] | None, pct: np.ndarray | None, measures: Mapping[str, float], height_m: float,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The patient's joint-angle cycle (simulated, else Bovi's), hip excursion scaled to its step length."""
    needed = [f"{j}_{s}_deg" for j in ("hip_flexion", "knee_flexion", "ankle_dorsiflexion") for s in ("r", "l")]
    if curves is not None and pct is not None and all(k in curves for k in needed):
        cyc, grid = {k: np.asarray(v, dtype=float) for k, v in curves.items()}, np.asarray(pct, dtype=float)
    else:
        cyc, grid = default_cycle(), CYCLE_PCT
    step = measures.get("step_length_m")
    if step is None and "gait_speed_m_s" in measures and "stride_time_s" in measures:
        step = 0.5 * measures["gait_speed_m_s"] * measures["stride_time_s"]
    if step is not None:
        cyc = scale_to_step_length(cyc, step_length_m=float(step), height_m=height_m)
    return cyc, grid


def insole_recording(
    measures: Mapping[str, float], *, motor_noise: float, height_m: float, body_mass_kg: float, rng: np.random.Generator,
    duration_s: float = 120.0, walkway_m: float | None = 25.0,
    curves: Mapping[str, np.ndarray] | None = None, gait_cycle_pct: np.ndarray | None = None, paretic_side: str | None = None,
    start_stop: bool = False,
) -> tuple[InsoleRecording, dict[str, float]]:
    """Insole forces of one patient's walk (M shape from the curves when they have it); ``start_stop``:
    the walk starts and ends standing (:func:`~trialsim.sensors.walk.simulate_walk`)."""
    walk, traits = _walk(measures, motor_noise=motor_noise, duration_s=duration_s, walkway_m=walkway_m, rng=rng,
                         paretic_side=paretic_side, start_stop=start_stop)
    shapes: dict[str, np.ndarray | None] = {"r": None, "l": None}
    if curves is not None and gait_cycle_pct is not None:
        for side in ("r", "l"):
            grf = curves.get(f"grf_vertical_{side}_bw")
            shapes[side] = None if grf is None else shape_from_curve(np.asarray(grf), np.asarray(gait_cycle_pct))
    rec = record_insoles(walk, body_mass_kg=body_mass_kg, height_m=height_m, rng=rng, shape_r=shapes["r"], shape_l=shapes["l"])
    traits["force_shape_from_physics"] = float(shapes["r"] is not None)
    return rec, traits


def insole_table(rec: InsoleRecording) -> pd.DataFrame:
    """The gaitpdb layout of an insole recording (forces rounded to 0.01 N)."""
    data = np.column_stack([rec.time_s, rec.sensors_l_n, rec.sensors_r_n, rec.force_l_n, rec.force_r_n])
    df = pd.DataFrame(np.round(data, 2), columns=list(INSOLE_COLUMNS))
    df["time_s"] = np.round(rec.time_s, 3)
    return df


def imu_table(
    measures: Mapping[str, float], *, motor_noise: float, height_m: float, rng: np.random.Generator,
    duration_s: float = 60.0, walkway_m: float | None = 25.0, sites: tuple[str, ...] = IMU_SITES,
    curves: Mapping[str, np.ndarray] | None = None, gait_cycle_pct: np.ndarray | None = None, sample_rate_hz: float = 100.0,
    paretic_side: str | None = None, start_stop: bool = False,
) -> tuple[pd.DataFrame, dict[str, float]]:
    """``time_s`` and ``<site>_acc_x``, ``<site>_acc_y`` (m/s²), ``<site>_gyro_z`` (rad/s) at 100 Hz."""
    walk, traits = _walk(measures, motor_noise=motor_noise, duration_s=duration_s, walkway_m=walkway_m, rng=rng,
                         paretic_side=paretic_side, start_stop=start_stop)
    cyc, pct = _cycle(curves, gait_cycle_pct, measures, height_m)
    kin = replay(cyc, pct, walk, height_m=height_m, sample_rate_hz=sample_rate_hz)
    signals = imu_signals(kin, sites=sites, rng=rng)
    df = pd.DataFrame({"time_s": np.round(kin.time_s, 3), **{k: np.round(v, 4) for k, v in signals.items()}})
    return df, traits


def video_table(
    measures: Mapping[str, float], *, motor_noise: float, height_m: float, rng: np.random.Generator,
    n_strides: int = 3, camera: Camera | None = None,
    curves: Mapping[str, np.ndarray] | None = None, gait_cycle_pct: np.ndarray | None = None, paretic_side: str | None = None,
) -> tuple[pd.DataFrame, dict[str, float]]:
    """``frame``, ``time_s`` and ``<keypoint>_x_px``, ``<keypoint>_y_px`` of a pass in front of the camera."""
    timing = patient_timing(dict(measures), motor_noise=motor_noise, rng=rng, paretic_side=paretic_side)
    walk = simulate_walk(timing, n_strides=n_strides + 1, rng=rng)
    cyc, pct = _cycle(curves, gait_cycle_pct, measures, height_m)
    kin = replay(cyc, pct, walk, height_m=height_m, sample_rate_hz=120.0)
    t, px = walk_keypoints(kin, camera=camera, rng=rng)
    cols: dict[str, np.ndarray] = {"frame": np.arange(len(t)), "time_s": np.round(t, 4)}
    for j, name in enumerate(KEYPOINTS):
        cols[f"{name}_x_px"] = np.round(px[:, j, 0], 2)
        cols[f"{name}_y_px"] = np.round(px[:, j, 1], 2)
    return pd.DataFrame(cols), {"dfa_alpha_true": timing.dfa_alpha, "asymmetry_true": timing.asymmetry}
