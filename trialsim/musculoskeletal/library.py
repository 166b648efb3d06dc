"""Simulation library: many patients' gait solves, cached, resumable, consolidated.

Design
------
A scrambled Sobol sequence per phenotype (scipy.stats.qmc), interleaved by a fixed
20-slot pattern so that a longer library extends a shorter one (same seed → the
first N samples are always the same). Phenotypes and their ranges:

- ``healthy`` (6/20): near nominal (strength 0.8–1.2, no contracture);
- ``parkinsons`` (4/20): neural drive 0.6–0.95, passive stiffness 1.2–2.5,
  activation time ×1.2–2.2, age 55–85, mild weakness (Zanardi 2021 direction:
  slower, shorter steps);
- ``cerebral_palsy`` (3/20): contracture of knee flexors / plantar flexors / hip
  flexors (fibre length 0.7–1.0; Park 2022 range), weakness 0.4–0.9, stiffer
  passive muscle, smaller bodies (1.2–1.8 m, 8–30 y);
- ``stroke`` (3/20): unilateral (left) weakness 0.3–0.8 of every group, solved
  over a full cycle so the sides can differ;
- ``broad`` (4/20): every core parameter over a walking-compatible range.

Each sample also carries the imposed average speed (factor × 1.2 m/s × H/1.75);
cost of transport is recorded so that a patient's self-selected speed can be
found as the minimum of cost of transport over speed.

Speed siblings (``speed_siblings=K``): one solve shows one body at one speed, so how
the cost-of-transport curve over speed bends with strength or stiffness is barely
identified by independent bodies. The first K design samples of the phenotypes in
:data:`SIBLING_PHENOTYPES` are therefore also solved at two more speeds: the
physics' own speed-search factors (0.8, 1.0, 1.2 × centre, :data:`SPEED_FACTORS`)
less the one nearest the sample's own factor. Each such body then has three speeds,
and its physics self-selected speed is the parabola minimum of its cost of transport
(:func:`~trialsim.musculoskeletal.measures.minimum_cost_speed`), the same rule as
``physics simulate`` without a speed. Siblings extend the design (indices from
:data:`SIBLING_INDEX_BASE`) and never change a base sample.

Solver settings: mesh 20, IPOPT convergence tolerance 1e-2 (constraint tolerance
1e-3), at most 500 iterations. Measured on two library samples against mesh 25 /
tolerance 1e-3: stride length, cadence, stance %, knee swing peak and peak
plantar-flexion moment moved ≤ 1.3 % (≤ 4 % for the moment) while a solve took
77 s instead of 368 s. Every record carries its ``settings`` (records without them
were made with mesh 25 / 1e-3 / 1,000 iterations, :data:`LEGACY_SETTINGS`; the
shipped library was rebuilt without any).

Storage (``DIR``): ``design.json`` (the full design), ``sims/<sha256>.json`` (one
record per solve, keyed by the hash of its inputs, written atomically),
``solutions/<sha256>.sto.gz`` (the Moco solution itself, so that derived measures
can be recomputed without solving again), ``metabolics/<sha256>.json`` (the muscle
metabolic cost computed once from that solution, :mod:`.metabolics`),
``simulations.parquet`` (one row per sim: inputs, measures, status) and
``curves.parquet`` (one row per sim and gait-cycle point, one column per curve).
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from trialsim.errors import InputFileError, SimulationError
from trialsim.musculoskeletal.library_design import (  # noqa: F401  (the design, split off; re-exported)
    LIBRARY_VERSION,
    PATTERN,
    PHENOTYPES,
    SIBLING_INDEX_BASE,
    SIBLING_PHENOTYPES,
    design,
    sample_id,
)
from trialsim.physiology.parameters import PARAMETERS

log = logging.getLogger(__name__)

SolveFn = Callable[..., dict[str, Any]]  # (params, speed_m_s, settings, timeout_s[, solution_path])

#: library solver settings (see the module docstring for what they cost and change)
LIBRARY_SETTINGS: dict[str, Any] = {"mesh_intervals": 20, "tolerance": 1e-2, "max_iterations": 500}
#: settings of the records written before ``settings`` was stored in each record
LEGACY_SETTINGS: dict[str, Any] = {"mesh_intervals": 25, "tolerance": 1e-3, "max_iterations": 1000}
#: version of the cached ``metabolics/<id>.json`` (bump when the metabolic model changes)
METABOLICS_VERSION = 1
METABOLIC_COLUMNS = ("metabolic_power_w_kg", "metabolic_cost_of_transport_j_kg_m")


def default_solve(params: dict[str, float], speed_m_s: float, settings: dict[str, Any], timeout_s: float,
                  solution_path: str | None = None) -> dict[str, Any]:
    """The real physics solve (one thread, in a worker subprocess with a hard timeout)."""
    from trialsim.musculoskeletal.simulation import simulate_gait

    sim = simulate_gait(params, speed_m_s=speed_m_s, route="v1", timeout_s=timeout_s, threads=1,
                        save_solution=solution_path, **settings)
    return sim.to_record()


def run_sample(sample: dict[str, Any], out_dir: str, settings: dict[str, Any], timeout_s: float,
               solve_fn: SolveFn | None = None) -> dict[str, Any]:
    """Solve one design sample unless cached; write ``sims/<id>.json`` atomically. Returns a summary."""
    path = Path(out_dir) / "sims" / f"{sample['id']}.json"
    if path.exists():
        return {"id": sample["id"], "cached": True}
    solution = Path(out_dir) / "solutions" / f"{sample['id']}.sto"
    solution.parent.mkdir(parents=True, exist_ok=True)
    try:
        if solve_fn is None:
            record = default_solve(sample["params"], sample["speed_m_s"], settings, timeout_s, str(solution.resolve()))
        elif getattr(solve_fn, "saves_solution", False):  # a real solve that keeps its Moco solution
            record = solve_fn(sample["params"], sample["speed_m_s"], settings, timeout_s, str(solution.resolve()))
        else:
            record = solve_fn(sample["params"], sample["speed_m_s"], settings, timeout_s)
    except Exception as exc:  # a failed solve is recorded, never dropped
        record = {"success": False, "status": "Error", "failure_reason": f"{type(exc).__name__}: {exc}",
                  "objective": math.nan, "iterations": 0, "wall_time_s": math.nan, "measures": {}, "curves": {}}
    try:
        if record.get("success"):
            _gzip_solution(solution)
        else:  # a killed worker can leave a partial file: keep solutions of converged solves only
            solution.unlink(missing_ok=True)
    except OSError as exc:  # the record matters more than the kept solution
        log.warning("could not keep the solution of %s: %s", sample["id"], exc)
    # a self-selected speed (sample speed None) is the solve's output, kept from the record
    speed = sample["speed_m_s"] if sample["speed_m_s"] is not None else record.get("speed_m_s")
    record.update(id=sample["id"], index=sample["index"], phenotype=sample["phenotype"],
                  params=sample["params"], speed_m_s=speed, settings=settings)
    if "sibling_of" in sample:
        record["sibling_of"] = sample["sibling_of"]
    _atomic_write(path, json.dumps(record, allow_nan=True, separators=(",", ":")))
    return {"id": sample["id"], "cached": False, "success": bool(record.get("success"))}


def _gzip_solution(path: Path) -> None:
    """Compress a written Moco solution to ``<id>.sto.gz`` (atomically); absent → nothing."""
    import gzip

    if not path.exists():
        return
    tmp = path.with_name(f".{path.name}.gz.tmp")
    with open(path, "rb") as src, open(tmp, "wb") as raw, \
            gzip.GzipFile(filename="", mode="wb", compresslevel=9, fileobj=raw, mtime=0) as dst:
        dst.write(src.read())
    tmp.replace(path.with_name(path.name + ".gz"))
    path.unlink()


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    tmp.replace(path)


def build_library(
    out_dir: str | Path,
    *,
    n: int,
    workers: int = 1,
    scheduler_address: str | None = None,
    seed: int = 0,
    timeout_s: float = 600.0,
    settings: dict[str, Any] | None = None,
    solve_fn: SolveFn | None = None,
    quiet: bool = True,
    speed_siblings: int = 0,
) -> SimulationLibrary:
    """Run (or resume) the first ``n`` design samples (and ``speed_siblings`` bodies' extra
    speeds, see :func:`design`) and consolidate the library.

    Finished samples (``sims/<id>.json``) are skipped, so a killed build resumes.
    Work goes through the shared execution layer (:func:`trialsim.execution.tasks.run_tasks`):
    ``workers <= 1`` solves one sample at a time from this process (each solve still
    runs in its own worker subprocess with a hard timeout); otherwise a Dask
    ``LocalCluster`` with ``workers`` single-threaded worker processes, or the
    cluster at ``scheduler_address``.

    Examples
    --------
    >>> lib = build_library("runs/lib", n=20, workers=2)  # doctest: +SKIP
    >>> library_status("runs/lib")["done"]  # doctest: +SKIP
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    samples = design(n, seed=seed, speed_siblings=speed_siblings)
    settings = dict(LIBRARY_SETTINGS if settings is None else settings)
    _refuse_other_settings(out, settings)
    _atomic_write(out / "design.json", json.dumps({"seed": seed, "n": n, "speed_siblings": speed_siblings,
                                                   "settings": settings, "timeout_s": timeout_s,
                                                   "samples": samples}))
    pending = [s for s in samples if not (out / "sims" / f"{s['id']}.json").exists()]
    log.info("library %s: %d samples, %d pending", out, len(samples), len(pending))
    if pending:
        from trialsim.execution.tasks import run_tasks

        task = _SampleTask({s["id"]: s for s in pending}, str(out), settings, timeout_s, solve_fn)

        def checkpoint_every_five(done: int, total: int) -> None:
            if done % 5 == 0:
                consolidate(out)

        run_tasks([s["id"] for s in pending], task, workers=workers, scheduler=scheduler_address,
                  description="simulating gaits", quiet=quiet, on_progress=checkpoint_every_five)
    consolidate(out)
    return load_library(out)


