"""The trial path draws every patient's persistent speed effect (trialsim.trial.speed_effect).

On ``simulator: generator`` a cohort with ``calibration.targets`` gets the calibrated effect
``shift + scale·z`` (the fit of trialsim.population.calibration), one without gets ``z``;
the patient keeps it at screening and every visit, and candidate *i*'s ``z`` never depends on
how many patients are drawn or on the workers. The reference simulator ignores it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from trialsim.population.sampling import draw_candidates
from trialsim.spec.loading import LoadedStudy, load_shipped_cohort
from trialsim.spec.study import ScenarioSpec
from trialsim.trial.enrolment import enrol, sample_cohort
from trialsim.trial.speed_effect import SPEED_EFFECT_KEY, speed_effect_for, speed_effect_provenance

#: published between-person SD of comfortable speed, older adults (Fukuchi 2018: 1.26 ± 0.18 m/s)
PUBLISHED_SD_M_S = 0.18


@pytest.fixture(scope="module")
def generator():
    from trialsim.generative.loader import load_default_generator

    gen = load_default_generator()
    if gen.bundle.speed_head is None:
        pytest.skip("the shipped generator checkpoint has no speed head (no per-body speed effect)")
    return gen


@pytest.fixture(scope="module")
def fit(generator):
    from trialsim.population.calibration import calibrate

    return calibrate(load_shipped_cohort("healthy_older"), generator, seed=0)


@pytest.fixture(scope="module")
def healthy_sample(generator):
    return sample_cohort(load_shipped_cohort("healthy_older"), n=2000, seed=1, simulator=generator)


def test_cohort_sample_has_the_calibrated_spread(healthy_sample):
    """Before the effect reached the trial: 1.239 ± 0.071 m/s (SD ratio 0.39)."""
    ratio = healthy_sample.gait_speed_m_s.std() / PUBLISHED_SD_M_S
    assert 0.7 <= ratio <= 1.4, ratio


def test_cohort_sample_matches_the_fit_by_decade_and_sex(healthy_sample, fit):
    """Each Bohannon stratum of a screened trial cohort meets the fit's own figures (the trial
    path is the calibrated population): mean within 0.03 m/s (≈ 3.5 standard errors at n ≈ 450),
    SD ratio 0.7–1.4."""
    df = healthy_sample
    for target, row in zip(load_shipped_cohort("healthy_older").calibration.targets, fit.rows, strict=True):
        keep = (df.age_years >= target.age_years[0]) & (df.age_years < target.age_years[1])
        keep &= df.sex == (1.0 if target.sex == "female" else 0.0)
        v = df.gait_speed_m_s[keep]
        assert abs(v.mean() - row["fitted_mean"]) <= 0.03, (row["stratum"], v.mean(), row["fitted_mean"])
        assert 0.7 <= v.std() / target.sd <= 1.4, (row["stratum"], v.std())


def test_effect_is_the_fit_of_each_candidates_own_draw(healthy_sample, generator, fit):
    cohort = load_shipped_cohort("healthy_older")
    ids = healthy_sample.patient_id.to_numpy()
    z = draw_candidates(cohort, seed=1, key=("cohort",), start=0, count=int(ids.max()) + 1).speed_effect_z[ids]
    np.testing.assert_allclose(healthy_sample[SPEED_EFFECT_KEY], fit.shift + fit.scale * z)
    assert healthy_sample.attrs["provenance_speed_effect"] == "calibrated"
    assert float(healthy_sample.attrs["provenance_speed_effect_shift"]) == fit.shift
    children = load_shipped_cohort("ambulant_cp")  # no targets: the physics-trained N(0, 1)
    effect = speed_effect_for(children, generator)
    assert effect is not None
    assert (effect.source, effect.shift, effect.scale) == ("uncalibrated", 0.0, 1.0)


def test_candidate_draw_does_not_depend_on_n():
    cohort = load_shipped_cohort("healthy_older")
    many = draw_candidates(cohort, seed=3, key=("trial", 0, "pool"), start=0, count=1000).speed_effect_z
    few = draw_candidates(cohort, seed=3, key=("trial", 0, "pool"), start=0, count=300).speed_effect_z
    late = draw_candidates(cohort, seed=3, key=("trial", 0, "pool"), start=250, count=20).speed_effect_z
    np.testing.assert_array_equal(many[:300], few)
    np.testing.assert_array_equal(many[250:270], late)
    assert 0.9 < many.std() < 1.1


def test_enrolled_patients_keep_their_effect_whatever_n(generator):
    cohort = load_shipped_cohort("early_pd")
    small = enrol(cohort, n=40, seed=5, key=("trial", 1, "control"), simulator=generator)
    large = enrol(cohort, n=300, seed=5, key=("trial", 1, "control"), simulator=generator)
    np.testing.assert_array_equal(small.params[SPEED_EFFECT_KEY], large.params[SPEED_EFFECT_KEY][:40])
    np.testing.assert_array_equal(small.baseline_gait["gait_speed_m_s"], large.baseline_gait["gait_speed_m_s"][:40])


def test_effect_is_the_same_at_every_visit(pd_study: LoadedStudy, generator):
    from trialsim.trial.simulate import _trajectory_params, arm_outcome

    e = enrol(pd_study.cohort, n=200, seed=pd_study.spec.seed, key=("persist",), simulator=generator)
    weeks = np.asarray(pd_study.spec.visits_weeks, dtype=float)
    params = _trajectory_params(pd_study.spec, pd_study.cohort, e.candidates, weeks=weeks, treated=False,
                                effect_scale=0.0, speed_effect=e.params[SPEED_EFFECT_KEY])
    assert params[SPEED_EFFECT_KEY].shape == (200, len(weeks))
    np.testing.assert_array_equal(params[SPEED_EFFECT_KEY], np.repeat(e.params[SPEED_EFFECT_KEY][:, None], len(weeks), 1))
    # the follow-up visits see it: a patient's speed at the last visit tracks its baseline effect
    out = arm_outcome(pd_study, e, key=("persist", "control"), treated=False,
                      scenario=ScenarioSpec(name="null", effect_scale=0.0), simulator=generator)
    last = generator.simulate(params)["gait_speed_m_s"][:, -1]
    without = generator.simulate({k: v for k, v in params.items() if k != SPEED_EFFECT_KEY})["gait_speed_m_s"][:, -1]
    r = np.corrcoef(np.log(last / without), e.params[SPEED_EFFECT_KEY])[0, 1]
    assert r > 0.99, r
    assert out.true_change.shape == (200,)
    # and the arm's own visits carry it: zeroing the enrolled effect changes every follow-up visit
    import dataclasses

    flat = dataclasses.replace(e, params={**e.params, SPEED_EFFECT_KEY: np.zeros(200)})
    out_flat = arm_outcome(pd_study, flat, key=("persist", "control"), treated=False,
                           scenario=ScenarioSpec(name="null", effect_scale=0.0), simulator=generator)
    follow = np.isfinite(out.observed[:, 1:]) & np.isfinite(out_flat.observed[:, 1:])
    diff = np.log(out.observed[:, 1:][follow]) - np.log(out_flat.observed[:, 1:][follow])
    effect = np.broadcast_to(e.params[SPEED_EFFECT_KEY][:, None], out.observed[:, 1:].shape)[follow]
    assert np.corrcoef(diff, effect)[0, 1] > 0.9


def test_reference_simulator_gets_no_effect(pd_study: LoadedStudy):
    from trialsim.generative.reference import ReferenceGaitModel

    ref = ReferenceGaitModel()
    assert speed_effect_for(pd_study.cohort, ref) is None
    assert speed_effect_provenance(pd_study.cohort, ref) == {}
    e = enrol(pd_study.cohort, n=20, seed=1, key=("x",), simulator=ref)
    assert SPEED_EFFECT_KEY not in e.params


def test_generator_run_is_the_same_with_two_workers(tmp_path, generator):
    """Two replicate blocks on two Dask workers (each fits the calibration itself) give the
    serial run's numbers, and the run records the fit it used."""
    import shutil

    from trialsim.results.run import run_study
    from trialsim.spec.loading import load_study

    shutil.copy(ROOT / "cohorts" / "healthy_older.yaml", tmp_path / "healthy_older.yaml")
    (tmp_path / "study.yaml").write_text(STUDY_ON_GENERATOR)
    runs = [run_study(load_study(tmp_path / "study.yaml"), workers=w, quiet=True) for w in (0, 2)]
    for key, serial in runs[0].per_replicate.items():
        np.testing.assert_array_equal(serial, runs[1].per_replicate[key], err_msg=str(key))
    assert runs[0].simulator_provenance["speed_effect"] == runs[1].simulator_provenance["speed_effect"] == "calibrated"
    assert runs[0].simulator_provenance["speed_effect_scale"] == runs[1].simulator_provenance["speed_effect_scale"]


