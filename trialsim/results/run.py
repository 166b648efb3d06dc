"""``run_study``: a study YAML → simulated trials → analyses → operating characteristics.

The work is split into tasks (scenario × block of replicates). Each task simulates
its replicates once at the largest arm sizes and analyses every design on the same
virtual patients (common random numbers), so it is a pure function of the study,
the seed and the task key: any number of workers, or a resumed run, gives the same
numbers bit for bit.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import product
from pathlib import Path

import numpy as np

from trialsim.errors import ResourceLimitError
from trialsim.execution.tasks import run_tasks
from trialsim.generative.protocol import GaitSimulator
from trialsim.generative.simulators import simulator_named
from trialsim.spec.analysis import AnalysisSpec, BorrowingSpec
from trialsim.spec.loading import LoadedStudy
from trialsim.spec.study import ScenarioSpec, StudySpec
from trialsim.trial.simulate import (
    Design,
    candidate_designs,
    check_study,
    simulate_replicates,
    true_effect,
    variance_components,
)
from trialsim.trial.speed_effect import speed_effect_provenance

log = logging.getLogger(__name__)

BLOCK_REPLICATES = 50
#: refuse runs estimated above this many patient-visit simulations (≈ hours on 2 cores)
MAX_PATIENT_VISITS = 5e10
#: per-replicate quantities kept from every analysis
FIELDS = (
    "effect_mean", "effect_sd", "ci_low", "ci_high", "prob_success", "prob_cid", "success",
    "standardized_effect_mean", "ess_borrowed", "pooled_sd",
)
ANALYSES = ("primary", "reference")
#: per-replicate convergence diagnostics (ArviZ) of the PyMC engine; NaN for the fast engine, which draws no samples
DIAGNOSTICS = ("r_hat_max", "ess_bulk_min", "divergences")


def diagnostics_of(result: object, replicates: int) -> dict[str, np.ndarray]:
    """R-hat, bulk ESS and divergences of each replicate's NUTS fit (NaN when the engine did not sample)."""
    fits = getattr(result, "inference_data", ())
    if not fits:
        return {d: np.full(replicates, np.nan) for d in DIAGNOSTICS}
    from trialsim.analysis.diagnostics import convergence

    rows = [convergence(f) for f in fits]
    return {d: np.array([r[d] for r in rows]) for d in DIAGNOSTICS}


def select_simulator(name: str) -> GaitSimulator:
    """The gait simulator a study names (see :data:`trialsim.generative.simulators.SIMULATORS`)."""
    return simulator_named(name)


def estimated_patient_visits(study: StudySpec, replicates: int) -> float:
    """Patient-visit simulations a run needs (the figure a resource check refuses on)."""
    designs = candidate_designs(study)
    patients = max(d.n_control for d in designs) + max(d.n_treatment for d in designs) + max(d.n_synthetic for d in designs)
    return float(replicates) * len(study.scenarios) * patients * len(study.visits_weeks) * 2


def check_resources(study: StudySpec, replicates: int) -> None:
    work = estimated_patient_visits(study, replicates)
    if work > MAX_PATIENT_VISITS:
        seconds = work / 2e6
        raise ResourceLimitError(
            f"replicates: {replicates} replicates need ≈ {work:.2g} patient-visit simulations "
            f"(≈ {seconds / 3600:.2g} hours on 2 cores), above the {MAX_PATIENT_VISITS:.0e} limit; "
            "lower replicates or the sample-size grid"
        )


def analysis_for(design: Design, study: StudySpec, which: str) -> AnalysisSpec:
    """The primary analysis (borrowing only when the design has synthetic controls) or the frequentist reference."""
    if which == "reference":
        return AnalysisSpec(method="frequentist_ancova", prognostic_adjustment=False)
    if design.n_synthetic == 0 and study.analysis.borrowing.method != "none":
        return study.analysis.model_copy(update={"borrowing": BorrowingSpec(method="none")})
    return study.analysis


