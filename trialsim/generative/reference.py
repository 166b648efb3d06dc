"""A statistical reference model of gait — the cross-check beside the physics generator.

``ReferenceGaitModel`` is *not* physics: it is a closed-form, monotone mapping from
musculoskeletal parameters to spatiotemporal measures, calibrated to published norms
so that the trial pipeline runs end to end before (and checks itself against) the
physics-trained generator. Results always record which simulator produced them.

Calibration targets (checked in ``tests/population/test_calibration.py``):
- comfortable speed by age decade and sex, Bohannon & Williams Andrews 2011;
- speed ≈ 71 % of body height per second, cadence 109.8 steps/min, stride 1.33 m,
  stance 62.6 %, peak swing knee flexion 64.1° in adults (Bovi et al. 2011);
- PD slower by ≈ 0.12–0.17 m/s, with shorter strides and higher cadence
  (Zanardi et al. 2021; J NeuroEng Rehabil 2:23);
- stride-time CV ≈ 1.5–2 % healthy, higher in PD (Hausdorff 2009, Chaos 19:026113).

Strength enters as capacity relative to people of the same sex and age: the calibration above
came first, so women's lower absolute strength (``sex_strength_factor``, which the physics
and the generator do see) is divided out again when ``sex`` is among the parameters.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from trialsim.physiology.disease import SEX_KEY, sex_strength_factor
from trialsim.physiology.parameters import MUSCLE_GROUPS, PARAMETERS, pair_strength

#: contribution of each muscle group to propulsion capacity (sums to 1)
PROPULSION_WEIGHTS: dict[str, float] = {
    "plantarflexors": 0.35, "hip_extensors": 0.2, "hip_flexors": 0.2,
    "knee_extensors": 0.15, "dorsiflexors": 0.05, "knee_flexors": 0.05,
}
SPEED_PER_HEIGHT_1_S = 0.82       # young-adult comfortable speed / height (Bohannon 2011 at 1.63–1.77 m)
STRIDE_PER_HEIGHT = 0.78          # stride / height at free speed and full drive (Bovi 2011: 1.33 m at 1.75 m, typical drive ≈ 0.98)
FREE_SPEED_PER_HEIGHT_1_S = 0.70  # speed / height at which stride = 0.76 h (Bovi 2011)
DAY_TO_DAY_LOG_SD = 0.035         # within-patient day-to-day speed variability (≈ 0.045 m/s at 1.3 m/s)


def _param(params: Mapping[str, np.ndarray], name: str) -> np.ndarray:
    value = params.get(name)
    return np.asarray(PARAMETERS[name].nominal if value is None else value, dtype=float)


def _side_strength(params: Mapping[str, np.ndarray], group: str) -> tuple[np.ndarray, np.ndarray]:
    bilateral = _param(params, f"strength_{group}")
    return bilateral * _param(params, f"strength_{group}_l"), bilateral * _param(params, f"strength_{group}_r")


class ReferenceGaitModel:
    """Closed-form statistical reference model of gait (not physics); see module docs."""

    name = "reference"

    def provenance(self) -> dict[str, str]:
        return {"simulator": "reference", "simulator_version": "1", "note": "statistical reference model calibrated to published norms; not physics"}

    def simulate(
        self, params: Mapping[str, np.ndarray], *, rng: np.random.Generator | None = None
    ) -> dict[str, np.ndarray]:
        height = _param(params, "height_m")
        drive = _param(params, "neural_drive")
        stiffness = _param(params, "passive_stiffness")
        slowness = _param(params, "activation_time_scale")
        noise = _param(params, "motor_noise")

        sex = params.get(SEX_KEY)
        same_sex_norm = 1.0 if sex is None else sex_strength_factor(sex, _param(params, "age_years"))
        capacity: np.ndarray = np.zeros(())
        asymmetry: np.ndarray = np.zeros(())
        for group in MUSCLE_GROUPS:
            left, right = _side_strength(params, group)
            capacity = capacity + PROPULSION_WEIGHTS[group] * pair_strength(1.0, left, right) / same_sex_norm
            asymmetry = asymmetry + PROPULSION_WEIGHTS[group] * np.abs(left - right) / (left + right)
        contracture = (
            np.clip(1.0 - _param(params, "fiber_length_knee_flexors"), 0, None) * 0.9
            + np.clip(1.0 - _param(params, "fiber_length_plantarflexors"), 0, None) * 0.6
            + np.clip(1.0 - _param(params, "fiber_length_hip_flexors"), 0, None) * 0.4
        )
        speed = (
            SPEED_PER_HEIGHT_1_S * height
            * np.power(np.clip(capacity, 0.05, None), 0.5)
            * np.power(drive, 0.6)
            * np.power(stiffness, -0.05)
            * np.power(slowness, -0.3)
            * np.power(noise, -0.06)
            * (1.0 - contracture)
            * (1.0 - 0.6 * asymmetry)
        )
        day = None
        if rng is not None:
            # one draw of shape (..., 2) keeps patient i's noise independent of how many patients follow
            day = rng.normal(0.0, 1.0, size=(*np.shape(speed), 2))
            speed = speed * np.exp(DAY_TO_DAY_LOG_SD * day[..., 0])
        relative_speed = speed / (FREE_SPEED_PER_HEIGHT_1_S * height)
        stride = (
            STRIDE_PER_HEIGHT * height * np.power(relative_speed, 0.55)
            * np.power(drive, 1.6) * (1.0 - 0.5 * contracture)
        )
        cadence = 120.0 * speed / stride
        stance = np.clip(62.6 + 8.0 * (1.0 - relative_speed) + 4.0 * (1.0 - drive) + 10.0 * asymmetry, 55.0, 85.0)
        knee_peak = np.clip(
            64.1 - 12.0 * (1.0 - relative_speed) - 6.0 * (stiffness - 1.0) - 40.0 * contracture,
            15.0, 75.0,
        )
        cv = 1.6 * np.power(noise, 0.8) * (1.0 + 0.6 * np.clip(1.0 - relative_speed, 0, None))
        if day is not None:
            cv = cv * np.exp(0.15 * day[..., 1])
        return {
            "gait_speed_m_s": speed,
            "step_length_m": stride / 2.0,
            "stride_length_m": stride,
            "cadence_steps_min": cadence,
            "stride_time_s": 120.0 / cadence,
            "stride_time_cv_pct": cv,
            "stance_pct": stance,
            "swing_pct": 100.0 - stance,
            "double_support_pct": 2.0 * (stance - 50.0),
            "peak_knee_flexion_swing_deg": knee_peak,
        }