ROOT = Path(__file__).resolve().parents[2]
STUDY_ON_GENERATOR = """schema_version: 1
name: small_healthy_generator
description: healthy older adults on the generator (calibrated speed effect), two replicate blocks
seed: 13
cohort: healthy_older.yaml
simulator: generator
arms:
  - {name: usual_care, role: control, allocation: 0.5}
  - {name: training, role: treatment, allocation: 0.5}
visits_weeks: [0, 12]
endpoint: {measure: gait_speed_m_s, visit_week: 12, device: walkway}
treatment:
  symptomatic: {shifts: {strength_plantarflexors: 0.12}, onset_weeks: 4}
progression: {rate_per_year: 0.0}
dropout: {mechanism: mcar, rate: 0.1}
analysis: {method: bayesian_ancova}
design: {n_per_arm: [20], target_power: 0.8, max_type1_error: 0.1}
scenarios:
  - {name: expected, effect_scale: 1.0}
replicates: 51
"""


def test_disease_cohort_is_calibrated_on_healthy_controls_with_its_covariates(generator):
    """`calibration.population: healthy_controls` (the shipped PD cohorts): the fit
    runs on healthy people with the cohort's covariates and the patients carry it."""
    from trialsim.population.calibration import calibrate, healthy_controls_of

    early = load_shipped_cohort("early_pd")
    assert early.calibration is not None and early.calibration.population == "healthy_controls"
    effect = speed_effect_for(early, generator)
    assert effect is not None and effect.source == "calibrated"
    controls = healthy_controls_of(early).model_copy(
        update={"calibration": early.calibration.model_copy(update={"population": "cohort"})})
    assert controls.condition == "healthy" and controls.covariates == early.covariates
    own = calibrate(controls, generator, seed=0)
    assert (effect.shift, effect.scale) == (own.shift, own.scale)


def test_twin_progression_folds_one_sided_strength_change():
    """A stroke patient's paretic weakening (per-side strength) reaches the twin's bilateral strength."""
    import numpy as np

    from trialsim.physiology.disease import map_to_parameters
    from trialsim.trial.prognostic_twins import progression_shift

    cov = {"age_years": np.full((2, 2), 63.0), "sex": np.zeros((2, 1)), "height_m": np.full((2, 1), 1.75),
           "body_mass_kg": np.full((2, 1), 80.0)}
    fm = np.array([[24.0, 20.0], [24.0, 24.0]])  # patient 0 worsens by 4 Fugl-Meyer points, patient 1 is stable
    typical = map_to_parameters(cov, condition="stroke", severity={"fugl_meyer_le": fm},
                                paretic_side=np.array([[0.0], [1.0]]))
    shift = progression_shift(typical, 1)
    assert shift["strength_plantarflexors"][0] < -0.01
    assert shift["strength_plantarflexors"][1] == 0.0
    assert "strength_plantarflexors_l" not in shift and "sex" not in shift
