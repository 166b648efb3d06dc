"""One patient's simulated gait cycle and variability, as the signal models need them.

- :func:`default_cycle`: joint angles of adults at natural speed (Bovi et al. 2011,
  the Fourier fit shipped in ``trialsim/data/reference_kinematics.json``; OpenSim
  knee sign flipped to flexion-positive), used when a simulator gives measures only
  (the reference model); the generator's own curves are used when it gives them.
- :func:`variability_traits`: the patient's stride-series structure. DFA α
  ``0.90 − 0.08·(motor_noise − 1)`` (± 0.05 between people, limits 0.5–0.98):
  ≈ 0.9 in healthy adults, lower with more motor noise (Hausdorff 2009,
  Chaos 19:026113: healthy 0.75–1.0, lower in PD). Left/right swing asymmetry
  ``N(0, 0.025·motor_noise)`` (Plotnik et al. 2005: swing asymmetry ≈ 2–3 % in
  controls, ≈ 5–6 % in PD); after a stroke, towards the paretic side
  (:func:`variability_traits`). Since PD's motor noise was brought to the published
  stride-time CV (``physiology.disease``: ≈ 1.2–1.4 at H&Y 2–3, was ≈ 1.8–2.3), these
  two formulas give PD α ≈ 0.87 and asymmetry SD ≈ 0.03 — barely apart from
  controls: PD's lower α and doubled asymmetry are not carried by motor noise alone
  (open: a PD-specific bilateral-coordination trait).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

import numpy as np

from trialsim.sensors.walk import GaitTiming

CYCLE_PCT = np.linspace(0.0, 100.0, 51)
DFA_ALPHA_HEALTHY, DFA_ALPHA_PER_NOISE, DFA_ALPHA_SD = 0.90, 0.08, 0.05
ASYMMETRY_SD_PER_NOISE = 0.025
PARETIC_SWING_LOG_RATIO = (0.15, 0.10)


@cache
def _coefficients() -> dict[str, dict[str, object]]:
    text = resources.files("trialsim").joinpath("data/reference_kinematics.json").read_text()
    return json.loads(text)["joints"]  # type: ignore[no-any-return]


def _fourier(joint: str, phase: np.ndarray) -> np.ndarray:
    c = _coefficients()[joint]
    out = np.full_like(phase, float(c["a0"]))  # type: ignore[arg-type]
    for k, (a, b) in enumerate(zip(c["a"], c["b"], strict=True), start=1):  # type: ignore[call-overload]
        out += a * np.cos(2 * np.pi * k * phase) + b * np.sin(2 * np.pi * k * phase)
    return out


def default_cycle() -> dict[str, np.ndarray]:
    """Joint-angle curves (deg) on :data:`CYCLE_PCT`, both legs (left half a cycle later)."""
    curves = {"pelvis_tilt_deg": _fourier("pelvis_tilt", CYCLE_PCT / 100.0)}
    for side, shift in (("r", 0.0), ("l", 0.5)):
        phase = (CYCLE_PCT / 100.0 - shift) % 1.0
        curves[f"hip_flexion_{side}_deg"] = _fourier("hip_flexion", phase)
        curves[f"knee_flexion_{side}_deg"] = -_fourier("knee_angle", phase)
        curves[f"ankle_dorsiflexion_{side}_deg"] = _fourier("ankle_angle", phase)
    return curves


def variability_traits(
    motor_noise: float, *, rng: np.random.Generator, paretic_side: str | None = None,
) -> tuple[float, float]:
    """``(dfa_alpha, asymmetry)`` of one patient (see module docs).

    ``asymmetry`` is ``ln(swing_left / swing_right)``. After a stroke the paretic leg's
    swing is the longer: ``|N(0.15, 0.10)|`` towards the ``paretic_side`` (Patterson et
    al. 2008, Arch Phys Med Rehabil 89:304: swing-time ratio ≈ 1.2 on average in chronic
    stroke, > 1.06 in about half).
    """
    alpha = DFA_ALPHA_HEALTHY - DFA_ALPHA_PER_NOISE * (motor_noise - 1.0) + DFA_ALPHA_SD * rng.standard_normal()
    z = rng.standard_normal()
    asym = ASYMMETRY_SD_PER_NOISE * max(motor_noise, 0.2) * z
    if paretic_side in ("left", "right"):
        asym = abs(PARETIC_SWING_LOG_RATIO[0] + PARETIC_SWING_LOG_RATIO[1] * z) * (1.0 if paretic_side == "left" else -1.0)
    return float(np.clip(alpha, 0.5, 0.98)), float(asym)


def patient_timing(
    measures: dict[str, float], *, motor_noise: float, rng: np.random.Generator, paretic_side: str | None = None,
) -> GaitTiming:
    """The walk timing of a patient from its true gait measures, motor noise and paretic side."""
    alpha, asym = variability_traits(motor_noise, rng=rng, paretic_side=paretic_side)
    return GaitTiming.from_measures(measures, dfa_alpha=alpha, asymmetry=asym)
