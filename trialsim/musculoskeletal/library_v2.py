"""Simulation library v2: one free-speed solve per body, warm-started from its nearest neighbour.

Every body walks at the speed it chooses (:mod:`.free_speed`: energy and time per
metre), so ``speed_source`` is ``self_selected``; imposed-speed siblings of a subset
of bodies (``speed_source = imposed``) show how the same body's gait changes with
speed (dose–response, cross-checks).

Design
------
A scrambled Sobol sequence per phenotype, interleaved by a fixed 20-slot pattern
weighted toward the clinical phenotypes (healthy 5, Parkinson's 5, cerebral palsy 4,
stroke 3, broad 3), so a longer library extends a shorter one. Ranges and sources:

- ``healthy``: adults 20–85 y, strength 0.8–1.2 per group; vigour 0.8–1.2 (people
  differ in how they value time: Carlisle & Kuo 2023, eLife 12:e81939).
- ``parkinsons``: 55–85 y; vigour 0.5–1.0 (reduced vigour, Mazzoni, Hristova &
  Krakauer 2007, J Neurosci 27:7105); lead-pipe joint rigidity 0–2.5 units of the
  mean PD–control difference of Wright et al. 2007 (Exp Brain Res, axial
  hypertonicity; :func:`.model._add_rigidity`); bradykinesia as slower activation
  ×1.1–2.0; neural drive 0.75–1.0; mild weakness 0.75–1.0; passive muscle stiffness
  only 1.0–1.3 (Tan et al. 2016, Mov Disord: PD muscle is not stiffer; v1's global
  stiffness 1.2–2.5 abolished knee flexion, r −0.90).
- ``cerebral_palsy``: children and young adults 6–25 y, 1.10–1.75 m; contracture of
  knee flexors, plantar flexors (fibre length 0.7–1.0) and hip flexors (0.8–1.0);
  weakness 0.5–0.9; stiffer passive muscle 1.0–1.8 (altered muscle–tendon
  properties explained crouch better than spasticity: Falisse et al. 2020, Front Hum
  Neurosci 14:40). Velocity-dependent stretch reflexes (Falisse 2018) are NOT
  modelled; the stiffer passive fibres stand in for the tone they add.
- ``stroke``: 45–85 y; unilateral (left) weakness 0.3–0.8 of every group (paretic knee
  extensors 0.73 of the other side on average, Watanabe 2015), neural drive 0.8–1.0,
  vigour 0.6–1.0, slower activation ×1.0–1.5; full-cycle solves.
- ``broad``: every core parameter over a walking-compatible range.

Warm start, deterministic whatever the worker count: a sample starts from the converged
solution of its nearest neighbour (parameters scaled by their registry ranges) among
*earlier batches* of :data:`BATCH_SIZE` in design order, of the same cycle type (half or
full), or from the shipped nominal solution when there is none, so the guess of every
sample is fixed by the design alone. A sample starts as soon as its neighbour is
settled (:class:`.library_warm_start.StartPlan`), not when its whole batch may: no
barrier between batches, and every worker of a cluster busy. Solves are limited by
iterations (deterministic), the wall-clock timeout is only a safety net.
"""

from __future__ import annotations

import json
import logging
import math
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from trialsim.errors import InputFileError
from trialsim.musculoskeletal.library import (
    SimulationLibrary,
    _atomic_write,
    _refuse_other_settings,
    consolidate,
    load_library,
    run_sample,
    sample_id,
    solution_path,
)
from trialsim.musculoskeletal.library_design import body_params
from trialsim.musculoskeletal.library_warm_start import StartPlan
from trialsim.physiology.parameters import MUSCLE_GROUPS

log = logging.getLogger(__name__)

BodySolveFn = Callable[[dict[str, Any], dict[str, Any], float, str, "str | None"], dict[str, Any]]

#: 3: the free-speed objective adds head-arms-trunk stability (``free_speed.TRUNK_STABILITY_WEIGHT``);
#: 2: without it (``trialsim/data/library_v2``, the v2 generator's training set, read-only now)
LIBRARY_VERSION = 3
PATTERN = ("healthy", "parkinsons", "cerebral_palsy", "stroke", "healthy", "parkinsons", "broad",
           "cerebral_palsy", "healthy", "parkinsons", "stroke", "cerebral_palsy", "broad", "healthy",
           "parkinsons", "cerebral_palsy", "stroke", "healthy", "parkinsons", "broad")
