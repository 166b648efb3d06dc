"""Covariates and disease state → musculoskeletal parameters.

Each mapping is monotone in severity and documented with its source. The numbers
are deliberately simple (linear in a severity score) so that they can be audited;
the cohort calibration tests check the gait they produce against published figures.

Sources
-------
- Ageing: muscle strength falls ~1 %/year after ~40 (Lindle et al. 1997, J Appl Physiol
  83:1581; Goodpaster et al. 2006, J Gerontol A 61:1059); older muscle is slower
  (Thelen 2003, J Biomech Eng 125:70).
- Sex: the model scales muscle force with body mass^(2/3) from a young adult man. Women's
  lower-body strength is 66 % of men's (Miller et al. 1993, Eur J Appl Physiol 66:254; knee
  extensors and flexors, elbow and knee, 8 women and 8 men); with the shipped cohorts' sizes
  (same BMI, heights 1.62 vs 1.75–1.76 m: mass ratio 0.857, mass^(2/3) ratio 0.902) the mass
  scaling already gives 0.902, so women carry a further ``0.66 / 0.902 = 0.73``
  (``FEMALE_STRENGTH_FACTOR``). Before puberty boys and girls are about equally strong and
  the difference opens over adolescence (Round et al. 1999, Ann Hum Biol 26:49): the factor
  ramps linearly from 1 at 12 years to 0.73 at 18.
- Parkinson's disease: reduced neural drive and step amplitude (hypokinesia), rigidity
  as increased passive stiffness, bradykinesia as slower activation (Morris et al.
  1994, Brain 117:1169; Zanardi et al. 2021, Sci Rep 11:752). H&Y stage ↔ MDS-UPDRS III
  means approximate Skorvanek et al. 2017 (Mov Disord Clin Pract 4:536).
  Physics v2 parameters: reduced vigour (Mazzoni, Hristova & Krakauer 2007, J Neurosci
  27:7105: PD patients move slowly by implicit choice, not incapacity). No study gives vigour
  per UPDRS point, so the slope maps the shipped PD range onto the range the library's PD
  bodies span (``library_v2.PHENOTYPES``: vigour 0.5–1.0): 1 at UPDRS III 0, 0.5 at the H&Y 3
  mean of 40, i.e. 1 − 0.0125 per point (``PD_VIGOUR_PER_UPDRS``; 0.675 at the H&Y 2 mean of
  26). The former 0.006 (a placeholder) gave an early-PD − control gap of −0.073 m/s against
  Zanardi 2021's −0.17 ± 0.06; 0.0125 gives −0.120, and on the gaitpdb-si check (nothing
  fitted to it, but looked at for each slope tried) PD 1.115 vs real 1.108 m/s (was 1.185),
  gap −0.206 vs −0.139 (was −0.136): BENCHMARKS.md. Lead-pipe joint rigidity in units of
  the mean PD–control difference of Wright et al. 2007 (Exp Brain Res; hip torsional
  resistance 5.07 vs 3.51 N·m OFF medication, r 0.73 with UPDRS), UPDRS III / 32 (1 at the
  H&Y 2.5 mean). The global ``passive_stiffness`` is kept for the v1 generator, which was
  trained on it; the v2 library holds PD passive stiffness to 1.0–1.3 (Tan et al. 2016,
  Mov Disord: PD muscle is not passively stiffer) and models rigidity at the joints.
  Motor noise (stride-to-stride timing variability) rises 0.8 % per UPDRS III point, so
  that at H&Y 2–2.5 (UPDRS III ≈ 26–32) stride-time CV is ≈ 1.2 × that of age-matched
  controls: Frenkel-Toledo et al. 2005 (J NeuroEng Rehabil 2:23, Table 2; 36 PD on
  medication, H&Y 2–2.5, overground at comfortable speed) report 2.24 ± 0.74 % vs
  1.94 ± 0.36 % in controls (ratio 1.15; swing-time CV 3.27 vs 2.80 %); Hausdorff 2009
  (Chaos 19:026113): higher in PD, most in fallers and freezers. (The former 3 % per
  point gave ≈ 1.8 × at H&Y 2, above every published ON-medication figure.)
- Cerebral palsy: weakness (~50–70 % of typical strength, Wiley & Damiano 1998,
  Dev Med Child Neurol 40:100), short hamstrings/plantar-flexors (contracture) and
  spasticity, worse with GMFCS level.
- Stroke: unilateral (paretic) weakness scaled by lower-extremity Fugl-Meyer
  (0–34, Fugl-Meyer 1975); spasticity on the paretic side.
- MCI: slower, more variable gait control (Hunter et al. 2018; Montero-Odasso 2012,
  J Am Geriatr Soc 60:2127) scaled by MoCA deficit below 26.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from trialsim.physiology.parameters import MUSCLE_GROUPS, PARAMETERS

#: mean MDS-UPDRS III by Hoehn & Yahr stage (Skorvanek 2017, rounded)
UPDRS_BY_HOEHN_YAHR: dict[float, float] = {1.0: 14.0, 1.5: 19.0, 2.0: 26.0, 2.5: 32.0, 3.0: 40.0, 4.0: 52.0, 5.0: 62.0}
UPDRS_SD_WITHIN_STAGE = 6.0
#: fall of vigour per MDS-UPDRS III point: 1 → 0.5 (the library's PD design floor) at the H&Y 3 mean (module docs)
PD_VIGOUR_PER_UPDRS = 0.0125
#: rise of motor noise per MDS-UPDRS III point (Frenkel-Toledo 2005; module docs)
PD_MOTOR_NOISE_PER_UPDRS = 0.008

#: between-patient log-SD of each parameter at fixed covariates (unexplained variation)
BETWEEN_PATIENT_LOG_SD: dict[str, float] = {
    "neural_drive": 0.04,
    "passive_stiffness": 0.08,
    "activation_time_scale": 0.06,
    "motor_noise": 0.15,
    "strength": 0.12,
    "fiber_length": 0.03,
}


#: women's strength beyond the body-mass^(2/3) scaling, adults (Miller 1993; module docs)
FEMALE_STRENGTH_FACTOR = 0.73
#: the covariate carried beside the parameters (1 = female): not a physics parameter (the physics and
#: the generator see sex only through strength); the statistical reference model reads it
SEX_KEY = "sex"
#: ages over which the sex difference in strength opens (Round 1999)
SEX_STRENGTH_RAMP_YEARS = (12.0, 18.0)


def sex_strength_factor(sex: np.ndarray, age_years: np.ndarray) -> np.ndarray:
    """Strength of women relative to men of the same age and body size (1 for men and children).

    >>> sex_strength_factor(np.array([1.0, 0.0, 1.0]), np.array([70.0, 70.0, 10.0])).round(2).tolist()
    [0.73, 1.0, 1.0]
    """
    low, high = SEX_STRENGTH_RAMP_YEARS
    opened = np.clip((np.asarray(age_years, dtype=float) - low) / (high - low), 0.0, 1.0)
    return 1.0 - np.asarray(sex, dtype=float) * opened * (1.0 - FEMALE_STRENGTH_FACTOR)


def age_strength_factor(age_years: np.ndarray) -> np.ndarray:
    """Strength relative to a young adult, children scaling up to adult by 18.

    Adult loss accelerates with age (quadratic after 45: −4 % at 60, −18 % at 75,
    −32 % at 85; Lindle 1997 report 8–10 %/decade after 50, steeper after 70).
    """
    age = np.asarray(age_years, dtype=float)
    adult = 1.0 - 0.00026 * np.clip(age - 45.0, 0.0, None) ** 2
    child = np.clip(0.55 + 0.025 * (age - 5.0), 0.55, 1.0)
    return np.where(age < 18, child, np.maximum(adult, 0.35))


def parkinsons_effects(updrs_iii: np.ndarray) -> dict[str, np.ndarray]:
    """PD phenotype per MDS-UPDRS III point (monotone; 0 = no disease)."""
    u = np.clip(np.asarray(updrs_iii, dtype=float), 0.0, 132.0)
    return {
        "neural_drive": 1.0 - 0.0028 * u,
        "passive_stiffness": 1.0 + 0.02 * u,
        "activation_time_scale": 1.0 + 0.006 * u,
        "motor_noise": 1.0 + PD_MOTOR_NOISE_PER_UPDRS * u,
        "strength_all": 1.0 - 0.002 * u,
        "vigour": 1.0 - PD_VIGOUR_PER_UPDRS * u,
        "joint_rigidity": u / 32.0,
    }


def cerebral_palsy_effects(gmfcs_level: np.ndarray) -> dict[str, np.ndarray]:
    """CP phenotype by GMFCS level (1 = mildest)."""
    g = np.clip(np.asarray(gmfcs_level, dtype=float), 1.0, 5.0)
    return {
        "neural_drive": 0.92 - 0.05 * (g - 1),
        "passive_stiffness": 1.5 + 0.4 * (g - 1),
        "activation_time_scale": 1.1 + 0.1 * (g - 1),
        "motor_noise": 1.6 + 0.5 * (g - 1),
        "strength_all": 0.7 - 0.1 * (g - 1),
        "fiber_length_knee_flexors": 0.88 - 0.06 * (g - 1),
        "fiber_length_plantarflexors": 0.90 - 0.06 * (g - 1),
        "fiber_length_hip_flexors": 0.95 - 0.03 * (g - 1),
    }


def stroke_impairment(fugl_meyer_le: np.ndarray) -> np.ndarray:
    """0 (normal, FM-LE 34) … 1 (no voluntary movement, FM-LE 0)."""
    return np.clip((34.0 - np.asarray(fugl_meyer_le, dtype=float)) / 34.0, 0.0, 1.0)


def mci_impairment(moca_score: np.ndarray) -> np.ndarray:
    """0 at MoCA ≥ 26 (normal), rising 0.1 per point below."""
    return np.clip((26.0 - np.asarray(moca_score, dtype=float)) / 10.0, 0.0, 2.0)


@dataclass
class MappingState:
    """Parameters being mapped for one batch of patients; a condition's mapping edits it in place."""

    params: dict[str, np.ndarray]
    strength_all: np.ndarray
    fiber: dict[str, np.ndarray]
    side_strength: dict[str, np.ndarray]
    ones: np.ndarray
    paretic_side: np.ndarray | None


