"""More replicates where Monte Carlo noise leaves the recommendation undecided (``design.max_replicates``)."""

from __future__ import annotations

from pathlib import Path

from trialsim.results.run import BLOCK_REPLICATES, StudyRun, run_study
from trialsim.results.tables import oc_table, recommend_design


def add_replicates_while_unclear(
    run: StudyRun, *, workers: int = 1, scheduler: str | None = None, checkpoint: Path | None = None, quiet: bool = False,
) -> StudyRun:
    """Double the replicates (up to ``design.max_replicates``) while a design that could change
    the recommendation is undecided by Monte Carlo noise; blocks already run are reused from
    ``checkpoint`` (replicate blocks are the same whatever the total)."""
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
