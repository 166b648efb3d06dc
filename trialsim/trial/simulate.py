"""Simulating trials: arms of virtual patients followed over visits, measured by a device."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trialsim.errors import TrialsimError
from trialsim.generative.protocol import GaitSimulator
from trialsim.physiology.disease import map_to_parameters
from trialsim.population.sampling import patient_variables
from trialsim.seeding import stream
from trialsim.sensors.devices import DEVICES, measure
from trialsim.spec.cohort import CohortSpec
from trialsim.spec.loading import LoadedStudy
from trialsim.spec.study import DriftSpec, ScenarioSpec, StudySpec
from trialsim.trial.batch import TrialBatch
from trialsim.trial.dropout import dropout_mask
from trialsim.trial.enrolment import Enrolled, enrol
from trialsim.trial.mechanisms import (
    PROGRESSION_SCORE,
    apply_shifts,
    placebo_amount,
    progressed_severity,
    symptomatic_amount,
    treated_severity,
)
from trialsim.trial.prognostic_twins import progression_shift, twin_predicted_change
from trialsim.trial.randomisation import DISCRETE_VARIABLES, assign_arms, stratum_index
from trialsim.trial.speed_effect import SPEED_EFFECT_KEY, speed_effect_for


@dataclass(frozen=True)
class Design:
    """One candidate design: concurrent arm sizes and the synthetic control size."""

    n_control: int
    n_treatment: int
    n_synthetic: int

    @property
    def total(self) -> int:
        return self.n_control + self.n_treatment

    @property
    def label(self) -> str:
        return f"c{self.n_control}_t{self.n_treatment}_s{self.n_synthetic}"


def candidate_designs(study: StudySpec) -> list[Design]:
    """Every design of the study's grid (control n × allocation ratio × synthetic n)."""
    ratio_default = study.treatment_arm.allocation / study.control_arm.allocation
    ratios = study.design.allocation_ratios or [ratio_default]
    synthetic = study.design.synthetic_control_n if study.synthetic_control.enabled else [0]
    designs = {
        Design(n, max(2, round(n * r)), m)
        for n in study.design.n_per_arm for r in ratios for m in synthetic
    }
    return sorted(designs, key=lambda d: (d.total, d.n_synthetic, d.n_control))


def check_study(loaded: LoadedStudy) -> None:
    """Study fields that depend on its cohort or device (one-line errors naming the field).

    Examples
    --------
    >>> from trialsim.spec.loading import load_study
    >>> check_study(load_study("studies/pd_gait_speed_phase2.yaml"))  # doctest: +SKIP
    """
    check_device(loaded)
    variables = patient_variables(loaded.cohort)
    for i, factor in enumerate(loaded.spec.randomisation.strata):
        if factor.variable not in variables:
            raise TrialsimError(
                f"{loaded.source}: randomisation.strata[{i}]: {factor.variable} is not a variable of cohort "
                f"{loaded.cohort.name} (allowed: {', '.join(variables)})"
            )
        if not factor.cutpoints and factor.variable not in DISCRETE_VARIABLES:
            raise TrialsimError(
                f"{loaded.source}: randomisation.strata[{i}]: {factor.variable} is continuous; give cutpoints, "
                f"e.g. {{variable: {factor.variable}, cutpoints: [{_example_cut(factor.variable)}]}}"
            )


def _example_cut(variable: str) -> str:
    return {"age_years": "70", "height_m": "1.7", "body_mass_kg": "75", "updrs_iii": "30"}.get(variable, "...")


def check_device(loaded: LoadedStudy) -> None:
    """The endpoint must be something the chosen device measures."""
    ep = loaded.spec.endpoint
    measures = DEVICES[ep.device].measures()
    if ep.measure not in measures:
        raise TrialsimError(
            f"{loaded.source}: endpoint.device: {ep.device} does not measure {ep.measure} "
            f"(allowed for this device: {', '.join(measures)})"
        )


@dataclass(frozen=True)
class ArmOutcome:
    """One arm of one replicate: observed endpoint ``(N, V)``, prognostic score ``(N,)``."""

    observed: np.ndarray
    true_change: np.ndarray
    prognostic_score: np.ndarray
    covariates: dict[str, np.ndarray]