def _healthy(state: MappingState, severity: Mapping[str, np.ndarray]) -> None:
    """Age effects only (already in the state)."""


def _parkinsons(state: MappingState, severity: Mapping[str, np.ndarray]) -> None:
    out, eff = state.params, parkinsons_effects(severity["updrs_iii"])
    for key in ("neural_drive", "activation_time_scale", "motor_noise"):
        out[key] = out[key] * eff[key]
    out["passive_stiffness"] = out["passive_stiffness"] * eff["passive_stiffness"]
    out["vigour"] = out["vigour"] * eff["vigour"]
    out["joint_rigidity"] = out["joint_rigidity"] + eff["joint_rigidity"]
    state.strength_all = state.strength_all * eff["strength_all"]


def _cerebral_palsy(state: MappingState, severity: Mapping[str, np.ndarray]) -> None:
    out, eff = state.params, cerebral_palsy_effects(severity["gmfcs_level"])
    for key in ("neural_drive", "passive_stiffness", "activation_time_scale", "motor_noise"):
        out[key] = out[key] * eff[key]
    state.strength_all = state.strength_all * eff["strength_all"]
    for g in ("knee_flexors", "plantarflexors", "hip_flexors"):
        state.fiber[g] = state.fiber[g] * eff[f"fiber_length_{g}"]


