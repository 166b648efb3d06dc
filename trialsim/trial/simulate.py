"""Simulating trials: arms of virtual patients followed over visits, measured by a device."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trialsim.errors import TrialsimError
from trialsim.generative.protocol import GaitSimulator
from trialsim.physiology.disease import map_to_parameters
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
)


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
) -> dict[str, np.ndarray]:
    """Musculoskeletal parameters ``(N, V)`` of an arm over the visits."""
    c = candidates
    prog = study.progression
    z = c.progression_z if rate_z is None else rate_z
    rate = prog.rate_per_year + prog.rate_sd_per_year * z  # signed, in the score's own units
    responder = (c.responder_u < study.treatment.responder_fraction) & treated
    slowing = study.treatment.disease_modifying_fraction * effect_scale * responder
    severity = progressed_severity(c.severity, condition=cohort.condition, weeks=weeks, rate_per_year=rate, slowing=slowing)
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
    sym = study.treatment.symptomatic
    if treated and sym is not None and effect_scale > 0:
        scaled = {k: v * effect_scale for k, v in sym.shifts.items()}
        params = apply_shifts(params, scaled, responder[:, None] * symptomatic_amount(sym, weeks)[None, :])
    return params


@dataclass(frozen=True)
class _Scales:
    severity_mean: float
    severity_sd: float
    change_sd: float


_SCALES: dict[tuple[str, str], _Scales] = {}


def _standardisers(loaded: LoadedStudy, simulator: GaitSimulator) -> _Scales:
    """Fixed (arm-size independent) scales for the dropout drivers, from a reference sample."""
    key = (loaded.config_sha256, simulator.name)
    if key not in _SCALES:
        study, cohort = loaded.spec, loaded.cohort
        e = enrol(cohort, n=1000, seed=study.seed, key=("reference",), simulator=simulator)
        weeks = np.asarray(study.visits_weeks, dtype=float)
        p = _trajectory_params(study, cohort, e.candidates, weeks=weeks, treated=False, effect_scale=0.0)
        y = simulator.simulate(p, rng=stream(study.seed, "reference", "visit_day"))[study.endpoint.measure]
        name = PROGRESSION_SCORE.get(cohort.condition, (None, 1.0))[0]
        sev = e.candidates.severity.get(name) if name else None
        _SCALES[key] = _Scales(
            float(sev.mean()) if sev is not None else 0.0,
            float(sev.std() + 1e-9) if sev is not None else 1.0,
            float(np.std(y[:, -1] - y[:, 0]) + 1e-9),
        )
    return _SCALES[key]


def simulate_arm(
    loaded: LoadedStudy, *, replicate: int, arm: str, n: int, treated: bool, scenario: ScenarioSpec,
    simulator: GaitSimulator, drift: DriftSpec | None = None,
    enrolments: dict[tuple[object, ...], Enrolled] | None = None,
) -> ArmOutcome:
    """Simulate one arm of one replicate (patients are a prefix-stable sequence).

    ``enrolments`` caches screened patients across scenarios (same patients, common
    random numbers); pass the same dict for every scenario of a replicate block.
    """
    study, cohort, seed = loaded.spec, loaded.cohort, loaded.spec.seed
    ep = study.endpoint
    weeks = np.asarray(study.visits_weeks, dtype=float)
    key = ("trial", replicate, arm)
    age_shift = drift.age_shift_years if drift is not None else 0.0
    cache_key = (*key, n, age_shift)
    if enrolments is not None and cache_key in enrolments:
        e = enrolments[cache_key]
    else:
        e = enrol(cohort, n=n, seed=seed, key=key, simulator=simulator, age_shift_years=age_shift)
        if enrolments is not None:
            enrolments[cache_key] = e
    params = _trajectory_params(study, cohort, e.candidates, weeks=weeks, treated=treated, effect_scale=scenario.effect_scale)
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
    observed = np.where(observed_mask, observed, np.nan)
    typical = _trajectory_params(study, cohort, e.candidates, weeks=weeks, treated=False, effect_scale=0.0, typical=True, rate_z=np.zeros(n))
    predicted = simulator.simulate(typical)[ep.measure]
    prognostic = predicted[:, study.primary_visit_index] - predicted[:, 0]
    covariates = dict(e.candidates.covariates)
    for name, values in e.candidates.severity.items():
        covariates[name] = values
    return ArmOutcome(sign * observed, sign * true_change[:, study.primary_visit_index], sign * prognostic, covariates)


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
        p = _trajectory_params(study, cohort, e.candidates, weeks=weeks, treated=treated, effect_scale=scenario.effect_scale)
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