def _trajectory_params(
    study: StudySpec, cohort: CohortSpec, candidates, *, weeks: np.ndarray, treated: bool,  # type: ignore[no-untyped-def]
    effect_scale: float, typical: bool = False, rate_z: np.ndarray | None = None,
    speed_effect: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Musculoskeletal parameters ``(N, V)`` of an arm over the visits.

    ``speed_effect`` ``(N,)`` is each patient's persistent speed effect (the same at every
    visit: :mod:`trialsim.trial.speed_effect`); ``None`` adds none (a simulator without one).
    """
    c = candidates
    prog = study.progression
    z = c.progression_z if rate_z is None else rate_z
    rate = prog.rate_per_year + prog.rate_sd_per_year * z  # signed, in the score's own units
    responder = (c.responder_u < study.treatment.responder_fraction) & treated
    slowing = study.treatment.disease_modifying_fraction * effect_scale * responder
    severity = progressed_severity(c.severity, condition=cohort.condition, weeks=weeks, rate_per_year=rate, slowing=slowing)
    sym = study.treatment.symptomatic
    if treated and sym is not None and sym.severity_shift and effect_scale > 0:
        severity = treated_severity(severity, sym, effect_scale * responder[:, None] * symptomatic_amount(sym, weeks)[None, :])
    years = weeks[None, :] / 52.0
    cov = {
        "age_years": c.covariates["age_years"][:, None] + years,
        "sex": c.covariates["sex"][:, None],
        "height_m": c.covariates["height_m"][:, None],
        "body_mass_kg": c.covariates["body_mass_kg"][:, None],
    }
    noise = None if typical else {k: v[:, None] for k, v in c.noise.items()}
    params = map_to_parameters(cov, condition=cohort.condition, severity=severity, patient_noise=noise, paretic_side=c.paretic_side[:, None])
    if study.placebo.shifts:
        params = apply_shifts(params, study.placebo.shifts, placebo_amount(study, weeks)[None, :])
    if treated and sym is not None and sym.shifts and effect_scale > 0:
        scaled = {k: v * effect_scale for k, v in sym.shifts.items()}
        params = apply_shifts(params, scaled, responder[:, None] * symptomatic_amount(sym, weeks)[None, :])
    if speed_effect is not None:
        u = np.asarray(speed_effect, dtype=float)
        params = {**params, SPEED_EFFECT_KEY: np.broadcast_to(u[:, None], (len(u), len(weeks)))}
    return params


@dataclass(frozen=True)
class _Scales:
    severity_mean: float
    severity_sd: float
    change_sd: float


_SCALES: dict[tuple[str, str, str], _Scales] = {}


def _standardisers(loaded: LoadedStudy, simulator: GaitSimulator) -> _Scales:
    """Fixed (arm-size independent) scales for the dropout drivers, from a reference sample."""
    # the checkpoint too: a generator's calibrated speed effect and gait depend on it
    key = (loaded.config_sha256, simulator.name, str(simulator.provenance().get("checkpoint_sha256", "")))
    if key not in _SCALES:
        study, cohort = loaded.spec, loaded.cohort
        e = enrol(cohort, n=1000, seed=study.seed, key=("reference",), simulator=simulator)
        weeks = np.asarray(study.visits_weeks, dtype=float)
        p = _trajectory_params(study, cohort, e.candidates, weeks=weeks, treated=False, effect_scale=0.0,
                               speed_effect=e.params.get(SPEED_EFFECT_KEY))
        y = simulator.simulate(p, rng=stream(study.seed, "reference", "visit_day"))[study.endpoint.measure]
        name = PROGRESSION_SCORE.get(cohort.condition, (None, 1.0))[0]
        sev = e.candidates.severity.get(name) if name else None
        _SCALES[key] = _Scales(
            float(sev.mean()) if sev is not None else 0.0,
            float(sev.std() + 1e-9) if sev is not None else 1.0,
            float(np.std(y[:, -1] - y[:, 0]) + 1e-9),
        )
    return _SCALES[key]


def _enrolled(
    loaded: LoadedStudy, *, key: tuple[object, ...], n: int, simulator: GaitSimulator, age_shift: float,
    enrolments: dict[tuple[object, ...], Enrolled] | None,
) -> Enrolled:
    """Screen ``n`` patients of the sequence ``key`` (cached across scenarios)."""
    cache_key = (*key, n, age_shift)
    if enrolments is not None and cache_key in enrolments:
        return enrolments[cache_key]
    e = enrol(loaded.cohort, n=n, seed=loaded.spec.seed, key=key, simulator=simulator, age_shift_years=age_shift)
    if enrolments is not None:
        enrolments[cache_key] = e
    return e


def simulate_arm(
    loaded: LoadedStudy, *, replicate: int, arm: str, n: int, treated: bool, scenario: ScenarioSpec,
    simulator: GaitSimulator, drift: DriftSpec | None = None,
    enrolments: dict[tuple[object, ...], Enrolled] | None = None,
) -> ArmOutcome:
    """Simulate one arm of one replicate (patients are a prefix-stable sequence).

    ``enrolments`` caches screened patients across scenarios (same patients, common
    random numbers); pass the same dict for every scenario of a replicate block.
    """
    key = ("trial", replicate, arm)
    age_shift = drift.age_shift_years if drift is not None else 0.0
    e = _enrolled(loaded, key=key, n=n, simulator=simulator, age_shift=age_shift, enrolments=enrolments)
    return arm_outcome(loaded, e, key=key, treated=treated, scenario=scenario, simulator=simulator, drift=drift)


def randomised_arms(
    loaded: LoadedStudy, *, replicate: int, n_control: int, n_treatment: int, scenario: ScenarioSpec,
    simulator: GaitSimulator, enrolments: dict[tuple[object, ...], Enrolled] | None = None,
) -> tuple[ArmOutcome, ArmOutcome]:
    """Control and treatment arms from one enrolment sequence, stratified permuted blocks.

    The sequence is screened until both arms are full; arm membership of patient *j*
    depends only on the patients before it, so each arm is still prefix-stable.

    Examples
    --------
    >>> from trialsim.generative.reference import ReferenceGaitModel
    >>> control, treated = randomised_arms(loaded, replicate=0, n_control=20, n_treatment=20,
    ...                                    scenario=loaded.spec.scenarios[0], simulator=ReferenceGaitModel())  # doctest: +SKIP
    >>> control.observed.shape  # doctest: +SKIP
    (20, 4)
    """
    study = loaded.spec
    rand = study.randomisation
    units = (round(rand.block_size * study.control_arm.allocation), round(rand.block_size * study.treatment_arm.allocation))
    key = ("trial", replicate, "pool")
    n_pool = n_control + n_treatment + rand.block_size
    while True:
        e = _enrolled(loaded, key=key, n=n_pool, simulator=simulator, age_shift=0.0, enrolments=enrolments)
        variables = {**e.candidates.covariates, **e.candidates.severity}
        treated = assign_arms(stratum_index(variables, rand.strata), control_units=units[0], treatment_units=units[1],
                              seed=study.seed, key=(*key, "randomisation"))
        if (~treated).sum() >= n_control and treated.sum() >= n_treatment:
            break
        n_pool = int(n_pool * 1.25) + rand.block_size
    control = np.flatnonzero(~treated)[:n_control]
    treatment = np.flatnonzero(treated)[:n_treatment]
    return (
        arm_outcome(loaded, e.subset(control), key=("trial", replicate, "control"), treated=False,
                    scenario=scenario, simulator=simulator),
        arm_outcome(loaded, e.subset(treatment), key=("trial", replicate, "treatment"), treated=True,
                    scenario=scenario, simulator=simulator),
    )


def arm_outcome(
    loaded: LoadedStudy, e: Enrolled, *, key: tuple[object, ...], treated: bool, scenario: ScenarioSpec,
    simulator: GaitSimulator, drift: DriftSpec | None = None,
) -> ArmOutcome:
    """Follow enrolled patients over the visits: progression, treatment, device, dropout, prognosis.

    Examples
    --------
    >>> outcome = arm_outcome(loaded, enrolled, key=("trial", 0, "control"), treated=False,
    ...                       scenario=loaded.spec.scenarios[0], simulator=simulator)  # doctest: +SKIP
    >>> outcome.prognostic_score.shape  # doctest: +SKIP
    (40,)
    """
    study, cohort, seed = loaded.spec, loaded.cohort, loaded.spec.seed
    ep = study.endpoint
    n = e.n
    weeks = np.asarray(study.visits_weeks, dtype=float)
    params = _trajectory_params(study, cohort, e.candidates, weeks=weeks, treated=treated, effect_scale=scenario.effect_scale,
                                speed_effect=e.params.get(SPEED_EFFECT_KEY))
    gait = simulator.simulate(params, rng=stream(seed, *key, "visit_day"))[ep.measure]
    gait[:, 0] = e.baseline_gait[ep.measure]
    sign = 1.0 if ep.better == "higher" else -1.0
    observed = measure({ep.measure: gait}, device=ep.device, rng=stream(seed, *key, "device"))[ep.measure]
    if drift is not None and drift.outcome_offset:
        ramp = weeks / weeks[study.primary_visit_index]
        observed = observed + drift.outcome_offset * ramp[None, :]
    true_change = gait - gait[:, :1]
    score_name = PROGRESSION_SCORE.get(cohort.condition, (None, 1.0))[0]
    sev = e.candidates.severity.get(score_name) if score_name else None
    scales = _standardisers(loaded, simulator)
    severity_z = np.zeros(n) if sev is None else (sev - scales.severity_mean) / scales.severity_sd
    worsening_z = (-sign * true_change) / scales.change_sd
    observed_mask = dropout_mask(study.dropout, n_visits=len(weeks), rng=stream(seed, *key, "dropout"), severity_z=severity_z, outcome_change_z=worsening_z)
    baseline_observed = observed[:, 0].copy()
    observed = np.where(observed_mask, observed, np.nan)
    effect = speed_effect_for(cohort, simulator)  # the typical patient: the cohort's typical speed effect (z = 0)
    typical = _trajectory_params(study, cohort, e.candidates, weeks=weeks, treated=False, effect_scale=0.0, typical=True,
                                 rate_z=np.zeros(n), speed_effect=None if effect is None else np.full(n, effect.shift))
    k = study.primary_visit_index
    if study.analysis.prognostic_model == "digital_twin":
        shift = progression_shift(typical, k)
        prognostic = twin_predicted_change(
            loaded, baseline_gait=e.baseline_gait, observed_baseline=baseline_observed,
            covariates=e.candidates.covariates, progression_shift=shift, key=key, simulator=simulator,
        )
    else:
        predicted = simulator.simulate(typical)[ep.measure]
        prognostic = predicted[:, k] - predicted[:, 0]
    covariates = dict(e.candidates.covariates)
    for name, values in e.candidates.severity.items():
        covariates[name] = values
    return ArmOutcome(sign * observed, sign * true_change[:, k], sign * prognostic, covariates)


def true_effect(loaded: LoadedStudy, *, scenario: ScenarioSpec, simulator: GaitSimulator, n: int = 4000) -> float:
    """Population estimand: mean treated − control change at the primary visit (benefit-signed).

    Same virtual patients under both arms (counterfactual), no measurement error or
    dropout: the hypothetical "all patients complete" estimand.
    """
    study, cohort = loaded.spec, loaded.cohort
    if scenario.effect_scale == 0:
        return 0.0
    e = enrol(cohort, n=n, seed=study.seed, key=("truth",), simulator=simulator)
    weeks = np.asarray(study.visits_weeks, dtype=float)
    k = study.primary_visit_index
    sign = 1.0 if study.endpoint.better == "higher" else -1.0
    changes = []
    for treated in (True, False):
        p = _trajectory_params(study, cohort, e.candidates, weeks=weeks, treated=treated, effect_scale=scenario.effect_scale,
                               speed_effect=e.params.get(SPEED_EFFECT_KEY))
        y = simulator.simulate(p)[study.endpoint.measure]
        changes.append(y[:, k] - y[:, 0])
    return float(sign * np.mean(changes[0] - changes[1]))


def simulate_replicates(
    loaded: LoadedStudy, *, scenario: ScenarioSpec, designs: list[Design], replicates: range,
    simulator: GaitSimulator, effect: float, enrolments: dict[tuple[object, ...], Enrolled] | None = None,
) -> dict[Design, TrialBatch]:
    """Simulate ``replicates`` trials under ``scenario`` for every design at once.

    Patients form prefix-stable sequences per arm, so each replicate is simulated at
    the largest arm sizes and every design takes the first patients of each arm:
    designs are compared on common random numbers, and a design's result does not
    depend on which other designs are in the grid.
    """
    study = loaded.spec
    drift = scenario.drift or study.synthetic_control.drift
    n_c = max(d.n_control for d in designs)
    n_t = max(d.n_treatment for d in designs)
    n_s = max(d.n_synthetic for d in designs)
    per_rep = []
    for r in replicates:
        if study.randomisation.method == "stratified_blocks":
            control, treat = randomised_arms(loaded, replicate=r, n_control=n_c, n_treatment=n_t, scenario=scenario,
                                             simulator=simulator, enrolments=enrolments)
        else:
            control = simulate_arm(loaded, replicate=r, arm="control", n=n_c, treated=False, scenario=scenario, simulator=simulator, enrolments=enrolments)
            treat = simulate_arm(loaded, replicate=r, arm="treatment", n=n_t, treated=True, scenario=scenario, simulator=simulator, enrolments=enrolments)
        synth = (
            simulate_arm(loaded, replicate=r, arm="synthetic", n=n_s, treated=False, scenario=scenario, simulator=simulator, drift=drift, enrolments=enrolments)
            if n_s else None
        )
        per_rep.append((control, treat, synth))
    batches = {}
    for d in designs:
        c, t, m = slice(0, d.n_control), slice(0, d.n_treatment), slice(0, d.n_synthetic)
        batches[d] = TrialBatch(
            visits_weeks=np.asarray(study.visits_weeks, dtype=float),
            primary_visit=study.primary_visit_index,
            arm=np.tile(np.r_[np.zeros(d.n_control, int), np.ones(d.n_treatment, int)], (len(per_rep), 1)),
            outcome=np.stack([np.vstack([ctl.observed[c], trt.observed[t]]) for ctl, trt, _ in per_rep]),
            prognostic_score=np.stack([np.r_[ctl.prognostic_score[c], trt.prognostic_score[t]] for ctl, trt, _ in per_rep]),
            true_effect=effect,
            endpoint=study.endpoint.measure,
            covariates={
                k: np.stack([np.r_[ctl.covariates[k][c], trt.covariates[k][t]] for ctl, trt, _ in per_rep])
                for k in per_rep[0][0].covariates
            },
            external_outcome=np.stack([s.observed[m] for _, _, s in per_rep]) if d.n_synthetic else None,  # type: ignore[union-attr]
            external_prognostic_score=np.stack([s.prognostic_score[m] for _, _, s in per_rep]) if d.n_synthetic else None,  # type: ignore[union-attr]
        )
    return batches


def variance_components(loaded: LoadedStudy, *, simulator: GaitSimulator, n: int = 2000) -> dict[str, float]:
    """Variance of the primary-visit change among control patients, from a pilot of ``n``.

    Returns ``sd_change`` (observed change, completers), ``sd_true_change`` (without
    measurement error), ``sd_measurement`` (SD of observed − true change: the
    test–retest part), ``rho_prognostic`` (correlation of the prognostic score with the
    observed change: PROCOVA's ρ) and ``n_completers``. Benefit-signed, endpoint units.
    Same seed, same numbers (stream key ``"pilot"``).
    """
    null = ScenarioSpec(name="pilot", effect_scale=0.0)
    e = enrol(loaded.cohort, n=n, seed=loaded.spec.seed, key=("pilot",), simulator=simulator)
    arm = arm_outcome(loaded, e, key=("pilot", "control"), treated=False, scenario=null, simulator=simulator)
    k = loaded.spec.primary_visit_index
    change = arm.observed[:, k] - arm.observed[:, 0]
    ok = np.isfinite(change)
    noise = change[ok] - arm.true_change[ok]
    return {
        "sd_change": float(np.std(change[ok], ddof=1)),
        "sd_true_change": float(np.std(arm.true_change[ok], ddof=1)),
        "sd_measurement": float(np.std(noise, ddof=1)),
        "rho_prognostic": float(np.corrcoef(arm.prognostic_score[ok], change[ok])[0, 1]),
        "n_completers": float(ok.sum()),
    }