def _stroke(state: MappingState, severity: Mapping[str, np.ndarray]) -> None:
    out, ones = state.params, state.ones
    imp = stroke_impairment(severity["fugl_meyer_le"]) * ones
    side = np.zeros(ones.shape) if state.paretic_side is None else np.asarray(state.paretic_side) * ones
    paretic = 1.0 - 0.75 * imp
    for g in MUSCLE_GROUPS:
        state.side_strength[f"strength_{g}_l"] = np.where(side == 0, paretic, 1.0)
        state.side_strength[f"strength_{g}_r"] = np.where(side == 1, paretic, 1.0)
    out["neural_drive"] = out["neural_drive"] * (1.0 - 0.25 * imp)
    out["passive_stiffness"] = out["passive_stiffness"] * (1.0 + 1.2 * imp)
    out["motor_noise"] = out["motor_noise"] * (1.0 + 1.5 * imp)
    out["activation_time_scale"] = out["activation_time_scale"] * (1.0 + 0.5 * imp)


def _mci(state: MappingState, severity: Mapping[str, np.ndarray]) -> None:
    out = state.params
    imp = mci_impairment(severity["moca_score"]) * state.ones
    out["motor_noise"] = out["motor_noise"] * (1.0 + 1.2 * imp)
    out["activation_time_scale"] = out["activation_time_scale"] * (1.0 + 0.25 * imp)
    out["neural_drive"] = out["neural_drive"] * (1.0 - 0.06 * imp)


#: condition → how its severity changes the musculoskeletal parameters (the cohort YAML's ``condition``)
CONDITION_MAPPINGS: dict[str, Callable[[MappingState, Mapping[str, np.ndarray]], None]] = {
    "healthy": _healthy, "parkinsons": _parkinsons, "cerebral_palsy": _cerebral_palsy, "stroke": _stroke, "mci": _mci,
}


