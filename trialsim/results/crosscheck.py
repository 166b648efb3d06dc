"""The simulator cross-check: a study on the generator, run again on the closed-form ``reference`` simulator.

Issue #15 keeps ``reference`` as a cross-check shown beside the generator: the same
study (seed, scenarios, designs, replicates, analysis) is simulated and analysed a
second time with ``simulator: reference``, after the primary run and independently
of it, so the primary numbers are the same bit for bit with or without it. Only the
primary analysis' operating characteristics and the recommendation of each simulator
are kept, as the ``/simulator_crosscheck`` group of the results (dims ``simulator``,
``scenario``, ``design``) and the ``simulator_crosscheck`` entry of ``summary.json``;
the report and the dashboard read them from there.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from trialsim.results.run import StudyRun, run_study
from trialsim.results.tables import oc_table, recommend_design

#: the simulator every other simulator is cross-checked against
CROSSCHECK_SIMULATOR = "reference"
#: per scenario × design figures kept for each simulator (primary analysis)
OC_FIELDS = ("power", "power_mc_se", "type1_error", "bias", "bias_mc_se", "rmse", "coverage", "mean_ess_borrowed")
#: the recommendation of each simulator (NaN / "" when no design qualifies)
RECOMMENDATION_FIELDS = ("n_total", "power", "max_type1_error", "patients_saved", "conventional_n_total")


def needs_crosscheck(simulator: str) -> bool:
    """A study on any simulator but ``reference`` is cross-checked against ``reference``."""
    return simulator != CROSSCHECK_SIMULATOR


def run_crosscheck(
    run: StudyRun, *, workers: int = 1, scheduler: str | None = None, checkpoint: Path | None = None, quiet: bool = True,
    on_progress: Callable[[int, int], None] | None = None,
) -> StudyRun:
    """The primary run's study (same seed, designs, scenarios and replicates) on the ``reference`` simulator.

    Its task checkpoints go to ``checkpoint/simulator_crosscheck`` so they never mix with
    the primary run's. ``on_progress(done, total)`` is called as its replicate blocks finish.
    """
    loaded = dataclasses.replace(run.loaded, spec=run.loaded.spec.model_copy(update={"simulator": CROSSCHECK_SIMULATOR}))
    folder = checkpoint / "simulator_crosscheck" if checkpoint is not None else None
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    return run_study(loaded, replicates=run.replicates, workers=workers, scheduler=scheduler, checkpoint=folder, quiet=quiet,
                     on_progress=on_progress)


def _recommendation(rec: dict[str, Any]) -> dict[str, Any]:
    """The figures of a recommendation the cross-check keeps (JSON-ready; None where no design qualifies)."""
    found, saves = bool(rec.get("found")), bool(rec.get("saves_patients", False))

    def num(key: str, keep: bool = True) -> float | None:
        value = rec.get(key)
        return None if not keep or value is None or not np.isfinite(float(value)) else float(value)

    return {
        "found": found, "design": rec.get("design") if found else None,
        "n_total": num("n_total", found), "power": num("power", found),
        "max_type1_error": num("max_type1_error", found), "saves_patients": saves,
        "patients_saved": num("patients_saved", saves), "conventional_n_total": num("conventional_n_total"),
        "statement": str(rec.get("statement", "")),
    }


def _num(x: object) -> float | None:
    value = float(x)  # type: ignore[arg-type]
    return None if not np.isfinite(value) else round(value, 10)


def crosscheck_dataset(
    tree: xr.DataTree, summary: dict[str, Any], primary: StudyRun, reference: StudyRun,
) -> tuple[xr.Dataset, dict[str, Any]]:
    """Both simulators' operating characteristics and recommendations: the ``/simulator_crosscheck`` group
    and the ``summary.json`` entry (the reference side; the primary side is the summary itself).

    The primary side is copied from the results' ``/oc`` (primary analysis), never recomputed.
    """
    scen, des = [s.name for s in primary.scenarios], [d.label for d in primary.designs]
    ref_table = oc_table(reference)
    ref_rows = ref_table[ref_table.analysis == "primary"].set_index(["scenario", "design"])
    ref_oc = ref_rows[list(OC_FIELDS)].to_xarray().reindex(scenario=scen, design=des)
    own_oc = tree["oc"].to_dataset().sel(analysis="primary", drop=True)[list(OC_FIELDS)].reset_coords(drop=True)
    own_oc = own_oc.transpose("scenario", "design").reindex(scenario=scen, design=des)
    names = [str(primary.simulator_provenance.get("simulator", primary.loaded.spec.simulator)), CROSSCHECK_SIMULATOR]
    oc = xr.concat([own_oc, ref_oc.astype(float)], dim="simulator").assign_coords(simulator=names)
    recs = [_recommendation(summary["recommended_design"]), _recommendation(recommend_design(reference, ref_table))]
    runs = (primary, reference)
    data: dict[str, Any] = {
        "true_effect": (("simulator", "scenario"), np.array([[r.true_effects[s] for s in scen] for r in runs], dtype=float)),
        "sd_change": ("simulator", np.array([r.variance.get("sd_change", np.nan) for r in runs], dtype=float)),
        "recommended_design": ("simulator", np.array([r["design"] or "" for r in recs], dtype=object)),
    }
    for f in RECOMMENDATION_FIELDS:
        name = f if f == "conventional_n_total" else f"recommended_{f}"
        data[name] = ("simulator", np.array([np.nan if r[f] is None else r[f] for r in recs], dtype=float))
    checkpoint = primary.simulator_provenance.get("checkpoint_sha256", "")
    ds = oc.assign(data).assign_coords({
        "role": ("simulator", ["primary", "cross-check"]),
        "is_null": ("scenario", [s.is_null for s in primary.scenarios]),
        "n_control": ("design", [d.n_control for d in primary.designs]),
        "n_treatment": ("design", [d.n_treatment for d in primary.designs]),
        "n_synthetic": ("design", [d.n_synthetic for d in primary.designs]),
    })
    ds.attrs = {
        "primary_simulator": names[0], "crosscheck_simulator": CROSSCHECK_SIMULATOR,
        "primary_checkpoint_sha256": checkpoint, "seed": str(primary.loaded.spec.seed),
        "replicates": str(reference.replicates), "analysis": "primary",
        **{f"crosscheck_{k}": v for k, v in reference.simulator_provenance.items() if k != "simulator"},
    }
    entry = {
        "simulator": CROSSCHECK_SIMULATOR, "primary_simulator": names[0], "primary_checkpoint_sha256": checkpoint,
        "seed": primary.loaded.spec.seed, "replicates": reference.replicates,
        "designs": [{"scenario": s, "design": d, "true_effect": _num(reference.true_effects[s]),
                     **{f: _num(ref_rows.loc[(s, d), f]) for f in OC_FIELDS}} for s in scen for d in des],
        "recommended_design": recs[1],
    }
    return ds, entry


def add_crosscheck(
    tree: xr.DataTree, summary: dict[str, Any], run: StudyRun, *, workers: int = 1, scheduler: str | None = None,
    checkpoint: Path | None = None, quiet: bool = True, on_progress: Callable[[int, int], None] | None = None,
) -> tuple[xr.DataTree, dict[str, Any]]:
    """The results with the cross-check added: new objects, ``tree`` and ``summary`` are not modified.

    Examples
    --------
    >>> tree, summary = add_crosscheck(tree, summary, run)  # doctest: +SKIP
    >>> tree["simulator_crosscheck"].power.sel(simulator="reference")  # doctest: +SKIP
    """
    started = time.perf_counter()
    reference = run_crosscheck(run, workers=workers, scheduler=scheduler, checkpoint=checkpoint, quiet=quiet,
                               on_progress=on_progress)
    ds, entry = crosscheck_dataset(tree, summary, run, reference)
    ds.attrs["wall_time_s"] = f"{time.perf_counter() - started:.3f}"
    out = tree.copy()
    out["simulator_crosscheck"] = xr.DataTree(ds)
    return out, {**summary, "simulator_crosscheck": entry}