_STRENGTH = [f"strength_{g}" for g in MUSCLE_GROUPS]
PHENOTYPES: dict[str, dict[str, tuple[float, float]]] = {
    "healthy": {"height_m": (1.50, 1.95), "bmi": (19.0, 29.0), "age_years": (20.0, 85.0),
                "vigour": (0.8, 1.2), **{s: (0.8, 1.2) for s in _STRENGTH}},
    "parkinsons": {"height_m": (1.50, 1.90), "bmi": (20.0, 30.0), "age_years": (55.0, 85.0),
                   "vigour": (0.5, 1.0), "joint_rigidity": (0.0, 2.5), "activation_time_scale": (1.1, 2.0),
                   "neural_drive": (0.75, 1.0), "strength_all": (0.75, 1.0), "passive_stiffness": (1.0, 1.3)},
    "cerebral_palsy": {"height_m": (1.10, 1.75), "bmi": (15.0, 23.0), "age_years": (6.0, 25.0),
                       "vigour": (0.8, 1.1), "fiber_length_knee_flexors": (0.7, 1.0),
                       "fiber_length_plantarflexors": (0.7, 1.0), "fiber_length_hip_flexors": (0.8, 1.0),
                       "strength_all": (0.5, 0.9), "passive_stiffness": (1.0, 1.8)},
    "stroke": {"height_m": (1.55, 1.90), "bmi": (20.0, 30.0), "age_years": (45.0, 85.0),
               "vigour": (0.6, 1.0), "strength_all_l": (0.3, 0.8), "neural_drive": (0.8, 1.0),
               "activation_time_scale": (1.0, 1.5)},
    "broad": {"height_m": (1.30, 1.95), "bmi": (17.0, 30.0), "age_years": (10.0, 85.0),
              "vigour": (0.6, 1.2), "joint_rigidity": (0.0, 2.0), "neural_drive": (0.7, 1.0),
              "passive_stiffness": (1.0, 1.8), "activation_time_scale": (1.0, 1.8),
              **{s: (0.6, 1.2) for s in _STRENGTH}, **{f"fiber_length_{g}": (0.85, 1.05) for g in MUSCLE_GROUPS}},
}
#: library v2 solver settings: mesh 20, tolerance 1e-2 as v1 (BENCHMARKS: measures within
#: 1.3 % of mesh 25 / 1e-3); the iteration cap, not the clock, ends a hopeless solve
LIBRARY_SETTINGS: dict[str, Any] = {"mesh_intervals": 20, "tolerance": 1e-2, "max_iterations": 600}
BATCH_SIZE = 8
#: imposed-speed siblings: factors of the body's own self-selected speed
SIBLING_FACTORS = (0.8, 1.2)
SIBLING_PHENOTYPES = ("healthy", "parkinsons", "cerebral_palsy")
SIBLING_INDEX_BASE = 100_000


def design(n: int, *, seed: int = 0) -> list[dict[str, Any]]:
    """The first ``n`` bodies of the v2 design: ``{"index", "phenotype", "params", "id"}``."""
    from scipy.stats import qmc

    counts = Counter(PATTERN[i % len(PATTERN)] for i in range(n))
    points = {}
    for k, (name, ranges) in enumerate(PHENOTYPES.items()):
        if counts[name]:
            sobol = qmc.Sobol(len(ranges), scramble=True, seed=np.random.default_rng([seed, 2, k]))
            points[name] = sobol.random_base2(max(1, math.ceil(math.log2(counts[name]))))[: counts[name]]
    used: Counter[str] = Counter()
    samples = []
    for i in range(n):
        name = PATTERN[i % len(PATTERN)]
        u = points[name][used[name]]
        used[name] += 1
        values = {key: lo + float(x) * (hi - lo) for (key, (lo, hi)), x in zip(PHENOTYPES[name].items(), u, strict=True)}
        params = body_params(values)
        samples.append({"index": i, "phenotype": name, "params": params, "speed_m_s": None,
                        "id": body_id(params)})
    return samples


