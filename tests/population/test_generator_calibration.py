"""Virtual-population calibration of the generator's cohorts against published figures.

Targets (issue #15; REFERENCE §2–3), with the tolerances stated there:

- healthy 60–79: mean comfortable speed within ± 0.06 m/s of Bohannon & Williams Andrews
  2011 by decade and sex, SD ratio 0.7–1.4 (published SD 0.18, Fukuchi 2018 older adults);
- PD − control speed gap 0.17 ± 0.06 m/s (Zanardi 2021), controls matched on age and sex;
- speed falls with Hoehn & Yahr stage; stride-time CV higher in PD (Hausdorff 2009).

The fit uses the healthy Bohannon strata only (the cohort ``healthy_older``'s
``calibration.targets``); disease figures are checks. Targets not met on today's library
are strict xfails whose reason states the measured figure, and a regression bound guards
today's level (BENCHMARKS.md "virtual-population calibration").
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.population.test_calibration import BOHANNON
from trialsim.spec.cohort import CohortSpec
from trialsim.spec.loading import load_shipped_cohort


@pytest.fixture(scope="module")
def generator():
    from trialsim.generative.loader import load_default_generator

    return load_default_generator()


@pytest.fixture(scope="module")
def fit(generator):
    from trialsim.population.calibration import calibrate

    return calibrate(load_shipped_cohort("healthy_older"), generator, seed=0)


@pytest.fixture(scope="module")
def pd_and_controls(generator, fit):
    from trialsim.population.calibration import calibrated_gait, matched_controls

    early = load_shipped_cohort("early_pd")
    controls = matched_controls(early, load_shipped_cohort("healthy_older"))
    return (calibrated_gait(early, generator, fit, n=8000, seed=2),
            calibrated_gait(controls, generator, fit, n=8000, seed=2))


def test_fit_reports_targets_fit_and_residuals(fit):
    table = fit.table()
    assert len(table) == 4
    assert {"stratum", "target_mean", "fitted_mean", "residual_mean", "target_sd", "fitted_sd", "sd_ratio",
            "source", "n_virtual"} <= set(table.columns)
    np.testing.assert_allclose(table.residual_mean, table.fitted_mean - table.target_mean)
    assert (table.n_virtual > 500).all()
    assert fit.scale > 0


def test_fit_is_deterministic(generator, fit):
    from trialsim.population.calibration import calibrate

    again = calibrate(load_shipped_cohort("healthy_older"), generator, seed=0)
    assert (again.shift, again.scale) == (fit.shift, fit.scale)


def test_calibrated_spread_matches_published_sd(fit):
    """SD ratio 0.7–1.4 in every Bohannon stratum (measured 0.99–1.05)."""
    assert fit.table().sd_ratio.between(0.7, 1.4).all(), fit.table()


#: regression bound: the worst stratum is 0.036 m/s off (women 60–69; generator trained on library v3,
#: 355 bodies, with sex-specific strength; 186 bodies 0.035; 126-body checkpoint without it 0.070, v2-trained 0.082,
#: v1-trained 0.090)
BOHANNON_RESIDUAL_REGRESSION_M_S = 0.10


def test_bohannon_residuals_do_not_regress(fit):
    assert fit.table().residual_mean.abs().max() <= BOHANNON_RESIDUAL_REGRESSION_M_S, fit.table()


def test_bohannon_by_decade_and_sex_within_0_06(fit):
    """Measured (library v3, 355 bodies, women's strength 0.73 × men's beyond mass scaling): residuals
    −0.004 (men 60–69), −0.036 (women 60–69), +0.016 (men 70–79), +0.024 (women 70–79); 186 bodies
    −0.005, −0.035, +0.015, +0.025. Without the
    sex-specific strength (126-body checkpoint) it failed: −0.054 … +0.070, the generator's speed
    barely differed by sex."""
    assert fit.table().residual_mean.abs().max() <= 0.06, fit.table()


#: Bohannon & Williams Andrews 2011's decades (the reference model's table) that the fit does not use
BOHANNON_OTHER_DECADES = {age: speeds for age, speeds in BOHANNON.items() if age not in (65, 75)}


@pytest.mark.xfail(strict=True, reason="measured (library v3, 355 bodies, women's strength 0.73 × men's): outside the "
                   "calibrated 60–79 y the generator misses Bohannon by up to −0.123 m/s (women 40–49; women 20–59 "
                   "−0.049 … −0.123, men 20–29 +0.089) and +0.202 / +0.145 (men / women 80–89; 186 bodies: −0.127, "
                   "+0.078, +0.201 / +0.146): the physics lets strength "
                   "set speed at every age, so the sex factor that fits 60–79 overshoots below 60 (BENCHMARKS.md)")
def test_bohannon_outside_the_calibrated_decades_within_0_06(generator, fit):
    """A check, nothing fitted: the healthy fit applied to Bohannon's other decades (age ± 5 y)."""
    from trialsim.population.calibration import calibrated_gait

    worst = 0.0
    for age, published in BOHANNON_OTHER_DECADES.items():
        for female, target in ((0.0, published[0]), (1.0, published[1])):
            data = load_shipped_cohort("healthy_older").model_dump()
            data["covariates"]["age_years"] = {"distribution": "uniform", "low": age - 5, "high": age + 5}
            data["covariates"]["sex"] = {"female_fraction": female}
            data["calibration"] = None
            data["inclusion"] = []
            cohort = CohortSpec.model_validate(data)
            speed = calibrated_gait(cohort, generator, fit, n=2000, seed=1).gait_speed_m_s.mean()
            worst = max(worst, abs(speed - target))
    assert worst <= 0.06, worst


