"""From a study to a complete results directory, atomically and resumably (``trialsim run``).

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

from trialsim.api.study import Study
from trialsim.api.trial_results import TrialResults, check_output_dir, partial_dir
from trialsim.results.run import check_resources
from trialsim.trial.simulate import check_study


def execute_study(
    study: Study,
    out: Path,
    *,
    replicates: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    scheduler: str | None = None,
    resume: bool = False,
    force: bool = False,
    quiet: bool = False,
    example_posteriors: bool = False,
    cross_check: bool = True,
    command: str = "",
) -> TrialResults:
    """Run ``study`` and write ``out/{results.nc, summary.json, oc.csv, report.html, manifest.json}``."""
    check_output_dir(out, force=force)
    study = study.replace(replicates=replicates, seed=seed)
    check_study(study.loaded)
    check_resources(study.spec, study.spec.replicates)
    partial = partial_dir(out)
    marker = partial / "config.json"
    fingerprint = {"config_sha256": study.config_sha256, "replicates": study.spec.replicates}
    if partial.exists():
        stale = not resume
        if resume and marker.is_file():
            stale = json.loads(marker.read_text()) != fingerprint
        if stale:
            shutil.rmtree(partial)
    (partial / "tasks").mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps(fingerprint))
    results = study.run(workers=workers, scheduler=scheduler, checkpoint=partial / "tasks", progress=not quiet,
                        example_posteriors=example_posteriors, cross_check=cross_check, command=command)
    results.save(out, force=True, report="html")
    shutil.rmtree(partial, ignore_errors=True)
    return results
