"""Turn a Moco solution into curves over the gait cycle and gait measures (worker side).

Curves (51 points over 0–100 % of the cycle, 0 % = right heel strike):

- angles in clinical conventions: ``hip_flexion_<s>_deg``, ``knee_flexion_<s>_deg``
  (= −knee_angle), ``ankle_dorsiflexion_<s>_deg``, ``pelvis_tilt_deg``;
- net internal joint moments from muscles plus reserves, per kg body mass,
  same sign conventions: ``hip_flexion_moment_<s>_nm_kg`` etc.;
- ``activation_<muscle>_<s>``;
- ground reaction forces per foot in body weights: ``grf_vertical_<s>_bw``,
  ``grf_ap_<s>_bw``.

``cost_of_transport`` (J/kg/m) is the joint-work metabolic estimate of
:func:`.measures.cost_of_transport` (positive work / 0.25, negative work / 1.2,
plus a basal 1.2 W/kg). ``effort_per_m`` (∫Σ a³ dt / distance, muscles only) is the
optimiser's own effort measure; it is almost flat in speed (0.040 at 1.2 m/s, 0.042
at 1.44 m/s for the nominal model), so it cannot select a speed by itself.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trialsim.musculoskeletal.measures import cost_of_transport, gait_measures, rephase
from trialsim.musculoskeletal.model import MUSCLES, SIDES, contact_force_paths, muscle_name

JOINTS = (("hip_flexion", "hip", 1.0), ("knee_angle", "knee", -1.0), ("ankle_angle", "ankle", 1.0))
CLINICAL = {"hip_flexion": "hip_flexion", "knee_angle": "knee_flexion", "ankle_angle": "ankle_dorsiflexion"}


def _col(table: Any, label: str) -> np.ndarray:
    return np.asarray(table.getDependentColumn(label).to_numpy(), dtype=float)


def full_cycle_trajectory(solution: Any, *, full_cycle: bool) -> Any:
    import opensim as osim

    return solution if full_cycle else osim.createPeriodicTrajectory(solution)


def extract(solution: Any, model: Any, *, full_cycle: bool, body_mass_kg: float, n_points: int = 51) -> tuple[dict[str, list[float]], dict[str, float]]:
    """Curves (name → list over ``gait_cycle_pct``) and measures of a solved half or full cycle."""
    import opensim as osim

    traj = full_cycle_trajectory(solution, full_cycle=full_cycle)
    time = np.asarray(traj.getTimeMat(), dtype=float)
    weight = body_mass_kg * 9.80665
    grf = osim.createExternalLoadsTableForGait(
        model, traj,
        osim.StdVectorString(contact_force_paths("r")),
        osim.StdVectorString(contact_force_paths("l")),
    )
    signals: dict[str, np.ndarray] = {}
    for side in SIDES:
        signals[f"grf_vertical_{side}_bw"] = _col(grf, f"ground_force_{side}_vy") / weight
        signals[f"grf_ap_{side}_bw"] = _col(grf, f"ground_force_{side}_vx") / weight
    coords = {}
    for name in ("pelvis_tilt", "pelvis_tx"):
        coords[name] = np.asarray(traj.getStateMat(f"/jointset/ground_pelvis/{name}/value"), dtype=float)
    signals["pelvis_tilt_deg"] = np.degrees(coords["pelvis_tilt"])
    for side in SIDES:
        for coord, joint, sign in JOINTS:
            values = np.asarray(traj.getStateMat(f"/jointset/{joint}_{side}/{coord}_{side}/value"), dtype=float)
            signals[f"{CLINICAL[coord]}_{side}_deg"] = sign * np.degrees(values)
        for spec in MUSCLES:
            name = muscle_name(spec, side)
            signals[f"activation_{name}"] = np.asarray(traj.getStateMat(f"/forceset/{name}/activation"), dtype=float)
    signals.update(_joint_moments(traj, model, body_mass_kg))

    measures = gait_measures(
        time, coords["pelvis_tx"],
        signals["grf_vertical_r_bw"] * weight, signals["grf_vertical_l_bw"] * weight,
        signals["knee_flexion_r_deg"], signals["knee_flexion_l_deg"],
        body_weight_n=weight,
    )
    activations = np.vstack([signals[f"activation_{muscle_name(s, side)}"] for s in MUSCLES for side in SIDES])
    effort = float(np.trapezoid((activations**3).sum(axis=0), time))
    distance = float(coords["pelvis_tx"][-1] - coords["pelvis_tx"][0])
    duration = float(time[-1] - time[0])
    measures["effort_per_m"] = effort / distance
    measures["peak_grf_vertical_bw"] = float(max(signals["grf_vertical_r_bw"].max(), signals["grf_vertical_l_bw"].max()))
    measures["peak_plantarflexion_moment_nm_kg"] = float(-min(signals["ankle_dorsiflexion_moment_r_nm_kg"].min(), signals["ankle_dorsiflexion_moment_l_nm_kg"].min()))
    measures["peak_ankle_push_off_power_w_kg"] = _peak_power(time, signals)
    threshold = max(0.02 * weight, 20.0)
    curves = rephase(time, signals, signals["grf_vertical_r_bw"] * weight > threshold, n_points)
    left = rephase(time, {"knee": signals["knee_flexion_l_deg"]}, signals["grf_vertical_l_bw"] * weight > threshold, n_points)
    measures["knee_flexion_initial_contact_r_deg"] = float(curves["knee_flexion_r_deg"][0])
    measures["knee_flexion_initial_contact_l_deg"] = float(left["knee"][0])
    measures["cost_of_transport"] = cost_of_transport(curves, stride_time_s=duration, speed_m_s=distance / duration)
    measures["knee_flexion_initial_contact_deg"] = 0.5 * (float(curves["knee_flexion_r_deg"][0]) + float(left["knee"][0]))
    return {k: [round(float(x), 5) for x in v] for k, v in curves.items()}, measures


def _peak_power(time: np.ndarray, signals: dict[str, np.ndarray]) -> float:
    peaks = []
    for side in SIDES:
        angle = np.radians(signals[f"ankle_dorsiflexion_{side}_deg"])
        power = signals[f"ankle_dorsiflexion_moment_{side}_nm_kg"] * np.gradient(angle, time)
        peaks.append(float(power.max()))
    return max(peaks)


def _joint_moments(traj: Any, model: Any, body_mass_kg: float) -> dict[str, np.ndarray]:
    """Net joint moments (N·m/kg): Σ tendon force × moment arm + reserve torque."""
    states = traj.exportToStatesTrajectory(model)
    coords = model.getCoordinateSet()
    n = states.getSize()
    out = {f"{CLINICAL[c]}_moment_{side}_nm_kg": np.zeros(n) for side in SIDES for c, _, _ in JOINTS}
    muscles = model.getMuscles()
    for i in range(n):
        state = states.get(i)
        model.realizeDynamics(state)
        for side in SIDES:
            for coord_name, _, sign in JOINTS:
                coord = coords.get(f"{coord_name}_{side}")
                total = 0.0
                for spec in MUSCLES:
                    muscle = muscles.get(muscle_name(spec, side))
                    arm = muscle.computeMomentArm(state, coord)
                    if arm != 0.0:
                        total += arm * muscle.getTendonForce(state)
                out[f"{CLINICAL[coord_name]}_moment_{side}_nm_kg"][i] = sign * total / body_mass_kg
    for side in SIDES:
        for coord_name, joint, sign in JOINTS:
            label = f"/forceset/reserve_jointset_{joint}_{side}_{coord_name}_{side}"
            try:
                reserve = np.asarray(traj.getControlMat(label), dtype=float)
            except RuntimeError:
                continue
            out[f"{CLINICAL[coord_name]}_moment_{side}_nm_kg"] += sign * reserve / body_mass_kg
    return out