def _refuse_other_settings(out: Path, settings: dict[str, Any]) -> None:
    """Sample ids do not hash the solver settings: one directory holds one set of settings.

    ``ipopt_options`` count too: they change only IPOPT's path, yet that moved the nominal
    body's stance by 1.25 points (BENCHMARKS.md, physics, session 10)."""
    for record in _records(out):
        made_with = record.get("settings") or LEGACY_SETTINGS
        if {k: made_with.get(k) for k in settings} != settings:
            raise InputFileError(
                f"{out}: settings: its simulations were solved with {made_with}, not {settings}; "
                "build into a new --out directory (or use the same settings)"
            )


class _SampleTask:
    """Picklable task: solve one design sample by id (``run_sample`` writes its record)."""

    def __init__(self, samples: dict[str, dict[str, Any]], out: str, settings: dict[str, Any],
                 timeout_s: float, solve_fn: SolveFn | None) -> None:
        self.samples, self.out, self.settings, self.timeout_s, self.solve_fn = samples, out, settings, timeout_s, solve_fn

    def __call__(self, key: str) -> dict[str, Any]:
        result = run_sample(self.samples[key], self.out, self.settings, self.timeout_s, self.solve_fn)
        log.info("sim %s done success=%s", key, result.get("success"))
        return result


