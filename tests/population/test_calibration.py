"""The shipped cohorts and the reference gait model reproduce published figures.

Tolerances: comfortable speed by decade and sex within ±10 % of each Bohannon &
Williams Andrews 2011 cell and within 5 % on average (the table itself is pooled over
41 studies with between-study SDs ≈ 0.1–0.2 m/s); PD − control speed difference in
[−0.25, −0.08] m/s around Zanardi 2021's −0.17 (95 % CI of pooled studies spans
about ±0.05; we allow more because cohorts differ in age and severity).
"""

from __future__ import annotations

import numpy as np
import pytest

from trialsim.physiology.disease import map_to_parameters
from trialsim.spec.cohort import CohortSpec
from trialsim.spec.loading import load_shipped_cohort
from trialsim.trial.enrolment import sample_cohort

BOHANNON = {  # decade midpoint -> (men, women) m/s
    25: (1.36, 1.34), 35: (1.43, 1.34), 45: (1.43, 1.39), 55: (1.43, 1.31),
    65: (1.34, 1.24), 75: (1.26, 1.13), 85: (0.97, 0.94),
}


def _cohort(condition: str, age: float, female: float, severity: dict | None = None) -> CohortSpec:
    data = {
        "name": "calib", "condition": condition,
        "covariates": {
            "age_years": {"distribution": "uniform", "low": age - 5, "high": age + 5},
            "sex": {"female_fraction": female},
            "height_m": {"mean_female": 1.63, "mean_male": 1.76, "sd": 0.07, "low": 1.4, "high": 2.0},
            "body_mass_kg": {"distribution": "bmi_lognormal", "bmi_mean": 26, "bmi_sd": 4, "low": 40, "high": 140},
        },
    }
    if severity:
        data["severity"] = severity
    return CohortSpec.model_validate(data)


def test_healthy_speed_by_decade_and_sex(reference_simulator) -> None:
    errors = []
    for age, (men, women) in BOHANNON.items():
        for female, published in ((0.0, men), (1.0, women)):
            df = sample_cohort(_cohort("healthy", age, female), n=1500, seed=3, simulator=reference_simulator)
            rel = df.gait_speed_m_s.mean() / published - 1
            errors.append(rel)
            assert abs(rel) < 0.10, f"age {age} female={female}: {df.gait_speed_m_s.mean():.2f} vs {published}"
    assert np.mean(np.abs(errors)) < 0.05


def test_parkinsons_vs_controls(reference_simulator) -> None:
    pd_cohort = load_shipped_cohort("early_pd")
    controls = _cohort("healthy", 64, pd_cohort.covariates.sex.female_fraction)
    pd_df = sample_cohort(pd_cohort, n=3000, seed=5, simulator=reference_simulator)
    ctl_df = sample_cohort(controls, n=3000, seed=5, simulator=reference_simulator)
    diff = pd_df.gait_speed_m_s.mean() - ctl_df.gait_speed_m_s.mean()
    assert -0.25 <= diff <= -0.08, diff
    # shorter strides, higher cadence, more variable (Zanardi 2021)
    assert pd_df.stride_length_m.mean() < ctl_df.stride_length_m.mean()
    assert pd_df.cadence_steps_min.mean() > ctl_df.cadence_steps_min.mean()
    assert pd_df.stride_time_cv_pct.mean() > ctl_df.stride_time_cv_pct.mean()


def test_parkinsons_stride_time_cv_ratio_is_the_published_one(reference_simulator) -> None:
    """H&Y 2–2.5 vs age- and sex-matched controls, overground at comfortable speed:
    stride-time CV 2.24 ± 0.74 % vs 1.94 ± 0.36 % (Frenkel-Toledo 2005, J NeuroEng Rehabil
    2:23, Table 2; n = 36 / 30): ratio 1.15, ≈ 1.03–1.30 given the SEs. Before the
    recalibration (3 % motor noise per UPDRS point) the model gave ≈ 1.7."""
    severity = {"scale": "hoehn_yahr", "probabilities": {2.0: 0.5, 2.5: 0.5}}
    pd_df = sample_cohort(_cohort("parkinsons", 64, 0.4, severity), n=3000, seed=7, simulator=reference_simulator)
    ctl_df = sample_cohort(_cohort("healthy", 64, 0.4), n=3000, seed=7, simulator=reference_simulator)
    ratio = pd_df.stride_time_cv_pct.mean() / ctl_df.stride_time_cv_pct.mean()
    assert 1.03 <= ratio <= 1.30, ratio
    assert 1.5 <= ctl_df.stride_time_cv_pct.mean() <= 2.5  # healthy adults 1.5–2.5 % (REFERENCE §2)


def test_adult_spatiotemporal_norms(reference_simulator) -> None:
    """Bovi 2011 adults: cadence 109.8 ± 9.1, stride 1.33 ± 0.12 m, stance 62.6 ± 2.0 %, knee 64.1 ± 4.9°.

    Bovi's adults walked at 71.4 ± 10.2 % of body height per second, slower than
    Bohannon's pooled figures, so the check is made at their speed: patients whose
    speed is within ±5 % of 0.714·height; their means must lie within one published
    SD of each published mean.
    """
    df = sample_cohort(_cohort("healthy", 40, 0.5), n=6000, seed=1, simulator=reference_simulator)
    df = df[(df.gait_speed_m_s / df.height_m / 0.714 - 1).abs() < 0.05]
    assert len(df) > 100
    assert abs(df.cadence_steps_min.mean() - 109.8) < 9.1
    assert abs(df.stride_length_m.mean() - 1.33) < 0.12
    assert abs(df.stance_pct.mean() - 62.6) < 2.0
    assert abs(df.peak_knee_flexion_swing_deg.mean() - 64.1) < 4.9


@pytest.mark.parametrize("name", ["early_pd", "moderate_pd", "ambulant_cp", "chronic_stroke", "healthy_older", "mci_older"])
def test_shipped_cohorts_sample_and_screen(name: str, reference_simulator) -> None:
    df = sample_cohort(load_shipped_cohort(name), n=300, seed=2, simulator=reference_simulator)
    assert len(df) == 300
    assert 0 <= df.attrs["screen_failure_rate"] < 0.9
    assert df.gait_speed_m_s.between(0.1, 2.5).all()


def test_stroke_speed_classes_and_asymmetry(reference_simulator) -> None:
    df = sample_cohort(load_shipped_cohort("chronic_stroke"), n=500, seed=4, simulator=reference_simulator)
    # inclusion 0.4-1.2 m/s (Perry 1995 limited-community to community walkers)
    assert df.gait_speed_m_s.between(0.4, 1.2).all()
    paretic_left = df.paretic_side == "left"
    assert (df.loc[paretic_left, "strength_plantarflexors_l"] < df.loc[paretic_left, "strength_plantarflexors_r"]).all()


def test_severity_moves_parameters_monotonically() -> None:
    cov = {"age_years": np.full(5, 65.0), "sex": np.zeros(5), "height_m": np.full(5, 1.7), "body_mass_kg": np.full(5, 70.0)}
    p = map_to_parameters(cov, condition="parkinsons", severity={"updrs_iii": np.array([0, 10, 20, 30, 40.0])})
    assert np.all(np.diff(p["neural_drive"]) < 0)
    assert np.all(np.diff(p["passive_stiffness"]) > 0)
    g = map_to_parameters(cov, condition="cerebral_palsy", severity={"gmfcs_level": np.array([1, 1, 2, 3, 3.0])})
    assert np.all(np.diff(g["fiber_length_knee_flexors"]) <= 0)
    assert np.all(np.diff(g["strength_plantarflexors"]) <= 0)
