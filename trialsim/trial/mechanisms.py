"""Time courses of disease progression and treatment mechanisms, acting on physiology."""

from __future__ import annotations

import numpy as np

from trialsim.physiology.disease import SEX_KEY, sex_strength_factor
from trialsim.physiology.parameters import PARAMETERS
from trialsim.spec.study import StudySpec, SymptomaticEffect

#: the continuous severity score that progression moves, per condition, and its direction
#: (+1: the score rises as disease worsens)
PROGRESSION_SCORE: dict[str, tuple[str, float]] = {
    "parkinsons": ("updrs_iii", 1.0),
    "mci": ("moca_score", -1.0),
    "stroke": ("fugl_meyer_le", -1.0),
    "cerebral_palsy": ("gmfcs_level", 1.0),
}
SCORE_BOUNDS: dict[str, tuple[float, float]] = {
    "updrs_iii": (0.0, 132.0), "moca_score": (0.0, 30.0), "fugl_meyer_le": (0.0, 34.0), "gmfcs_level": (1.0, 5.0),
}


def onset_profile(weeks: np.ndarray, *, onset_weeks: float, stop_week: float | None = None, washout_weeks: float = 1.0) -> np.ndarray:
    """Fraction of full effect at each time: linear onset, exponential wash-out after ``stop_week``."""
    t = np.asarray(weeks, dtype=float)
    ramp = np.ones_like(t) if onset_weeks == 0 else np.clip(t / onset_weeks, 0.0, 1.0)
    ramp = np.where(t > 0, ramp, 0.0)
    if stop_week is not None:
        after = t > stop_week
        at_stop = 1.0 if onset_weeks == 0 else min(1.0, stop_week / onset_weeks)
        ramp = np.where(after, at_stop * np.exp(-(t - stop_week) / washout_weeks), ramp)
    return ramp


def progressed_severity(
    severity0: dict[str, np.ndarray], *, condition: str, weeks: np.ndarray, rate_per_year: np.ndarray,
    slowing: np.ndarray,
) -> dict[str, np.ndarray]:
    """Severity at each visit: ``(N, V)`` arrays from baseline ``(N,)`` and per-patient rates."""
    out = {k: np.repeat(v[:, None], len(weeks), axis=1) for k, v in severity0.items()}
    if condition not in PROGRESSION_SCORE:
        return out
    score, _ = PROGRESSION_SCORE[condition]
    years = np.asarray(weeks, dtype=float)[None, :] / 52.0
    low, high = SCORE_BOUNDS[score]
    out[score] = np.clip(out[score] + (rate_per_year * (1.0 - slowing))[:, None] * years, low, high)
    return out


def apply_shifts(
    params: dict[str, np.ndarray], shifts: dict[str, float], amount: np.ndarray
) -> dict[str, np.ndarray]:
    """Add ``shift * amount`` to each named parameter (amount broadcasts), clipped to its range.

    A strength shift is in units of a man's nominal strength: where the parameters carry ``sex``,
    a woman's is scaled by her ``sex_strength_factor`` (0.73 in adults), so training adds the same
    fraction of their own strength to both sexes (relative lower-body strength gains after
    resistance training do not differ by sex: Roberts, Nuckols & Krieger 2020, J Strength Cond
    Res 34:1448) and the reference model, which divides that factor out, sees the shift as before.
    """
    out = dict(params)
    for name, shift in shifts.items():
        p = PARAMETERS[name]
        step = shift * amount
        if name.startswith("strength_") and SEX_KEY in params and "age_years" in params:
            step = step * sex_strength_factor(params[SEX_KEY], params["age_years"])
        out[name] = np.clip(out[name] + step, p.low, p.high)
    return out


def treated_severity(
    severity: dict[str, np.ndarray], effect: SymptomaticEffect, amount: np.ndarray
) -> dict[str, np.ndarray]:
    """Severity the physiology is mapped from while the drug acts: each score of
    ``effect.severity_shift`` moved by ``shift * amount`` (amount broadcasts), within its bounds."""
    out = dict(severity)
    for score, shift in effect.severity_shift.items():
        low, high = SCORE_BOUNDS[score]
        out[score] = np.clip(out[score] + shift * amount, low, high)
    return out


def symptomatic_amount(effect: SymptomaticEffect, weeks: np.ndarray) -> np.ndarray:
    return onset_profile(weeks, onset_weeks=effect.onset_weeks, stop_week=effect.stop_week, washout_weeks=effect.washout_weeks)


def placebo_amount(study: StudySpec, weeks: np.ndarray) -> np.ndarray:
    return onset_profile(weeks, onset_weeks=study.placebo.onset_weeks)
