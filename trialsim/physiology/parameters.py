"""The musculoskeletal parameters a virtual patient's body is built from.

These names are the public contract shared by ``trialsim physics``, the simulation
library, the generator and the trial layer. Ratios are relative to the nominal
adult model (1.0 = nominal). A name with a ``_l`` / ``_r`` suffix applies to one
side only and multiplies the bilateral value.

Sources of nominal values and ranges
------------------------------------
- Body size: Winter, *Biomechanics and Motor Control of Human Movement* (4th ed.,
  2009), segment proportions of height and mass; nominal 1.75 m / 75 kg.
- Strength and contracture ranges: Park et al. 2022 (Generative GaitNet) sampled
  muscle force 0.05–1.0 and minimum muscle length 0.635–1.0 of nominal; we keep the
  walking-compatible part of those ranges.
- Ageing muscle: Thelen 2003 (J Biomech Eng 125:70) — older adults' maximum
  contraction velocity 8 vs 10 optimal lengths/s, longer activation dynamics.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

MUSCLE_GROUPS: Final[tuple[str, ...]] = (
    "hip_flexors",
    "hip_extensors",
    "knee_flexors",
    "knee_extensors",
    "plantarflexors",
    "dorsiflexors",
)
SIDES: Final[tuple[str, ...]] = ("l", "r")


@dataclass(frozen=True)
class PhysicsParameter:
    """One named musculoskeletal parameter with its unit, nominal value and range."""

    name: str
    unit: str
    nominal: float
    low: float
    high: float
    description: str

    def check(self, value: float) -> float:
        """Return ``value`` if inside the range, else raise ``ValueError``."""
        if not (self.low <= value <= self.high):
            raise ValueError(
                f"{self.name}={value:g} outside [{self.low:g}, {self.high:g}] {self.unit}"
            )
        return float(value)


def _build_registry() -> dict[str, PhysicsParameter]:
    params = [
        PhysicsParameter("height_m", "m", 1.75, 1.10, 2.05, "standing height; scales segment lengths"),
        PhysicsParameter("body_mass_kg", "kg", 75.0, 20.0, 140.0, "body mass; scales segment masses, inertias and muscle force with mass^(2/3)"),
        PhysicsParameter("age_years", "years", 40.0, 5.0, 100.0, "age; slows muscle contraction velocity and activation after 30 y (Thelen 2003)"),
        PhysicsParameter("neural_drive", "ratio", 1.0, 0.4, 1.0, "maximum voluntary activation (PD, stroke, CP: reduced drive)"),
        PhysicsParameter("passive_stiffness", "ratio", 1.0, 1.0, 3.0, "passive muscle stiffness relative to nominal (PD rigidity, CP spasticity)"),
        PhysicsParameter("activation_time_scale", "ratio", 1.0, 1.0, 2.5, "activation/deactivation time-constant multiplier (bradykinesia)"),
        PhysicsParameter("vigour", "ratio", 1.0, 0.3, 1.5, "movement vigour: multiplies the cost of time in the free-speed objective (PD: reduced vigour, Mazzoni 2007)"),
        PhysicsParameter("joint_rigidity", "ratio", 0.0, 0.0, 4.0, "extra passive joint stiffness and damping at hip, knee and ankle in units of the PD reference resistance (PD rigidity)"),
        PhysicsParameter("motor_noise", "ratio", 1.0, 0.5, 5.0, "stride-to-stride control variability relative to healthy adults (MCI, PD)"),
    ]
    for group in MUSCLE_GROUPS:
        params.append(PhysicsParameter(f"strength_{group}", "ratio", 1.0, 0.2, 1.5, f"maximum isometric force of the {group.replace('_', ' ')}"))
        params.append(PhysicsParameter(f"fiber_length_{group}", "ratio", 1.0, 0.65, 1.1, f"optimal fibre length of the {group.replace('_', ' ')} (<1: contracture)"))
    for group in MUSCLE_GROUPS:
        for side in SIDES:
            for kind, low, high in (("strength", 0.2, 1.5), ("fiber_length", 0.65, 1.1)):
                params.append(
                    PhysicsParameter(
                        f"{kind}_{group}_{side}", "ratio", 1.0, low, high,
                        f"{kind.replace('_', ' ')} of the {side} {group.replace('_', ' ')} (multiplies the bilateral value)",
                    )
                )
    return {p.name: p for p in params}


PARAMETERS: Final[dict[str, PhysicsParameter]] = _build_registry()

#: parameters only physics v2 uses (free-speed objective, joint-level rigidity); the v1
#: library holds them at nominal and the v1 generator is not conditioned on them
PHYSICS_V2_PARAMETERS: Final[tuple[str, ...]] = ("vigour", "joint_rigidity")

#: the bilateral parameters a patient record always carries (sides default to 1.0)
CORE_PARAMETERS: Final[tuple[str, ...]] = tuple(
    name for name in PARAMETERS if not name.endswith(("_l", "_r"))
)


def nominal_parameters() -> dict[str, float]:
    """Return every parameter at its nominal value."""
    return {name: p.nominal for name, p in PARAMETERS.items()}


#: the simulation library's centre speed per metre of height (1.2 m/s at the nominal 1.75 m)
CENTRE_SPEED_PER_HEIGHT_1_S: Final[float] = 1.2 / 1.75


def centre_speed_m_s(height_m: np.ndarray) -> np.ndarray:
    """The library's speed at speed factor 1 for a height (1.2 m/s × H / 1.75 m).

    The generator's speed feature and the population's speed preference are both relative
    to it (``log(v / centre_speed_m_s(H))``).

    Examples
    --------
    >>> round(float(centre_speed_m_s(np.array(1.75))), 3)
    1.2
    """
    return CENTRE_SPEED_PER_HEIGHT_1_S * np.asarray(height_m, dtype=float)


def side_value(params: dict[str, float], kind: str, group: str, side: str) -> float:
    """Effective ratio for one side: bilateral value times the side's multiplier."""
    bilateral = params.get(f"{kind}_{group}", 1.0)
    return bilateral * params.get(f"{kind}_{group}_{side}", 1.0)


def pair_strength(bilateral: np.ndarray | float, left: np.ndarray | float, right: np.ndarray | float) -> np.ndarray:
    """A muscle group's strength as a pair: the bilateral ratio times the harmonic mean of the
    side multipliers (the weaker side counts more; 1, 1 → the bilateral value).

    >>> float(pair_strength(np.array(1.0), np.array(0.5), np.array(1.0)).round(3))
    0.667
    """
    return np.asarray(bilateral, dtype=float) * 2.0 / (1.0 / np.asarray(left, dtype=float) + 1.0 / np.asarray(right, dtype=float))


def resolve_parameters(overrides: dict[str, float]) -> dict[str, float]:
    """Fill unnamed parameters with nominal values; reject unknown names and out-of-range values.

    Raises
    ------
    KeyError
        For an unknown name (message lists the allowed names).
    ValueError
        For a value outside the parameter's range.
    """
    resolved = nominal_parameters()
    for name, value in overrides.items():
        if name not in PARAMETERS:
            raise KeyError(name)
        resolved[name] = PARAMETERS[name].check(float(value))
    return resolved