def _records(out: Path) -> list[dict[str, Any]]:
    records = []
    for path in sorted((out / "sims").glob("*.json")):
        try:
            records.append(json.loads(path.read_text()))
        except (OSError, json.JSONDecodeError):
            log.warning("unreadable library record %s", path)
    return records


def consolidate(out_dir: str | Path) -> None:
    """Write ``simulations.parquet`` and ``curves.parquet`` from ``sims/*.json`` (atomic)."""
    out = Path(out_dir)
    sims, curves = _frames(_records(out), out)
    for frame, name in ((sims, "simulations.parquet"), (curves, "curves.parquet")):
        tmp = out / f".{name}.tmp"
        frame.to_parquet(tmp, index=False)
        tmp.replace(out / name)


def _frames(records: list[dict[str, Any]], out: Path | None = None, *, compute: bool = True) -> tuple[Any, Any]:
    import pandas as pd

    rows, curve_frames = [], []
    for r in records:
        row = {"sim_id": r["id"], "design_index": r.get("index"),
               "body_index": r.get("sibling_of", r.get("index")), "phenotype": r.get("phenotype"),
               "speed_target_m_s": r.get("speed_m_s") if r.get("speed_source", "imposed") == "imposed" else math.nan,
               "speed_source": r.get("speed_source", "imposed"), "warm_start_from": r.get("guess_id") or "",
               "success": bool(r.get("success")),
               "status": r.get("status"), "failure_reason": r.get("failure_reason", ""),
               "objective": r.get("objective"), "iterations": r.get("iterations"),
               "wall_time_s": r.get("wall_time_s"), "full_cycle": bool(r.get("full_cycle") or False)}
        solver = r.get("settings") or LEGACY_SETTINGS
        row.update({"mesh_intervals": int(solver.get("mesh_intervals", 25)),
                    "convergence_tolerance": float(solver.get("tolerance", 1e-3))})
        params = {name: p.nominal for name, p in PARAMETERS.items()}
        params.update(r.get("params", {}))
        row.update({f"param_{k}": float(v) for k, v in params.items()})
        row.update({k: (math.nan if v is None else float(v)) for k, v in r.get("measures", {}).items()})
        row["cost_of_transport"] = _cost_of_transport(r)
        row["stride_time_at_bound"] = _at_time_bound(row)
        row.update(_metabolic_cost(out, r, compute=compute))
        rows.append(row)
        if r.get("curves"):
            cf = pd.DataFrame(r["curves"])
            cf.insert(0, "sim_id", r["id"])
            curve_frames.append(cf)
    sims = pd.DataFrame(rows)
    curves = pd.concat(curve_frames, ignore_index=True) if curve_frames else pd.DataFrame({"sim_id": [], "gait_cycle_pct": []})
    if len(sims):
        sims = sims.sort_values("design_index", kind="stable").reset_index(drop=True)
    return sims, curves


