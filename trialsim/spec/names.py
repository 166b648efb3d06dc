"""The public vocabulary: gait measures, covariates, severity scales, dimensions."""

from __future__ import annotations

from typing import Final

GAIT_MEASURES: Final[tuple[str, ...]] = (
    "gait_speed_m_s",
    "step_length_m",
    "stride_length_m",
    "cadence_steps_min",
    "stride_time_s",
    "stride_time_cv_pct",
    "stance_pct",
    "swing_pct",
    "double_support_pct",
    "peak_knee_flexion_swing_deg",
)

COVARIATES: Final[tuple[str, ...]] = ("age_years", "sex", "height_m", "body_mass_kg")

CONDITIONS: Final[tuple[str, ...]] = ("healthy", "parkinsons", "cerebral_palsy", "stroke", "mci")

#: clinical severity scale(s) per condition; the first is the one a cohort's
#: severity distribution is written in.
SEVERITY_SCALES: Final[dict[str, tuple[str, ...]]] = {
    "healthy": (),
    "parkinsons": ("hoehn_yahr", "updrs_iii"),
    "cerebral_palsy": ("gmfcs_level",),
    "stroke": ("fugl_meyer_le",),
    "mci": ("moca_score",),
}

DIMENSIONS: Final[tuple[str, ...]] = (
    "patient", "arm", "visit", "replicate", "scenario", "design", "chain", "draw", "gait_cycle_pct",
)