@dataclass
class StudyRun:
    """Everything a run computed, before it is written as results."""

    loaded: LoadedStudy
    replicates: int
    designs: list[Design]
    scenarios: list[ScenarioSpec]
    true_effects: dict[str, float]
    #: (analysis, field) -> array (scenario, design, replicate)
    per_replicate: dict[tuple[str, str], np.ndarray]
    methods: dict[str, str]
    simulator_provenance: dict[str, str]
    wall_time_s: float
    extra: dict[str, object] = field(default_factory=dict)
    #: drifts (endpoint units) the borrowing designs were swept over; empty without borrowing
    drift_offsets: np.ndarray = field(default_factory=lambda: np.zeros(0))
    #: scenario name -> (design, replicate, drift) P(success) of the primary analysis
    drift_prob: dict[str, np.ndarray] = field(default_factory=dict)
    #: control-arm variance components from a pilot (:func:`~trialsim.trial.simulate.variance_components`)
    variance: dict[str, float] = field(default_factory=dict)


def sweeps_drift(study: StudySpec) -> bool:
    """Whether the study has borrowing designs whose OCs are traced over drift."""
    return (study.synthetic_control.enabled and study.analysis.borrowing.method != "none"
            and max(study.design.synthetic_control_n) > 0)


def sweep_scenarios(study: StudySpec) -> list[str]:
    """Scenarios whose synthetic controls do not drift: the drift sweep starts from them."""
    base = study.synthetic_control.drift
    out = []
    for s in study.scenarios:
        d = s.drift or base
        if d.outcome_offset == 0 and d.age_shift_years == 0:
            out.append(s.name)
    return out


def drift_offsets(study: StudySpec, *, sd_change: float) -> np.ndarray:
    """The drift grid: ± max(CID, 0.5 × SD of change) unless the YAML sets it; validated ends included."""
    from trialsim.analysis.drift import drift_grid

    sweep = study.synthetic_control.drift_sweep
    half = sweep.half_width or max(study.decision.clinically_important_difference, 0.5 * sd_change)
    include = tuple(sweep.validated_range or ())
    half = max(half, *(abs(v) for v in include)) if include else half
    return drift_grid(half_width=half, n_values=sweep.n_values, include=include)


def _task_keys(replicates: int) -> list[str]:
    return [f"b{b:05d}" for b in range(math.ceil(replicates / BLOCK_REPLICATES))]


class _Task:
    """Picklable task function: simulate and analyse one block of replicates in every scenario.

    The block's virtual patients are enrolled once and followed under every scenario
    (common random numbers across scenarios and designs).
    """

    def __init__(self, loaded: LoadedStudy, replicates: int, designs: list[Design], effects: dict[str, float],
                 offsets: np.ndarray | None = None) -> None:
        self.loaded, self.replicates, self.designs, self.effects = loaded, replicates, designs, effects
        self.offsets = np.zeros(0) if offsets is None else offsets

    def __call__(self, key: str) -> list[dict[str, dict[str, dict[str, np.ndarray] | str]]]:
        from trialsim.analysis.drift import drift_sweep
        from trialsim.analysis.engines import analyze_batch

        sweep = set(sweep_scenarios(self.loaded.spec)) if self.offsets.size else set()

        block = int(key[1:])
        reps = range(block * BLOCK_REPLICATES, min((block + 1) * BLOCK_REPLICATES, self.replicates))
        simulator = select_simulator(self.loaded.spec.simulator)
        enrolments: dict[tuple[object, ...], object] = {}
        per_scenario = []
        for scenario in self.loaded.spec.scenarios:
            batches = simulate_replicates(
                self.loaded, scenario=scenario, designs=self.designs, replicates=reps,
                simulator=simulator, effect=self.effects[scenario.name], enrolments=enrolments,  # type: ignore[arg-type]
            )
            out: dict[str, dict[str, dict[str, np.ndarray] | str]] = {}
            for design, batch in batches.items():
                for which in ANALYSES:
                    spec = analysis_for(design, self.loaded.spec, which)
                    res = analyze_batch(batch, analysis=spec, decision=self.loaded.spec.decision, n_external=design.n_synthetic)
                    arrays = {f: np.asarray(getattr(res, f)) for f in FIELDS}
                    out.setdefault(design.label, {})[which] = {**arrays, **diagnostics_of(res, len(reps))}
                    out[design.label][f"{which}_method"] = res.method
                    if which == "primary" and scenario.name in sweep:
                        prob = (np.repeat(res.prob_success[:, None], self.offsets.size, axis=1) if design.n_synthetic == 0
                                else drift_sweep(batch, analysis=spec, decision=self.loaded.spec.decision,
                                                 offsets=self.offsets, n_external=design.n_synthetic))
                        out[design.label]["drift"] = {"prob_success": prob}
            per_scenario.append(out)
        return per_scenario


