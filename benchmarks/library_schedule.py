"""Library build schedule: the batch barrier against starting each body as soon as its neighbour is settled.

    .venv/bin/python benchmarks/library_schedule.py                    # the shipped library v3, 2/8/16/64 workers
    .venv/bin/python benchmarks/library_schedule.py DIR --workers 2,4

Both rules give every body the same warm start (``library_warm_start``); they differ in
when a body may start. ``barrier`` (library builds until session 12): a batch of
``BATCH_SIZE`` bodies starts when the previous batch has finished. ``as ready`` (now,
:class:`~trialsim.musculoskeletal.library_warm_start.StartPlan`): a body starts as soon as
every earlier-batch body that could be its neighbour has finished.

This is a replay, not a live build: each body takes the solve wall time its record holds
(one thread; measured on the machine that built the library, timeouts at their limit),
converges or fails as its record says, and the two schedules are simulated event by event
on W identical workers with the real :class:`StartPlan` deciding readiness. Prints, per
worker count, the build's makespan under each rule, ``speedup_vs_barrier`` (barrier /
as ready) and each rule's worker utilisation (busy core-time / (W × makespan)).
Design bodies only; imposed-speed siblings depend only on their own body and are left out.
"""

from __future__ import annotations

import argparse
import heapq
import json
from pathlib import Path
from typing import Any


def load_records(folder: Path) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """The design samples and the records of the design bodies (id → record)."""
    design = json.loads((folder / "design.json").read_text())
    samples = design["samples"]
    records = {}
    for path in (folder / "sims").glob("*.json"):
        rec = json.loads(path.read_text())
        if rec.get("speed_source") == "self_selected":
            records[rec["id"]] = rec
    samples = [s for s in samples if s["id"] in records]
    return samples, records


def duration_s(rec: dict[str, Any]) -> float:
    """The solve's wall time; a timed-out solve takes its limit."""
    wall = rec.get("wall_time_s")
    if wall is None or wall != wall:  # NaN: a killed or timed-out worker
        return float(rec.get("settings", {}).get("timeout_s", 1800.0))
    return float(wall)


def barrier_makespan_s(samples: list[dict[str, Any]], records: dict[str, dict[str, Any]], workers: int,
                       batch_size: int) -> float:
    """Batch by batch; within a batch each body goes to the first free worker, in design order."""
    now = 0.0
    for start in range(0, len(samples), batch_size):
        free = [now] * workers
        for sample in samples[start:start + batch_size]:
            t = heapq.heappop(free)
            heapq.heappush(free, t + duration_s(records[sample["id"]]))
        now = max(free)
    return now


def as_ready_makespan_s(samples: list[dict[str, Any]], records: dict[str, dict[str, Any]], workers: int,
                        batch_size: int) -> float:
    """Event by event: whenever a worker is free, the earliest body whose neighbour is settled starts."""
    from trialsim.musculoskeletal.library_warm_start import StartPlan

    landed: dict[str, dict[str, Any]] = {}
    plan = StartPlan(samples, landed, batch_size)
    pending = list(samples)
    running: list[tuple[float, int, str]] = []
    now = 0.0
    while pending or running:
        for sample in list(pending):
            if len(running) >= workers:
                break
            if plan.guess(sample)[0]:
                pending.remove(sample)
                heapq.heappush(running, (now + duration_s(records[sample["id"]]), sample["index"], sample["id"]))
        if not running:
            raise RuntimeError("no body can start: the replay's records are inconsistent")
        now, _, done = heapq.heappop(running)
        landed[done] = records[done]
    return now


def main() -> None:
    from trialsim.musculoskeletal.library import shipped_library_dir
    from trialsim.musculoskeletal.library_v2 import BATCH_SIZE, LIBRARY_VERSION

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("library", nargs="?", default=None, help="library folder (default: the shipped v3)")
    parser.add_argument("--workers", default="2,8,16,64")
    args = parser.parse_args()
    folder = Path(args.library) if args.library else shipped_library_dir(LIBRARY_VERSION)
    if not (folder / "design.json").is_file():
        parser.exit(2, f"error: {folder}/design.json: not a library v2/v3 folder; give one built by "
                       "`trialsim library build`\n")
    try:
        widths = [int(x) for x in args.workers.split(",")]
        if min(widths) < 1:
            raise ValueError
    except ValueError:
        parser.exit(2, f"error: --workers {args.workers!r}: give worker counts of at least 1 separated by commas, e.g. 2,8,16\n")
    samples, records = load_records(folder)
    busy = sum(duration_s(records[s["id"]]) for s in samples)
    print(f"# {folder}: {len(samples)} design bodies, {busy / 3600:.1f} h of solve wall time, batch size {BATCH_SIZE}")
    print("| workers | barrier makespan h | as-ready makespan h | speedup_vs_barrier | utilisation barrier | utilisation as ready |")
    print("| --- | --- | --- | --- | --- | --- |")
    for w in widths:
        barrier = barrier_makespan_s(samples, records, w, BATCH_SIZE)
        ready = as_ready_makespan_s(samples, records, w, BATCH_SIZE)
        print(f"| {w} | {barrier / 3600:.2f} | {ready / 3600:.2f} | {barrier / ready:.2f} | "
              f"{busy / (w * barrier):.2f} | {busy / (w * ready):.2f} |")


if __name__ == "__main__":
    main()
