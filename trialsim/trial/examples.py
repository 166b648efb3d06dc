"""Patient-level data of a few simulated trials and a baseline cohort sample, for reports and the dashboard."""

from __future__ import annotations

import numpy as np
import xarray as xr

from trialsim.generative.protocol import GaitSimulator
from trialsim.spec.loading import LoadedStudy
from trialsim.spec.names import GAIT_MEASURES
from trialsim.spec.study import ScenarioSpec
from trialsim.trial.enrolment import enrol
from trialsim.trial.simulate import Design, simulate_replicates


def example_trials(
    loaded: LoadedStudy, *, scenario: ScenarioSpec, design: Design, simulator: GaitSimulator,
    effect: float, n_trials: int = 3,
) -> xr.Dataset:
    """Replicates ``0 .. n_trials-1`` of ``design`` (the same ones the run analysed), patient by visit."""
    batch = simulate_replicates(
        loaded, scenario=scenario, designs=[design], replicates=range(n_trials), simulator=simulator, effect=effect,
    )[design]
    sign = 1.0 if loaded.spec.endpoint.better == "higher" else -1.0
    ds = xr.Dataset(
        {
            "outcome": (("trial", "patient", "visit"), sign * batch.outcome),
            "arm": (("trial", "patient"), batch.arm),
            "prognostic_score": (("trial", "patient"), sign * batch.prognostic_score),
            **{k: (("trial", "patient"), v) for k, v in batch.covariates.items()},
        },
        coords={"trial": np.arange(n_trials), "patient": np.arange(batch.n_patients), "visit": batch.visits_weeks},
    )
    if batch.external_outcome is not None:
        ds["synthetic_outcome"] = (("trial", "synthetic_patient", "visit"), sign * batch.external_outcome)
    ds.attrs.update({"scenario": scenario.name, "design": design.label, "endpoint": loaded.spec.endpoint.measure})
    return ds


def baseline_sample(loaded: LoadedStudy, *, simulator: GaitSimulator, n: int = 500) -> xr.Dataset:
    """Baseline covariates and gait of ``n`` eligible patients (for comparison with norms)."""
    e = enrol(loaded.cohort, n=n, seed=loaded.spec.seed, key=("baseline_sample",), simulator=simulator)
    data = {**e.candidates.covariates, **e.candidates.severity, **{k: e.baseline_gait[k] for k in GAIT_MEASURES}}
    ds = xr.Dataset({k: ("patient", np.asarray(v, dtype=float)) for k, v in data.items()}, coords={"patient": np.arange(n)})
    ds.attrs.update({"cohort": loaded.cohort.name, "condition": loaded.cohort.condition, "screen_failure_rate": e.screen_failure_rate})
    return ds
