"""One execution layer for trial replicates and physics simulations.

Tasks are pure functions of their key: the same key gives the same result on any
worker, so results never depend on the number of workers or on resuming. Finished
tasks are written to a checkpoint folder as they complete (atomically), and a rerun
skips them. Execution is serial, a local Dask cluster (``workers > 1``) or an
existing Dask scheduler (``scheduler="tcp://host:8786"``); on HPC sites, start the
cluster with dask-jobqueue (``SLURMCluster``/``PBSCluster``) and pass its address.
"""

from __future__ import annotations

import logging
import os
import pickle
import tempfile
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def _task_file(folder: Path, key: str) -> Path:
    return folder / f"{key}.pkl"


def write_atomic(path: Path, payload: bytes) -> None:
    """Write bytes to ``path`` via a temporary file and rename (never half-written)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _progress(total: int, description: str, quiet: bool):  # type: ignore[no-untyped-def]
    if quiet:
        return nullcontext(None)
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    return Progress(TextColumn(description), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), transient=True)


@contextmanager
def _dask_client(workers: int, scheduler: str | None) -> Iterator[tuple[Any, int | None]]:
    """A Dask client on ``scheduler``, or on a local cluster of ``workers`` one-thread
    processes; yields ``(client, local_workers)`` (``None`` for an external scheduler)."""
    from dask.distributed import Client, LocalCluster

    cluster = None if scheduler else LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
        silence_logs=logging.CRITICAL,
    )
    client = Client(scheduler) if scheduler else Client(cluster)
    try:
        yield client, None if cluster is None else workers
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def run_tasks(
    keys: Sequence[str],
    fn: Callable[[str], Any],
    *,
    workers: int = 1,
    scheduler: str | None = None,
    checkpoint: Path | None = None,
    description: str = "working",
    quiet: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Run ``fn(key)`` for every key; return ``{key: result}`` in the order of ``keys``.

    With ``checkpoint``, each result is pickled to ``checkpoint/<key>.pkl`` as soon as
    it finishes, and keys already there are loaded instead of recomputed.
    ``on_progress(done, total)`` is called after every finished task (e.g. by the dashboard).
    """
    results: dict[str, Any] = {}
    pending = []
    for key in keys:
        path = _task_file(checkpoint, key) if checkpoint else None
        if path is not None and path.exists():
            with path.open("rb") as handle:
                results[key] = pickle.load(handle)
        else:
            pending.append(key)
    if pending:
        log.info("%d of %d tasks to run (%d from checkpoint)", len(pending), len(keys), len(keys) - len(pending))

    def finish(key: str, value: Any) -> None:
        results[key] = value
        if checkpoint is not None:
            write_atomic(_task_file(checkpoint, key), pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        if on_progress is not None:
            on_progress(len(results), len(keys))

    with _progress(len(keys), description, quiet) as bar:
        task = bar.add_task(description, total=len(keys), completed=len(keys) - len(pending)) if bar else None
        if bar:
            bar.start()
        if scheduler is None and workers <= 1:
            for key in pending:
                finish(key, fn(key))
                if bar:
                    bar.advance(task)
        elif pending:
            from dask.distributed import as_completed

            with _dask_client(workers, scheduler) as (client, _):
                futures = {client.submit(fn, key, key=f"trialsim-{key}", pure=False): key for key in pending}
                for future in as_completed(futures):
                    finish(futures[future], future.result())
                    if bar:
                        bar.advance(task)
    return {key: results[key] for key in keys}


#: what ``ready`` of :func:`run_as_ready` says of a key
WAIT, SKIP, RUN = "wait", "skip", "run"


def run_as_ready(
    keys: Sequence[str],
    ready: Callable[[str], tuple[str, Any]],
    fn: Callable[[Any], Any],
    *,
    on_result: Callable[[str, Any], None],
    workers: int = 1,
    scheduler: str | None = None,
    description: str = "working",
    quiet: bool = False,
) -> None:
    """Run tasks whose inputs depend on earlier tasks' results, each as soon as it may start.

    ``ready(key)`` answers ``(WAIT, None)`` (not yet: it needs a result still to come),
    ``(SKIP, None)`` (nothing to run, e.g. already done) or ``(RUN, arg)``; ``fn(arg)`` then
    runs on a worker and ``on_result(key, value)`` is called in this process as each one
    finishes, before anything else is started. A key may wait only on keys before it in
    ``keys``, which is also the order of priority: at most as many tasks as there are
    workers are in flight, the earliest ready keys first. Determinism is the caller's: an
    ``arg`` must depend on which results have landed, never on when (e.g. library warm
    starts, :class:`trialsim.musculoskeletal.library_warm_start.StartPlan`).
    """
    pending = list(keys)
    with _progress(len(keys), description, quiet) as bar:
        task = bar.add_task(description, total=len(keys)) if bar else None
        if bar:
            bar.start()

        def advance() -> None:
            if bar:
                bar.advance(task)

        if scheduler is None and workers <= 1:
            while pending:
                key = pending[0]
                state, arg = ready(key)
                if state == WAIT:
                    raise RuntimeError(f"run_as_ready: {key} waits on a later key; order keys by dependency")
                pending.pop(0)
                if state == RUN:
                    on_result(key, fn(arg))
                advance()
            return
        from dask.distributed import as_completed

        with _dask_client(workers, scheduler) as (client, local_workers):
            futures: dict[Any, str] = {}
            done = as_completed()

            def start_ready() -> None:
                # a cluster's workers may join after the start: ask for its size each time
                capacity = local_workers or max(workers, sum(client.nthreads().values()), 1)
                for key in list(pending):
                    if len(futures) >= capacity:
                        break
                    state, arg = ready(key)
                    if state == WAIT:
                        continue
                    pending.remove(key)
                    if state == RUN:
                        future = client.submit(fn, arg, key=f"trialsim-{key}", pure=False)
                        futures[future] = key
                        done.add(future)
                    else:
                        advance()

            start_ready()
            for future in done:
                key = futures.pop(future)
                on_result(key, future.result())
                advance()
                start_ready()
            if pending:
                raise RuntimeError(f"run_as_ready: {len(pending)} keys never became ready (first: {pending[0]})")


def chunk(items: Sequence[Hashable], size: int) -> list[list[Hashable]]:
    """Split ``items`` into consecutive chunks of at most ``size``."""
    return [list(items[i : i + size]) for i in range(0, len(items), size)]
