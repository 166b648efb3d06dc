"""Sampling virtual patients from a cohort spec.

Every random number a patient uses is drawn from named streams in fixed-size blocks
(``stream(seed, *key, "block", b, variable)``), so patient *i* is the same whatever the
number of patients asked for: adding patients never reshuffles the others.
Truncated distributions use the inverse CDF (one uniform per patient), never rejection.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr, ndtri

from trialsim.physiology.disease import UPDRS_BY_HOEHN_YAHR, UPDRS_SD_WITHIN_STAGE, noise_keys
from trialsim.seeding import stream
from trialsim.spec.cohort import (
    CohortSpec,
    ContinuousSeverity,
    GmfcsSeverity,
    HoehnYahrSeverity,
    NormalCovariate,
)

BLOCK = 256


def _uniforms(seed: int, key: tuple[object, ...], variable: str, start: int, count: int) -> np.ndarray:
    """Uniforms for patients ``start .. start+count`` of the variable's stream (block-stable)."""
    first, last = start // BLOCK, (start + count - 1) // BLOCK
    blocks = [stream(seed, *key, "block", b, variable).random(BLOCK) for b in range(first, last + 1)]
    flat = np.concatenate(blocks)
    offset = start - first * BLOCK
    return flat[offset : offset + count]


def _normals(seed: int, key: tuple[object, ...], variable: str, start: int, count: int) -> np.ndarray:
    u = _uniforms(seed, key, variable, start, count)
    return ndtri(np.clip(u, 1e-12, 1 - 1e-12))


def patient_variables(cohort: CohortSpec) -> tuple[str, ...]:
    """Names of the covariates and severity scores sampled for the cohort's patients."""
    names = ["age_years", "sex", "height_m", "body_mass_kg"]
    spec = cohort.severity
    if isinstance(spec, HoehnYahrSeverity):
        names += ["hoehn_yahr", "updrs_iii"]
    elif isinstance(spec, GmfcsSeverity):
        names.append("gmfcs_level")
    elif isinstance(spec, ContinuousSeverity):
        names.append(spec.scale)
    return tuple(names)


def truncated_normal(u: np.ndarray, mean: np.ndarray | float, sd: float, low: float, high: float) -> np.ndarray:
    """Inverse-CDF draw from N(mean, sd) truncated to [low, high]."""
    a = ndtr((low - np.asarray(mean)) / sd)
    b = ndtr((high - np.asarray(mean)) / sd)
    p = np.clip(a + u * (b - a), 1e-12, 1 - 1e-12)
    return np.clip(np.asarray(mean) + sd * ndtri(p), low, high)


@dataclass(frozen=True)
class Candidates:
    """Covariates, severity and between-patient noise of candidate patients (before screening)."""

    index: np.ndarray
    covariates: dict[str, np.ndarray]
    severity: dict[str, np.ndarray]
    noise: dict[str, np.ndarray]
    paretic_side: np.ndarray
    progression_z: np.ndarray
    responder_u: np.ndarray
    #: persistent standard-normal speed preference (the generator's per-body speed effect, before calibration)
    speed_effect_z: np.ndarray


def draw_candidates(
    cohort: CohortSpec, *, seed: int, key: tuple[object, ...], start: int, count: int,
    age_shift_years: float = 0.0,
) -> Candidates:
    """Draw candidates ``start .. start+count`` of the stream ``key`` under ``seed``."""

    def u(var: str) -> np.ndarray:
        return _uniforms(seed, key, var, start, count)

    def z(var: str) -> np.ndarray:
        return _normals(seed, key, var, start, count)

    cov = cohort.covariates
    female = (u("sex") < cov.sex.female_fraction).astype(float)
    age_spec = cov.age_years
    z_age = z("age")
    if isinstance(age_spec, NormalCovariate):
        age = truncated_normal(ndtr(z_age), age_spec.mean + age_shift_years, age_spec.sd, age_spec.low, age_spec.high)
    else:
        age = np.clip(age_spec.low + ndtr(z_age) * (age_spec.high - age_spec.low) + age_shift_years, age_spec.low, age_spec.high)
    h = cov.height_m
    height_mean = np.where(female == 1, h.mean_female, h.mean_male)
    height = truncated_normal(u("height"), height_mean, h.sd, h.low, h.high)
    m = cov.body_mass_kg
    s_log = np.sqrt(np.log1p((m.bmi_sd / m.bmi_mean) ** 2))
    mu_log = np.log(m.bmi_mean) - s_log**2 / 2
    bmi_low, bmi_high = np.log(m.low / height**2), np.log(m.high / height**2)
    log_bmi = truncated_normal(u("bmi"), mu_log, s_log, -np.inf, np.inf)
    log_bmi = np.clip(log_bmi, bmi_low, bmi_high)
    mass = np.clip(np.exp(log_bmi) * height**2, m.low, m.high)

    severity: dict[str, np.ndarray] = {}
    spec = cohort.severity
    if spec is not None:
        rho = spec.age_correlation
        z_sev = rho * z_age + np.sqrt(1 - rho**2) * z("severity")
        u_sev = ndtr(z_sev)
        if isinstance(spec, HoehnYahrSeverity):
            stages = np.array(sorted(spec.probabilities))
            cum = np.cumsum([spec.probabilities[s] for s in stages])
            stage = stages[np.minimum(np.searchsorted(cum, u_sev * cum[-1], side="right"), len(stages) - 1)]
            means = np.array([UPDRS_BY_HOEHN_YAHR[s] for s in stage])
            severity["hoehn_yahr"] = stage
            severity["updrs_iii"] = np.clip(means + UPDRS_SD_WITHIN_STAGE * z("updrs"), 0.0, 132.0)
        elif isinstance(spec, GmfcsSeverity):
            levels = np.array(sorted(spec.probabilities))
            cum = np.cumsum([spec.probabilities[s] for s in levels])
            severity["gmfcs_level"] = levels[np.minimum(np.searchsorted(cum, u_sev * cum[-1], side="right"), len(levels) - 1)].astype(float)
        elif isinstance(spec, ContinuousSeverity):
            # a higher score is milder for both FM-LE and MoCA: older → lower score
            severity[spec.scale] = truncated_normal(1 - u_sev, spec.mean, spec.sd, spec.low, spec.high)
    side_rule = cohort.affected_side
    paretic = (u("side") < 0.5).astype(float) if side_rule == "random" else np.full(count, 0.0 if side_rule == "left" else 1.0)
    noise = {name: z(f"noise_{name}") for name in noise_keys()}
    return Candidates(
        index=np.arange(start, start + count),
        covariates={"age_years": age, "sex": female, "height_m": height, "body_mass_kg": mass},
        severity=severity,
        noise=noise,
        paretic_side=paretic,
        progression_z=z("progression"),
        responder_u=u("responder"),
        speed_effect_z=z("speed_effect"),
    )
