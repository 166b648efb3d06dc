"""From a study file to a complete results directory, atomically and resumably.

Work happens in ``DIR.partial/`` beside the output: task checkpoints in
``DIR.partial/tasks`` and outputs in ``DIR.partial/out``. Only when everything is
written is ``out`` renamed to ``DIR``, so ``DIR`` is never half-written. After a
crash or ``kill -9``, ``--resume`` reuses the checkpoints (if the study's config
hash matches) and finishes with the same numbers as an uninterrupted run.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import xarray as xr

from trialsim.errors import OutputPathError
from trialsim.pipeline import StudyRun, check_resources, run_study, select_simulator
from trialsim.results.operating import oc_table
from trialsim.results.store import summary_dict, to_datatree, write_manifest
from trialsim.spec.loading import LoadedStudy
from trialsim.trial.examples import baseline_sample, example_trials
from trialsim.trial.simulate import check_study


def _partial_dir(out: Path) -> Path:
    return out.with_name(out.name + ".partial")


def check_output_dir(out: Path, *, force: bool = False) -> None:
    """Refuse unsafe output paths before any work starts."""
    if str(out).strip() == "" or out.name in ("", ".", ".."):
        raise OutputPathError(f"--out: {str(out)!r} is not a directory name; give e.g. --out runs/my_study")
    if out.exists() and not out.is_dir():
        raise OutputPathError(f"--out: {out} exists and is a file; give a new directory path")
    if out.exists() and any(out.iterdir()) and not force:
        raise OutputPathError(f"--out: {out} exists and is not empty; choose a new directory or pass --force")
    parent = out.resolve().parent
    if not parent.exists():
        raise OutputPathError(f"--out: parent folder {parent} does not exist; create it first")


def assemble_results(run: StudyRun, *, command: str) -> tuple[xr.DataTree, dict[str, Any]]:
    """Operating characteristics, summary and the results tree (with example trials of the
    recommended design — or the largest — under the first alternative scenario)."""
    loaded = run.loaded
    table = oc_table(run)
    summary = summary_dict(run, table)
    simulator = select_simulator(loaded.spec.simulator)
    rec = summary["recommended_design"]
    label = rec.get("design") if rec.get("found") else run.designs[-1].label
    design = next(d for d in run.designs if d.label == label)
    alt = next((s for s in run.scenarios if not s.is_null), run.scenarios[0])
    examples = example_trials(loaded, scenario=alt, design=design, simulator=simulator, effect=run.true_effects[alt.name])
    baseline = baseline_sample(loaded, simulator=simulator)
    return to_datatree(run, table, examples=examples, baseline=baseline, command=command), summary


def add_replicates_while_unclear(
    run: StudyRun, *, workers: int = 1, scheduler: str | None = None, checkpoint: Path | None = None, quiet: bool = False,
) -> StudyRun:
    """Double the replicates (up to ``design.max_replicates``) while a design that could change
    the recommendation is undecided by Monte Carlo noise; blocks already run are reused from
    ``checkpoint`` (replicate blocks are the same whatever the total)."""
    from trialsim.pipeline import BLOCK_REPLICATES
    from trialsim.results.operating import recommend_design

    limit = run.loaded.spec.design.max_replicates
    while limit is not None and run.replicates < limit:
        rec = recommend_design(run, oc_table(run))
        if not rec.get("unclear_designs"):
            break
        more = min(2 * run.replicates, limit)
        more = -(-more // BLOCK_REPLICATES) * BLOCK_REPLICATES if more < limit else limit
        reuse = checkpoint if run.replicates % BLOCK_REPLICATES == 0 else None  # a partial last block differs
        run = run_study(run.loaded, replicates=more, workers=workers, scheduler=scheduler, checkpoint=reuse, quiet=quiet)
    return run


def execute_study(
    loaded: LoadedStudy,
    out: Path,
    *,
    replicates: int | None = None,
    workers: int = 1,
    scheduler: str | None = None,
    resume: bool = False,
    force: bool = False,
    quiet: bool = False,
    command: str = "",
) -> dict[str, Any]:
    """Run a study and write ``out/{results.nc, summary.json, oc.csv, report.html, manifest.json}``."""
    check_output_dir(out, force=force)
    check_study(loaded)
    check_resources(loaded.spec, replicates or loaded.spec.replicates)
    partial = _partial_dir(out)
    marker = partial / "config.json"
    fingerprint = {"config_sha256": loaded.config_sha256, "replicates": replicates or loaded.spec.replicates}
    if partial.exists():
        stale = not resume
        if resume and marker.is_file():
            stale = json.loads(marker.read_text()) != fingerprint
        if stale:
            shutil.rmtree(partial)
    (partial / "tasks").mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps(fingerprint))

    run = run_study(loaded, replicates=replicates, workers=workers, scheduler=scheduler, checkpoint=partial / "tasks", quiet=quiet)
    run = add_replicates_while_unclear(run, workers=workers, scheduler=scheduler, checkpoint=partial / "tasks", quiet=quiet)
    tree, summary = assemble_results(run, command=command)

    staging = partial / "out"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir()
    tree.to_netcdf(staging / "results.nc", engine="h5netcdf")
    oc_table(run).to_csv(staging / "oc.csv", index=False)
    (staging / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=False, allow_nan=False))
    from trialsim.report.render import render_html

    render_html(staging, tree=tree, summary=summary)
    write_manifest(staging)
    if out.exists():
        shutil.rmtree(out)
    staging.rename(out)
    shutil.rmtree(partial, ignore_errors=True)
    return summary