def body_id(params: dict[str, float], speed_m_s: float | None = None) -> str:
    """sha256 of a v2 solve's inputs (``None`` speed = self-selected)."""
    return sample_id(params, -1.0 if speed_m_s is None else speed_m_s, {"library_version": LIBRARY_VERSION})


def build_library_v2(
    out_dir: str | Path,
    *,
    n: int,
    workers: int = 1,
    scheduler_address: str | None = None,
    seed: int = 0,
    timeout_s: float = 1800.0,
    settings: dict[str, Any] | None = None,
    speed_siblings: int = 0,
    quiet: bool = True,
    solve_fn: BodySolveFn | None = None,
) -> SimulationLibrary:
    """Run (or resume) the first ``n`` v2 bodies, batch by batch, then ``speed_siblings`` bodies'
    imposed-speed siblings (0.8 and 1.2 × their own speed, warm-started from their own solution).

    ``solve_fn(sample, settings, timeout_s, out_dir, solution_file)`` replaces the real
    solve (:func:`solve_body`) in tests; the sample carries its ``guess_id``.

    Examples
    --------
    >>> lib = build_library_v2("runs/lib2", n=16, workers=2)  # doctest: +SKIP
    """
    from trialsim.execution.tasks import RUN, SKIP, WAIT, run_as_ready

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    settings = dict(LIBRARY_SETTINGS if settings is None else settings)
    _refuse_other_version(out)
    _refuse_other_settings(out, settings)
    samples = design(n, seed=seed)
    _atomic_write(out / "design.json", json.dumps({"library_version": LIBRARY_VERSION, "seed": seed, "n": n,
                                                   "objective": objective_settings(),
                                                   "speed_siblings": speed_siblings, "settings": settings,
                                                   "timeout_s": timeout_s, "batch_size": BATCH_SIZE,
                                                   "samples": samples}))
    records = _records_by_id(out)
    plan = StartPlan(samples, records, BATCH_SIZE)
    by_key = {s["id"]: s for s in samples}
    sibling_bodies = [s for s in samples if s["phenotype"] in SIBLING_PHENOTYPES][:speed_siblings]
    sibling_keys = {f"sibling-{rank}-{j}": (rank, body, j) for rank, body in enumerate(sibling_bodies)
                    for j in range(len(SIBLING_FACTORS))}

    def ready(key: str) -> tuple[str, Any]:
        if key in by_key:
            sample = by_key[key]
            if key in records:
                return SKIP, None
            settled, guess_id = plan.guess(sample)
            return (RUN, {**sample, "guess_id": guess_id}) if settled else (WAIT, None)
        rank, body, j = sibling_keys[key]
        parent = records.get(body["id"])
        if parent is None:
            return WAIT, None
        if not parent.get("success"):
            return SKIP, None
        sibling = _sibling(rank, body, j, float(parent["speed_m_s"]))
        return (SKIP, None) if sibling["id"] in records else (RUN, sibling)

    landed = []

    def on_result(key: str, record: dict[str, Any]) -> None:
        records[record["id"]] = record
        landed.append(key)
        if len(landed) % BATCH_SIZE == 0:
            consolidate(out)

    run_as_ready([s["id"] for s in samples] + list(sibling_keys), ready, _BodyTask(str(out), settings, timeout_s, solve_fn),
                 on_result=on_result, workers=workers, scheduler=scheduler_address, description="library bodies",
                 quiet=quiet)
    consolidate(out)
    return load_library(out)


def objective_settings() -> dict[str, float]:
    """The free-speed objective's constants this library version is solved with (``design.json``)."""
    from trialsim.musculoskeletal import free_speed

    return {"time_cost_w_kg": free_speed.TIME_COST_W_KG, "effort_weight": free_speed.EFFORT_WEIGHT,
            "trunk_stability_weight": free_speed.TRUNK_STABILITY_WEIGHT}


