"""Checks of the trial layer that can fail (issue: cohorts, progression, effects, synthetic controls)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from scipy import stats

from trialsim.generative.reference import ReferenceGaitModel
from trialsim.spec.loading import LoadedStudy
from trialsim.spec.study import DriftSpec, DropoutSpec, ScenarioSpec
from trialsim.trial.dropout import dropout_mask
from trialsim.trial.simulate import Design, simulate_arm, simulate_replicates, true_effect


def test_zero_effect_arms_are_exchangeable(pd_study: LoadedStudy) -> None:
    sim = ReferenceGaitModel()
    null = ScenarioSpec(name="null", effect_scale=0.0)
    design = Design(150, 150, 0)
    batch = simulate_replicates(pd_study, scenario=null, designs=[design], replicates=range(8), simulator=sim, effect=0.0)[design]
    change = batch.change_from_baseline()
    control = change[batch.arm == 0]
    treated = change[batch.arm == 1]
    control, treated = control[np.isfinite(control)], treated[np.isfinite(treated)]
    # two-sample KS on ~1,000 patients per arm: distributions do not differ beyond sampling error
    assert stats.ks_2samp(control, treated).pvalue > 0.01
    assert abs(control.mean() - treated.mean()) < 3 * np.sqrt(control.var() / len(control) + treated.var() / len(treated))


def test_symptomatic_effect_matches_generator_sensitivity(pd_study: LoadedStudy, vary: Callable[..., LoadedStudy]) -> None:
    """The gait-speed difference of a pure symptomatic effect is predicted by the simulator's
    finite-difference sensitivity to the shifted parameters (sign, and size within 30 %)."""
    sim = ReferenceGaitModel()
    loaded = vary(pd_study, placebo=pd_study.spec.placebo.model_copy(update={"shifts": {}}),
                   treatment=pd_study.spec.treatment.model_copy(update={"responder_fraction": 1.0, "disease_modifying_fraction": 0.0}))
    effect = true_effect(loaded, scenario=ScenarioSpec(name="alt", effect_scale=1.0), simulator=sim, n=2000)
    shifts = loaded.spec.treatment.symptomatic.shifts  # type: ignore[union-attr]
    # linearised prediction at the cohort's typical patient
    from trialsim.trial.enrolment import enrol

    e = enrol(loaded.cohort, n=2000, seed=1, key=("sens",), simulator=sim)
    base = sim.simulate(e.params)["gait_speed_m_s"]
    predicted = 0.0
    for name, shift in shifts.items():
        bumped = dict(e.params)
        bumped[name] = e.params[name] + 1e-3
        slope = (sim.simulate(bumped)["gait_speed_m_s"] - base) / 1e-3
        predicted += float(np.mean(slope)) * shift
    assert effect > 0
    assert predicted > 0
    assert effect == pytest.approx(predicted, rel=0.3)


@pytest.mark.parametrize("mechanism", ["mcar", "mar", "mnar"])
def test_dropout_rates_match_settings(mechanism: str) -> None:
    rng = np.random.default_rng(0)
    n, visits = 40_000, 4
    spec = DropoutSpec(mechanism=mechanism, rate=0.2, log_odds_per_sd=0.8)
    severity = rng.normal(size=n)
    worsening = np.cumsum(rng.normal(size=(n, visits)), axis=1) / np.sqrt(np.arange(1, visits + 1))
    observed = dropout_mask(spec, n_visits=visits, rng=rng, severity_z=severity, outcome_change_z=worsening)
    rate = 1 - observed[:, -1].mean()
    assert rate == pytest.approx(0.2, abs=0.02 if mechanism != "mnar" else 0.04)
    assert observed[:, 0].all()
    assert np.all(np.diff(observed.astype(int), axis=1) <= 0), "dropout must be monotone"
    if mechanism == "mar":
        assert severity[~observed[:, -1]].mean() > severity[observed[:, -1]].mean() + 0.3


def test_progression_moves_gait_through_physiology(pd_study: LoadedStudy, vary: Callable[..., LoadedStudy]) -> None:
    """With UPDRS III rising 3 points/year and no drug, control gait speed falls over 2 years."""
    sim = ReferenceGaitModel()
    loaded = vary(pd_study, visits_weeks=[0.0, 52.0, 104.0], endpoint=pd_study.spec.endpoint.model_copy(update={"visit_week": 104.0}),
                   placebo=pd_study.spec.placebo.model_copy(update={"shifts": {}}), dropout=DropoutSpec())
    arm = simulate_arm(loaded, replicate=0, arm="control", n=2000, treated=False, scenario=ScenarioSpec(name="n", effect_scale=0), simulator=sim)
    assert arm.true_change.mean() < -0.01
    assert np.corrcoef(arm.true_change, arm.prognostic_score)[0, 1] > 0


def test_synthetic_drift_offsets_controls(pd_study: LoadedStudy) -> None:
    sim = ReferenceGaitModel()
    null = ScenarioSpec(name="n", effect_scale=0)
    plain = simulate_arm(pd_study, replicate=1, arm="synthetic", n=3000, treated=False, scenario=null, simulator=sim)
    drift = simulate_arm(pd_study, replicate=1, arm="synthetic", n=3000, treated=False, scenario=null, simulator=sim, drift=DriftSpec(outcome_offset=-0.05))
    k = pd_study.spec.primary_visit_index
    delta = np.nanmean(drift.observed[:, k] - drift.observed[:, 0]) - np.nanmean(plain.observed[:, k] - plain.observed[:, 0])
    assert delta == pytest.approx(-0.05, abs=0.01)


def test_same_drug_helps_weaker_patients_more() -> None:
    """Heterogeneous effects emerge from physiology: the same strength shift raises a weak
    patient's gait speed more than a strong patient's (saturating force–speed response)."""
    from trialsim.trial.mechanisms import apply_shifts

    sim = ReferenceGaitModel()
    groups = ("strength_plantarflexors", "strength_hip_extensors", "strength_knee_extensors")
    gains = []
    for strength in (0.5, 1.0):
        params = {name: np.array([strength]) for name in groups}
        treated = apply_shifts(params, {name: 0.1 for name in groups}, np.array([1.0]))
        gains.append(float(sim.simulate(treated)["gait_speed_m_s"][0] - sim.simulate(params)["gait_speed_m_s"][0]))
    weak_gain, strong_gain = gains
    assert weak_gain > 1.2 * strong_gain > 0
