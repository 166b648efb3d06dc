"""Virtual patients: candidates → physiology → baseline gait → screening."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from trialsim.errors import TrialsimError
from trialsim.generative.protocol import GaitSimulator
from trialsim.physiology.disease import map_to_parameters
from trialsim.population.criteria import eligible
from trialsim.population.sampling import BLOCK, Candidates, draw_candidates
from trialsim.seeding import stream
from trialsim.spec.cohort import CohortSpec
from trialsim.trial.speed_effect import SPEED_EFFECT_KEY, speed_effect_for, speed_effect_provenance

MAX_SCREENED_PER_ENROLLED = 50


@dataclass(frozen=True)
class Enrolled:
    """Patients who passed screening, as arrays (one entry per patient)."""

    candidates: Candidates
    params: dict[str, np.ndarray]
    baseline_gait: dict[str, np.ndarray]
    screened: int

    @property
    def n(self) -> int:
        return len(self.candidates.index)

    @property
    def screen_failure_rate(self) -> float:
        return 1.0 - self.n / self.screened if self.screened else 0.0

    def subset(self, mask: np.ndarray) -> Enrolled:
        """The patients a boolean mask or an ascending index array selects, in enrolment order."""
        return Enrolled(
            _take(self.candidates, mask),
            {k: v[mask] for k, v in self.params.items()},
            {k: v[mask] for k, v in self.baseline_gait.items()},
            self.screened,
        )


def _take(c: Candidates, mask: np.ndarray) -> Candidates:
    return Candidates(
        index=c.index[mask],
        covariates={k: v[mask] for k, v in c.covariates.items()},
        severity={k: v[mask] for k, v in c.severity.items()},
        noise={k: v[mask] for k, v in c.noise.items()},
        paretic_side=c.paretic_side[mask],
        progression_z=c.progression_z[mask],
        responder_u=c.responder_u[mask],
        speed_effect_z=c.speed_effect_z[mask],
    )


def _concat(parts: list[Candidates]) -> Candidates:
    first = parts[0]
    return Candidates(
        index=np.concatenate([p.index for p in parts]),
        covariates={k: np.concatenate([p.covariates[k] for p in parts]) for k in first.covariates},
        severity={k: np.concatenate([p.severity[k] for p in parts]) for k in first.severity},
        noise={k: np.concatenate([p.noise[k] for p in parts]) for k in first.noise},
        paretic_side=np.concatenate([p.paretic_side for p in parts]),
        progression_z=np.concatenate([p.progression_z for p in parts]),
        responder_u=np.concatenate([p.responder_u for p in parts]),
        speed_effect_z=np.concatenate([p.speed_effect_z for p in parts]),
    )


def patient_parameters(cohort: CohortSpec, c: Candidates, *, noise: bool = True) -> dict[str, np.ndarray]:
    """Musculoskeletal parameters of candidates (``noise=False``: the typical patient)."""
    return map_to_parameters(
        c.covariates, condition=cohort.condition, severity=c.severity,
        patient_noise=c.noise if noise else None, paretic_side=c.paretic_side,
    )


def enrol(
    cohort: CohortSpec, *, n: int, seed: int, key: tuple[object, ...], simulator: GaitSimulator,
    age_shift_years: float = 0.0,
) -> Enrolled:
    """Screen candidates in order until ``n`` are eligible (candidate *i* never changes).

    On a simulator with a per-body speed effect, each candidate's persistent effect
    (:mod:`trialsim.trial.speed_effect`) is part of its parameters (``speed_effect_z``).

    Raises
    ------
    TrialsimError
        When fewer than 1 in ``MAX_SCREENED_PER_ENROLLED`` candidates pass screening.
    """
    parts, params_parts, gait_parts = [], [], []
    found = screened = 0
    batch = BLOCK  # fixed, aligned batches: candidate i's baseline-day noise never depends on n
    effect = speed_effect_for(cohort, simulator)
    while found < n:
        if screened > MAX_SCREENED_PER_ENROLLED * max(n, 1):
            raise TrialsimError(
                f"cohort {cohort.name}: inclusion/exclusion: fewer than 1 in {MAX_SCREENED_PER_ENROLLED} "
                "virtual patients are eligible; widen the criteria"
            )
        c = draw_candidates(cohort, seed=seed, key=key, start=screened, count=batch, age_shift_years=age_shift_years)
        params = patient_parameters(cohort, c)
        if effect is not None:
            params[SPEED_EFFECT_KEY] = effect.of(c.speed_effect_z)
        gait = simulator.simulate(params, rng=stream(seed, *key, "baseline_day", screened))
        columns = {**c.covariates, **c.severity, **gait}
        mask = eligible(columns, cohort)
        idx = np.flatnonzero(mask)[: n - found]
        if len(idx):
            take = np.zeros(len(mask), dtype=bool)
            take[idx] = True
            parts.append(_take(c, take))
            params_parts.append({k: v[take] for k, v in params.items()})
            gait_parts.append({k: v[take] for k, v in gait.items()})
        last_used = idx[-1] + 1 if found + len(idx) >= n and len(idx) else batch
        screened += int(last_used)
        found += len(idx)
    enrolled = _concat(parts)
    params_all = {k: np.concatenate([p[k] for p in params_parts]) for k in params_parts[0]}
    gait_all = {k: np.concatenate([g[k] for g in gait_parts]) for k in gait_parts[0]}
    return Enrolled(enrolled, params_all, gait_all, screened)


def sample_cohort(
    cohort: CohortSpec, *, n: int, seed: int, simulator: GaitSimulator
) -> pd.DataFrame:
    """Sample ``n`` eligible virtual patients as a table.

    Columns: ``patient_id``, ``condition``, covariates, severity (by clinical scale),
    musculoskeletal parameters (with ``speed_effect_z``, the patient's speed effect, on the
    generator) and baseline gait measures. ``df.attrs`` holds the screen-failure rate and
    the simulator's provenance (with the speed effect's ``shift`` and ``scale``).

    Examples
    --------
    >>> from trialsim.generative.reference import ReferenceGaitModel
    >>> from trialsim.spec.loading import load_shipped_cohort
    >>> df = sample_cohort(load_shipped_cohort("healthy_older"), n=5, seed=1,
    ...                    simulator=ReferenceGaitModel())  # doctest: +SKIP
    """
    if n < 1:
        raise TrialsimError(f"--n: {n} patients asked for; give at least 1")
    e = enrol(cohort, n=n, seed=seed, key=("cohort",), simulator=simulator)
    c = e.candidates
    table: dict[str, object] = {"patient_id": c.index.astype(np.int64), "condition": cohort.condition}
    table.update(c.covariates)
    table.update(c.severity)
    if cohort.condition == "stroke":
        table["paretic_side"] = np.where(c.paretic_side == 0, "left", "right")
    table.update(e.params)
    table.update(e.baseline_gait)
    df = pd.DataFrame(table)
    df.attrs["screen_failure_rate"] = e.screen_failure_rate
    df.attrs["screened"] = e.screened
    provenance = {**simulator.provenance(), **speed_effect_provenance(cohort, simulator)}
    df.attrs.update({f"provenance_{k}": v for k, v in provenance.items()})
    return df