def _refuse_other_version(out: Path) -> None:
    """A folder holds one library version and one objective: other bodies have other ids and optima."""
    path = out / "design.json"
    if not path.is_file():
        return
    try:
        stored = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        raise InputFileError(f"{path}: unreadable JSON; restore it from git or build into a new --out directory") from None
    if not isinstance(stored, dict):
        raise InputFileError(f"{path}: not a library design (a JSON object); build into a new --out directory")
    found = stored.get("library_version", 1)  # v1 folders predate the field
    if found != LIBRARY_VERSION:
        raise InputFileError(
            f"{out}: library_version: the folder holds library v{found}, this build makes v{LIBRARY_VERSION} "
            f"(another objective); build into a new --out directory")
    if "objective" in stored and stored["objective"] != objective_settings():
        raise InputFileError(
            f"{path}: objective: the folder was solved with {stored['objective']}, this code solves with "
            f"{objective_settings()}; build into a new --out directory")


def _sibling(rank: int, body: dict[str, Any], j: int, body_speed_m_s: float) -> dict[str, Any]:
    """The ``j``-th imposed-speed sibling of the ``rank``-th sibling body (warm-started from the body's own solution)."""
    speed = round(body_speed_m_s * SIBLING_FACTORS[j], 4)
    return {"index": SIBLING_INDEX_BASE + len(SIBLING_FACTORS) * rank + j, "phenotype": body["phenotype"],
            "params": body["params"], "speed_m_s": speed, "id": body_id(body["params"], speed),
            "sibling_of": body["index"], "guess_id": body["id"]}


def _records_by_id(out: Path) -> dict[str, dict[str, Any]]:
    records = {}
    for path in sorted((out / "sims").glob("*.json")):
        try:
            rec = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            continue
        records[rec["id"]] = rec
    return records


def solve_body(sample: dict[str, Any], settings: dict[str, Any], timeout_s: float, out_dir: str,
               solution_file: str | None) -> dict[str, Any]:
    """The real v2 solve of one library sample (worker subprocess, hard timeout)."""
    from trialsim.musculoskeletal.runner import run_solve

    guess, guess_height = None, None
    if sample.get("guess_id"):
        path = solution_path(out_dir, sample["guess_id"])
        if path is not None:
            guess = str(path.resolve())
            neighbour = json.loads((Path(out_dir) / "sims" / f"{sample['guess_id']}.json").read_text())
            guess_height = float(neighbour["params"].get("height_m", 1.75))
    request = {"mode": "free_speed", "params": sample["params"], "speed_m_s": sample["speed_m_s"],
               "settings": {**settings, "threads": 1}, "guess": guess, "guess_height_m": guess_height,
               "retrack_on_failure": True, "save_solution": solution_file}
    record = run_solve(request, timeout_s=timeout_s)
    record["guess_id"] = sample.get("guess_id") if guess else None
    record.setdefault("speed_source", "self_selected" if sample["speed_m_s"] is None else "imposed")
    return record


class _BodyTask:
    """Picklable task: solve one v2 sample (its ``guess_id`` set); ``run_sample`` writes its record, returned."""

    def __init__(self, out: str, settings: dict[str, Any], timeout_s: float, solve_fn: BodySolveFn | None = None) -> None:
        self.out, self.settings, self.timeout_s, self.solve_fn = out, settings, timeout_s, solve_fn

    def __call__(self, sample: dict[str, Any]) -> dict[str, Any]:
        body_solve = self.solve_fn or solve_body

        def solve(params: dict[str, float], speed: float, settings: dict[str, Any], timeout_s: float,
                  solution_file: str | None = None) -> dict[str, Any]:
            record = body_solve(sample, settings, timeout_s, self.out, solution_file)
            record.setdefault("guess_id", sample.get("guess_id"))
            record.setdefault("speed_source", "self_selected" if sample["speed_m_s"] is None else "imposed")
            if "sibling_of" in sample:
                record["sibling_of"] = sample["sibling_of"]
            return record

        solve.saves_solution = True  # type: ignore[attr-defined]
        result = run_sample(sample, self.out, self.settings, self.timeout_s, solve)
        log.info("body %s done success=%s", sample["id"], result.get("success"))
        # the record as written, read where it was written (a cluster's shared disk may lag elsewhere)
        record: dict[str, Any] = json.loads((Path(self.out) / "sims" / f"{sample['id']}.json").read_text())
        return record