def _at_time_bound(row: dict[str, Any]) -> bool:
    """True when the solve's stride time sits on a bound of the problem (within 1 %)."""
    from trialsim.musculoskeletal.reference_kinematics import stride_time_bounds_s

    stride = row.get("stride_time_s")
    if stride is None or not math.isfinite(stride):
        return False
    low, high = stride_time_bounds_s(float(row["param_height_m"]))
    return bool(stride < 1.01 * low or stride > 0.99 * high)


def _cost_of_transport(record: dict[str, Any]) -> float:
    """Recompute cost of transport from the stored curves (one definition across library versions)."""
    from trialsim.musculoskeletal.measures import cost_of_transport

    m, curves = record.get("measures") or {}, record.get("curves") or {}
    try:
        return cost_of_transport({k: np.asarray(v, float) for k, v in curves.items()},
                                 stride_time_s=float(m["stride_time_s"]), speed_m_s=float(m["gait_speed_m_s"]))
    except (KeyError, TypeError, ValueError, IndexError):
        return float(m.get("cost_of_transport", math.nan) or math.nan)


def solution_path(out_dir: str | Path, sim_id: str) -> Path | None:
    """The saved Moco solution of a sim (``solutions/<id>.sto.gz``, else ``.sto``), or None."""
    for suffix in (".sto.gz", ".sto"):
        path = Path(out_dir) / "solutions" / f"{sim_id}{suffix}"
        if path.exists():
            return path
    return None


