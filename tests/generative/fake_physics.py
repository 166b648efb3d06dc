"""TEST-ONLY stand-in for the Moco solve: a smooth, deterministic toy 'physics'.

It records the same measures and curves as a real library solve so that the
generator's code can be unit-tested without hours of OpenSim. Nothing here is
calibrated or shipped.
"""

from __future__ import annotations

import math

import numpy as np

PCT = np.linspace(0.0, 100.0, 51)


def _bump(centre: float, width: float) -> np.ndarray:
    d = (PCT - centre + 50.0) % 100.0 - 50.0
    return np.exp(-0.5 * (d / width) ** 2)


def fake_physics_solve(params, speed_m_s, settings, timeout_s):
    p = {"height_m": 1.75, "neural_drive": 1.0, "passive_stiffness": 1.0, "activation_time_scale": 1.0}
    p.update(params)
    strength = np.mean([p.get(f"strength_{g}", 1.0) for g in ("plantarflexors", "hip_extensors", "hip_flexors")])
    fl_knee = p.get("fiber_length_knee_flexors", 1.0)
    h = p["height_m"]
    v_ref = 1.2 * h / 1.75
    rel = speed_m_s / v_ref
    stride_time = 1.1 * math.sqrt(h / 1.75) * rel ** -0.45 * p["activation_time_scale"] ** 0.08
    stance = 62.0 + 6.0 * (1.0 - rel) + 4.0 * (1.0 - p["neural_drive"])
    knee = 62.0 + 10.0 * (rel - 1.0) - 40.0 * (1.0 - fl_knee) - 4.0 * (p["passive_stiffness"] - 1.0)
    work_rate = 0.6 * rel ** 2.5 / (strength * p["neural_drive"]) ** 1.5 * p["passive_stiffness"] ** 0.3
    effort = 0.05 * rel
    basal = 1.2
    curves = {"gait_cycle_pct": PCT.tolist()}
    for side, shift in (("r", 0.0), ("l", 50.0)):
        curves[f"knee_flexion_{side}_deg"] = (5.0 + (knee - 5.0) * _bump(72.0 + shift, 9.0) + 15 * _bump(15 + shift, 6)).tolist()
        curves[f"hip_flexion_{side}_deg"] = (10.0 + 25.0 * rel * np.cos(2 * np.pi * (PCT - shift) / 100.0)).tolist()
        curves[f"ankle_dorsiflexion_{side}_deg"] = (5.0 * np.sin(2 * np.pi * (PCT - shift) / 100.0) - 18.0 * _bump(64 + shift, 5) * strength).tolist()
        curves[f"grf_vertical_{side}_bw"] = ((0.3 + _bump(12 + shift, 6) + _bump(48 + shift, 6)) * (0.9 + 0.2 * rel) * ((PCT - shift) % 100 < stance)).tolist()
        curves[f"activation_soleus_{side}"] = (0.05 + 0.4 * effort * _bump(45 + shift, 8)).tolist()
    return {"success": True, "status": "Solve_Succeeded", "failure_reason": "", "objective": effort,
            "iterations": 10, "wall_time_s": 0.01, "full_cycle": False,
            "measures": {"gait_speed_m_s": speed_m_s, "stride_time_s": stride_time,
                         "stride_length_m": speed_m_s * stride_time, "step_length_m": speed_m_s * stride_time / 2,
                         "cadence_steps_min": 120 / stride_time, "stride_time_cv_pct": float("nan"),
                         "stance_pct": stance, "swing_pct": 100 - stance, "double_support_pct": 2 * (stance - 50),
                         "peak_knee_flexion_swing_deg": knee, "effort_per_m": effort,
                         "cost_of_transport": (work_rate + basal) / speed_m_s},
            "curves": curves}


def toy_self_selected_speed_m_s(params, index: int) -> float:
    """The toy physics' chosen speed of a body: its cost-of-transport minimum (``rel = (4k/3)^(1/3.5)``
    with ``k`` the toy's effort capacity), faster with more vigour, slower with joint rigidity,
    and a deterministic per-body part the parameters do not explain (≈ 4 % log-SD)."""
    p = {"height_m": 1.75, "neural_drive": 1.0, "passive_stiffness": 1.0, "vigour": 1.0, "joint_rigidity": 0.0}
    p.update(params)
    strength = np.mean([p.get(f"strength_{g}", 1.0) for g in ("plantarflexors", "hip_extensors", "hip_flexors")])
    k = (strength * p["neural_drive"]) ** 1.5 / p["passive_stiffness"] ** 0.3
    rel = (4.0 * k / 3.0) ** (1.0 / 3.5) * p["vigour"] ** 0.25 * (1.0 - 0.05 * p["joint_rigidity"])
    return float(1.2 * p["height_m"] / 1.75 * rel * math.exp(0.04 * math.sin(7.3 * index)))


def fake_body_solve_v2(sample, settings, timeout_s, out_dir, solution_file):
    """TEST-ONLY library-v2 body solve: the toy physics at the body's own chosen speed
    (``toy_self_selected_speed_m_s``), or at an imposed speed for a sibling."""
    speed = sample["speed_m_s"] or toy_self_selected_speed_m_s(sample["params"], sample["index"])
    return {**fake_physics_solve(sample["params"], speed, settings, timeout_s), "speed_m_s": speed}