def condition_mapping(condition: str) -> Callable[[MappingState, Mapping[str, np.ndarray]], None]:
    """The physiology mapping registered for ``condition``; an unknown one is a one-line error listing the allowed."""
    try:
        return CONDITION_MAPPINGS[condition]
    except KeyError:
        from trialsim.errors import TrialsimError

        raise TrialsimError(f"condition: {condition!r} unknown (allowed: {', '.join(CONDITION_MAPPINGS)})") from None


def map_to_parameters(
    covariates: Mapping[str, np.ndarray],
    *,
    condition: str,
    severity: Mapping[str, np.ndarray],
    patient_noise: Mapping[str, np.ndarray] | None = None,
    paretic_side: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Map covariates and disease state to musculoskeletal parameters (arrays broadcast).

    Parameters
    ----------
    covariates
        ``age_years``, ``sex`` (1 = female), ``height_m``, ``body_mass_kg``.
    condition
        ``healthy``, ``parkinsons``, ``cerebral_palsy``, ``stroke`` or ``mci``.
    severity
        The condition's continuous severity: ``updrs_iii`` (PD), ``gmfcs_level`` (CP),
        ``fugl_meyer_le`` (stroke), ``moca_score`` (MCI); empty for healthy.
    patient_noise
        Standard-normal draws per parameter family (``neural_drive``, ``strength`` …)
        giving between-patient variability; ``None`` for the typical patient.
    paretic_side
        Stroke: 0 = left, 1 = right.

    Returns
    -------
    dict
        Parameter name → array, every value clipped to its registry range, and ``sex``
        (``SEX_KEY``, 1 = female) carried beside them.

    Examples
    --------
    >>> p = map_to_parameters({"age_years": np.array([70.0]), "sex": np.array([1.0]),
    ...     "height_m": np.array([1.62]), "body_mass_kg": np.array([65.0])},
    ...     condition="parkinsons", severity={"updrs_iii": np.array([30.0])})
    >>> bool(p["neural_drive"][0] < 1.0)
    True
    """
    age = np.asarray(covariates["age_years"], dtype=float)
    shape = np.broadcast(age, np.asarray(covariates["height_m"])).shape
    ones = np.ones(shape)
    out: dict[str, np.ndarray] = {
        "height_m": np.asarray(covariates["height_m"], dtype=float) * ones,
        "body_mass_kg": np.asarray(covariates["body_mass_kg"], dtype=float) * ones,
        "age_years": age * ones,
        "neural_drive": ones.copy(),
        "passive_stiffness": ones.copy(),
        "activation_time_scale": 1.0 + 0.005 * np.clip(age - 55.0, 0.0, None) * ones,
        "motor_noise": 1.0 + 0.012 * np.clip(age - 60.0, 0.0, None) * ones,
        "vigour": ones.copy(),
        "joint_rigidity": np.zeros(shape),
    }
    strength = age_strength_factor(age) * sex_strength_factor(covariates["sex"], age) * ones
    state = MappingState(out, strength, {g: ones.copy() for g in MUSCLE_GROUPS}, {}, ones,
                         paretic_side)
    condition_mapping(condition)(state, severity)
    strength_all, fiber, side_strength = state.strength_all, state.fiber, state.side_strength

    noise = patient_noise or {}

    def jitter(value: np.ndarray, family: str, key: str) -> np.ndarray:
        z = noise.get(key)
        if z is None:
            return value
        return value * np.exp(BETWEEN_PATIENT_LOG_SD[family] * np.asarray(z))

    out["neural_drive"] = jitter(out["neural_drive"], "neural_drive", "neural_drive")
    out["passive_stiffness"] = jitter(out["passive_stiffness"], "passive_stiffness", "passive_stiffness")
    out["activation_time_scale"] = jitter(out["activation_time_scale"], "activation_time_scale", "activation_time_scale")
    out["motor_noise"] = jitter(out["motor_noise"], "motor_noise", "motor_noise")
    for g in MUSCLE_GROUPS:
        out[f"strength_{g}"] = jitter(strength_all, "strength", f"strength_{g}")
        out[f"fiber_length_{g}"] = jitter(fiber[g], "fiber_length", f"fiber_length_{g}")
    out.update(side_strength)
    clipped = {name: np.clip(value, PARAMETERS[name].low, PARAMETERS[name].high) for name, value in out.items()}
    return {**clipped, SEX_KEY: np.asarray(covariates["sex"], dtype=float) * ones}


def noise_keys() -> tuple[str, ...]:
    """Names of the standard-normal draws :func:`map_to_parameters` accepts."""
    return (
        "neural_drive", "passive_stiffness", "activation_time_scale", "motor_noise",
        *(f"strength_{g}" for g in MUSCLE_GROUPS),
        *(f"fiber_length_{g}" for g in MUSCLE_GROUPS),
    )
