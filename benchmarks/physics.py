"""Benchmark the physics: seconds per warm-started solve, convergence rate, 2-worker speedup.

    .venv/bin/python benchmarks/physics.py --quick      # < 5 min on 2 cores

Prints ``seconds_per_sim: X``, ``convergence_rate: X``, ``speedup_2_workers: X``.
The first design samples of the library are built once with one worker and once
with two (``trialsim.musculoskeletal.library.build_library``, the library's own
settings, fresh directories so nothing is cached); each solve is one thread in its
own subprocess, warm-started from the shipped nominal solution.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from trialsim.musculoskeletal import library as lib


def run(n: int, workers: int, root: Path, timeout_s: float) -> tuple[float, list[dict]]:
    """Build a fresh library of the first ``n`` design samples with ``workers`` workers."""
    out = root / f"w{workers}"
    start = time.perf_counter()
    lib.build_library(out, n=n, workers=workers, timeout_s=timeout_s)
    return time.perf_counter() - start, lib._records(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="the first 2 design samples (≈ 5 min on 2 idle cores)")
    parser.add_argument("--n", type=int, default=6, help="design samples in the full run")
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args()
    n = 2 if args.quick else args.n
    with tempfile.TemporaryDirectory() as tmp:
        serial_wall, serial = run(n, 1, Path(tmp), args.timeout)
        parallel_wall, parallel = run(n, 2, Path(tmp), args.timeout)
    records = serial + parallel
    ok = [r for r in records if r.get("success")]
    per_sim = sum(r["wall_time_s"] for r in serial) / max(len(serial), 1)
    for r in records:
        print(f"# {r['params']} success={r['success']} it={r.get('iterations')} wall={r.get('wall_time_s', 0):.1f}s "
              f"{r.get('failure_reason', '')}")
    print(f"seconds_per_sim: {per_sim:.1f}")
    print(f"convergence_rate: {len(ok) / max(len(records), 1):.2f}")
    print(f"speedup_2_workers: {serial_wall / parallel_wall:.2f}")


if __name__ == "__main__":
    main()