def run_study(
    loaded: LoadedStudy,
    *,
    replicates: int | None = None,
    workers: int = 1,
    scheduler: str | None = None,
    checkpoint: Path | None = None,
    quiet: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
) -> StudyRun:
    """Simulate and analyse every scenario × design of a study.

    Examples
    --------
    >>> from trialsim.spec.loading import load_study
    >>> run = run_study(load_study("studies/pd_gait_speed_phase2.yaml"), replicates=20)  # doctest: +SKIP
    """
    study = loaded.spec
    check_study(loaded)
    r = replicates if replicates is not None else study.replicates
    check_resources(study, r)
    started = time.perf_counter()
    designs = candidate_designs(study)
    simulator = select_simulator(study.simulator)
    effects = {s.name: true_effect(loaded, scenario=s, simulator=simulator) for s in study.scenarios}
    variance = variance_components(loaded, simulator=simulator)
    offsets = drift_offsets(study, sd_change=variance["sd_change"]) if sweeps_drift(study) else np.zeros(0)
    keys = _task_keys(r)
    results = run_tasks(
        keys, _Task(loaded, r, designs, effects, offsets), workers=workers, scheduler=scheduler,
        checkpoint=checkpoint, description="simulating trials", quiet=quiet, on_progress=on_progress,
    )
    per_replicate: dict[tuple[str, str], np.ndarray] = {
        (which, f): np.full((len(study.scenarios), len(designs), r), np.nan)
        for which in ANALYSES for f in (*FIELDS, *DIAGNOSTICS)
    }
    methods: dict[str, str] = {}
    swept = sweep_scenarios(study) if offsets.size else []
    drift_prob = {name: np.full((len(designs), r, offsets.size), np.nan) for name in swept}
    for key, per_scenario in results.items():
        b = int(key[1:])
        sl = slice(b * BLOCK_REPLICATES, min((b + 1) * BLOCK_REPLICATES, r))
        for (s, value), (d, design) in product(enumerate(per_scenario), enumerate(designs)):
            entry = value[design.label]
            for which in ANALYSES:
                arrays = entry[which]
                assert isinstance(arrays, dict)
                for f in (*FIELDS, *DIAGNOSTICS):
                    if f in arrays:
                        per_replicate[(which, f)][s, d, sl] = arrays[f]
                methods[f"{which}:{design.label}"] = str(entry[f"{which}_method"])
            name = study.scenarios[s].name
            if name in drift_prob:
                swept_arrays = entry["drift"]
                assert isinstance(swept_arrays, dict)
                drift_prob[name][d, sl] = swept_arrays["prob_success"]
    provenance = {**simulator.provenance(), **speed_effect_provenance(loaded.cohort, simulator)}
    if study.analysis.prognostic_model == "digital_twin":
        from trialsim.trial.prognostic_twins import generator_for_twins

        twin_source = generator_for_twins(simulator).provenance()
        provenance["twin_checkpoint_sha256"] = twin_source["checkpoint_sha256"]
        provenance["twin_library_sha256"] = twin_source["library_sha256"]
    return StudyRun(
        loaded=loaded, replicates=r, designs=designs, scenarios=list(study.scenarios),
        true_effects=effects, per_replicate=per_replicate, methods=methods,
        simulator_provenance=provenance, wall_time_s=time.perf_counter() - started,
        drift_offsets=offsets, drift_prob=drift_prob, variance=variance,
    )
