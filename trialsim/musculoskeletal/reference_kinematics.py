"""Reference joint kinematics (Ferrarin adult free-speed means) scaled to a patient.

The Fourier coefficients are fitted once by ``scripts/fit_reference_kinematics.py``
and shipped in ``trialsim/data/reference_kinematics.json`` (Bovi et al. 2011, Gait
Posture 33:6). Here they are evaluated at any phase and turned into a states table
for Moco: joint angles (rad), pelvis forward position from the walking speed and
pelvis height such that the lowest contact sphere sinks 4 mm into the floor.
"""

from __future__ import annotations

import json
import math
from functools import cache
from importlib import resources
from typing import Any

import numpy as np

from trialsim.musculoskeletal.anthropometry import Anthropometry
from trialsim.musculoskeletal.model import CONTACT_SPHERES

#: natural-speed cadence of adults (Bovi et al. 2011), steps/min
REFERENCE_CADENCE_STEPS_MIN = 109.8
#: natural speed in body heights per second (Bovi et al. 2011: 71.4 %H/s)
REFERENCE_SPEED_HEIGHTS_S = 0.714
SPHERE_PENETRATION_M = 0.004


@cache
def _coefficients() -> dict[str, Any]:
    text = resources.files("trialsim").joinpath("data/reference_kinematics.json").read_text()
    return json.loads(text)


def joint_angles_deg(joint: str, phase: np.ndarray) -> np.ndarray:
    """Right-leg reference angle of ``joint`` (deg) at ``phase`` in cycles (0 = right heel strike)."""
    c = _coefficients()["joints"][joint]
    phase = np.asarray(phase, dtype=float)
    out = np.full_like(phase, c["a0"])
    for k, (a, b) in enumerate(zip(c["a"], c["b"], strict=True), start=1):
        out += a * np.cos(2 * np.pi * k * phase) + b * np.sin(2 * np.pi * k * phase)
    return out


def reference_stride_time_s() -> float:
    return 120.0 / REFERENCE_CADENCE_STEPS_MIN


#: the predictive solve's stride-time bounds, as multiples of the reference stride time
#: scaled Froude-like by √(height / 1.75 m) (a solve at a bound did not choose its timing freely)
STRIDE_TIME_BOUNDS_REL = (0.6, 1.5)


def stride_time_bounds_s(height_m: float) -> tuple[float, float]:
    """Lowest and highest stride time a predictive solve may take for a patient's height."""
    t = reference_stride_time_s() * math.sqrt(height_m / 1.75)
    return STRIDE_TIME_BOUNDS_REL[0] * t, STRIDE_TIME_BOUNDS_REL[1] * t


def _sphere_heights(body: Anthropometry, tilt: np.ndarray, hip: np.ndarray, knee: np.ndarray, ankle: np.ndarray) -> np.ndarray:
    """Lowest point of the foot's spheres relative to the hip centre (planar forward kinematics)."""
    s = body.length_scale

    def rot_y(theta: np.ndarray, x: float, y: float) -> np.ndarray:
        return x * np.sin(theta) + y * np.cos(theta)

    thigh = tilt + hip
    shank = thigh + knee
    foot = shank + ankle
    ankle_y = rot_y(thigh, 0.0, -body.thigh.length_m) + rot_y(shank, 0.0, -body.shank.length_m)
    lows = [
        ankle_y + rot_y(foot, x, -body.ankle_height_m + r) - r
        for x, r in ((x_nominal * s, radius) for _, x_nominal, radius in CONTACT_SPHERES)
    ]
    return np.minimum.reduce(lows)


def reference_states(body: Anthropometry, *, speed_m_s: float, stride_time_s: float, duration_s: float, n_rows: int = 101) -> dict[str, np.ndarray]:
    """Reference coordinate values (rad, m) from time 0 (right heel strike) to ``duration_s``.

    Returns a mapping from coordinate name to values plus ``"time"``.
    """
    time = np.linspace(0.0, duration_s, n_rows)
    phase = time / stride_time_s
    tilt = np.radians(joint_angles_deg("pelvis_tilt", phase))
    out: dict[str, np.ndarray] = {"time": time, "pelvis_tilt": tilt, "pelvis_tx": speed_m_s * time}
    lows = []
    for side, shift in (("r", 0.0), ("l", 0.5)):
        angles = {j: np.radians(joint_angles_deg(j, phase + shift)) for j in ("hip_flexion", "knee_angle", "ankle_angle")}
        for j, v in angles.items():
            out[f"{j}_{side}"] = v
        lows.append(_sphere_heights(body, tilt, angles["hip_flexion"], angles["knee_angle"], angles["ankle_angle"]))
    out["pelvis_ty"] = -np.minimum(*lows) - SPHERE_PENETRATION_M
    return out


def coordinate_path(name: str) -> str:
    """Moco state path of a coordinate value."""
    joint = {"pelvis": "ground_pelvis", "hip": "hip", "knee": "knee", "ankle": "ankle"}[name.split("_")[0]]
    if joint != "ground_pelvis":
        joint = f"{joint}_{name[-1]}"
    return f"/jointset/{joint}/{name}/value"


def states_table(states: dict[str, np.ndarray], *, exclude: tuple[str, ...] = ()) -> Any:
    """An ``opensim.TimeSeriesTable`` of coordinate values with Moco state-path labels."""
    import opensim as osim

    names = [n for n in states if n != "time" and n not in exclude]
    table = osim.TimeSeriesTable()
    labels = osim.StdVectorString()
    for n in names:
        labels.append(coordinate_path(n))
    table.setColumnLabels(labels)
    table.addTableMetaDataString("inDegrees", "no")
    for i, t in enumerate(states["time"]):
        row = osim.RowVector(len(names), 0.0)
        for j, n in enumerate(names):
            row[j] = float(states[n][i])
        table.appendRow(float(t), row)
    return table


def degrees(values: np.ndarray) -> np.ndarray:
    return np.asarray(values) * 180.0 / math.pi