#: regression bound: the gap is −0.119 m/s (library v3, 355 bodies, vigour 1 − 0.0125/UPDRS point; 186 bodies
#: −0.120; with the
#: former placeholder 0.006: −0.073; 126 bodies −0.071, v2-trained −0.055, v1-trained −0.053)
PD_GAP_REGRESSION_M_S = -0.09


def test_pd_control_gap_does_not_regress(pd_and_controls):
    pd_df, ctl = pd_and_controls
    assert pd_df.gait_speed_m_s.mean() - ctl.gait_speed_m_s.mean() <= PD_GAP_REGRESSION_M_S


def test_pd_control_gap_zanardi(pd_and_controls):
    """Measured (library v3, 355 bodies): early_pd (H&Y 1–2.5) − age/sex-matched controls −0.119 m/s,
    inside −0.17 ± 0.06 by 0.009 (moderate_pd, H&Y 2.5–3: −0.179; 186 bodies −0.120, −0.180). The PD vigour slope (1 − 0.0125
    per UPDRS III point) maps UPDRS 0–40 onto the library's PD design range 1.0–0.5; the former
    placeholder 0.006 gave −0.073 (strict xfail until session 9)."""
    pd_df, ctl = pd_and_controls
    gap = pd_df.gait_speed_m_s.mean() - ctl.gait_speed_m_s.mean()
    assert abs(gap - (-0.17)) <= 0.06, gap


def test_speed_falls_with_hoehn_yahr(pd_and_controls):
    pd_df, _ = pd_and_controls
    by_stage = pd_df.groupby("hoehn_yahr").gait_speed_m_s.mean().sort_index()
    assert len(by_stage) >= 3
    assert (np.diff(by_stage.to_numpy()) < 0).all(), by_stage


def test_stride_time_cv_higher_in_pd(pd_and_controls):
    pd_df, ctl = pd_and_controls
    assert pd_df.stride_time_cv_pct.mean() > 1.2 * ctl.stride_time_cv_pct.mean()


def test_cohort_without_targets_or_generator_without_head_is_refused(generator):
    from trialsim.errors import InputFileError
    from trialsim.generative.reference import ReferenceGaitModel
    from trialsim.population.calibration import calibrate

    with pytest.raises(InputFileError, match="names no calibration targets") as exc:
        calibrate(load_shipped_cohort("ambulant_cp"), generator)
    assert "\n" not in str(exc.value)
    with pytest.raises(InputFileError, match="no learned per-body speed effect"):
        calibrate(load_shipped_cohort("healthy_older"), ReferenceGaitModel())
    narrow = load_shipped_cohort("healthy_older").model_dump()
    narrow["calibration"]["targets"][0]["age_years"] = [20, 30]
    with pytest.raises(InputFileError, match=r"calibration.targets\[0\]: only 0 of"):
        calibrate(CohortSpec.model_validate(narrow), generator, n=2000)