def _metabolic_cost(out: Path | None, record: dict[str, Any], *, compute: bool = True) -> dict[str, float]:
    """Metabolic power and cost of transport of a successful sim's saved solution; NaN without one.

    Computed once (about a second with OpenSim) and cached in ``metabolics/<id>.json``;
    a computation the solution itself makes fail (OpenSim's RuntimeError, a ValueError)
    is cached too (NaN, with its reason), so consolidation stays cheap; a failure of the
    environment (no OpenSim, a missing function) is logged and not cached. With
    ``compute=False`` only the cache is read.
    """
    values = dict.fromkeys(METABOLIC_COLUMNS, math.nan)
    if "speed_source" in record:  # v2: computed by the solve from its own model (compliant tendons)
        measures = record.get("measures") or {}
        return {k: float(measures.get(k, math.nan) or math.nan) for k in METABOLIC_COLUMNS}
    solution = solution_path(out, record["id"]) if out is not None and record.get("success") else None
    if out is None or solution is None:
        return values
    cache = out / "metabolics" / f"{record['id']}.json"
    try:
        cached = json.loads(cache.read_text())
        if cached.get("version") == METABOLICS_VERSION:
            return {k: math.nan if cached.get(k) is None else float(cached[k]) for k in METABOLIC_COLUMNS}
    except (OSError, json.JSONDecodeError):
        pass
    if not compute:
        return values
    entry: dict[str, Any] = {"version": METABOLICS_VERSION, "solution": solution.name}
    try:
        from trialsim.musculoskeletal.metabolics import metabolic_cost

        cost = metabolic_cost(record.get("params") or {}, solution_path=solution,
                              speed_m_s=float(record["speed_m_s"]))
        entry.update(cost.to_dict())
    except (RuntimeError, ValueError, SimulationError) as exc:  # the solution's own failure: cache it
        log.warning("metabolic cost of %s failed: %s", record["id"], exc)
        entry.update(values, error=f"{type(exc).__name__}: {exc}"[:300])
    except Exception as exc:  # the environment's (no OpenSim, old numpy): never break consolidation, never cache
        log.warning("metabolic cost of %s not computed here: %s", record["id"], exc)
        return values
    try:
        _atomic_write(cache, json.dumps(entry, allow_nan=True))
    except OSError as exc:  # e.g. a read-only installed library
        log.warning("cannot cache the metabolic cost of %s: %s", record["id"], exc)
    return {k: float(entry.get(k, math.nan)) for k in METABOLIC_COLUMNS}


def library_status(out_dir: str | Path) -> dict[str, Any]:
    """Counts of done / failed / pending solves and the failure reasons of a library directory."""
    out = Path(out_dir)
    if not out.is_dir():
        raise InputFileError(f"{out}: not a library directory (expected a folder with design.json or sims/)")
    design_path = out / "design.json"
    planned = json.loads(design_path.read_text())["samples"] if design_path.exists() else []
    records = _records(out)
    done_ids = {r["id"] for r in records}
    failed = [r for r in records if not r.get("success")]
    reasons = Counter(str(r.get("failure_reason") or r.get("status"))[:120] for r in failed)
    sources = Counter(str(r.get("speed_source", "imposed")) for r in records if r.get("success"))
    return {"done": len(records) - len(failed), "failed": len(failed),
            "converged_by_speed_source": dict(sorted(sources.items())),
            "pending": sum(1 for s in planned if s["id"] not in done_ids), "planned": len(planned),
            "failure_reasons": dict(reasons.most_common())}


@dataclass(frozen=True)
class SimulationLibrary:
    """A consolidated library: one row per solve in ``simulations`` and the curves in long-wide form."""

    path: Path
    simulations: Any
    curves: Any

    @property
    def successful(self) -> Any:
        return self.simulations[self.simulations["success"]]


#: shipped library folders by version: v1 (imposed speeds), v2 (free speed), v3 (free speed with
#: head-arms-trunk stability; the shipped generator's training set, still growing)
SHIPPED_LIBRARIES = {1: "data/library", 2: "data/library_v2", 3: "data/library_v3"}
#: the library the shipped generator checkpoint is trained on (``trialsim library path`` default)
GENERATOR_LIBRARY_VERSION = 3


def shipped_library_dir(version: int = 1) -> Path:
    """A library that ships with the package (:data:`SHIPPED_LIBRARIES`)."""
    if version not in SHIPPED_LIBRARIES:
        raise ValueError(f"library version {version}: allowed {', '.join(map(str, SHIPPED_LIBRARIES))}")
    return Path(str(resources.files("trialsim").joinpath(SHIPPED_LIBRARIES[version])))


def load_library(out_dir: str | Path | None = None) -> SimulationLibrary:
    """Load a library directory (default: the shipped one), consolidating in memory if needed
    (cached metabolic costs only: nothing is computed or written)."""
    import pandas as pd

    out = Path(out_dir) if out_dir is not None else shipped_library_dir()
    if not out.is_dir():
        raise InputFileError(f"{out}: library directory not found; build one with `trialsim library build --out {out}`")
    sims_path, curves_path = out / "simulations.parquet", out / "curves.parquet"
    if sims_path.exists() and curves_path.exists():
        return SimulationLibrary(out, pd.read_parquet(sims_path), pd.read_parquet(curves_path))
    sims, curves = _frames(_records(out), out, compute=False)  # reading never solves or writes
    return SimulationLibrary(out, sims, curves)
