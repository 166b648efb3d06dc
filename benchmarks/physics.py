"""Benchmark the physics: seconds per warm-started solve, convergence rate, 2-worker speedup.

    .venv/bin/python benchmarks/physics.py --quick      # < 5 min on 2 cores

Prints ``seconds_per_sim: X``, ``convergence_rate: X``, ``speedup_2_workers: X``.
The same samples are solved once with one dask worker and once with two (fresh
library directories, so nothing is cached); each solve is one thread in its own
subprocess, warm-started from the shipped nominal solution.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from trialsim.musculoskeletal import library as lib

QUICK = [
    {"strength_plantarflexors": 0.9},
    {"age_years": 70.0},
]


def run(samples: list[dict], workers: int, root: Path, timeout_s: float, mesh: int) -> tuple[float, list[dict]]:
    out = root / f"w{workers}"
    out.mkdir()
    settings = {"mesh_intervals": mesh, "tolerance": 1e-3}
    design = [{"index": i, "phenotype": "benchmark", "params": p, "speed_m_s": 1.2 * p.get("height_m", 1.75) / 1.75,
               "id": lib.sample_id(p, 1.2 * p.get("height_m", 1.75) / 1.75)} for i, p in enumerate(samples)]
    start = time.perf_counter()
    if workers == 1:
        for s in design:
            lib.run_sample(s, str(out), settings, timeout_s)
    else:
        lib._run_dask(design, str(out), settings, timeout_s, None, workers, None)
    wall = time.perf_counter() - start
    records = lib._records(out)
    return wall, records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="2 samples (under 5 min on 2 cores)")
    parser.add_argument("--n", type=int, default=6, help="design samples in the full run")
    parser.add_argument("--mesh", type=int, default=25)
    parser.add_argument("--timeout", type=float, default=240.0)
    args = parser.parse_args()
    samples = QUICK if args.quick else [s["params"] for s in lib.design(args.n)]
    with tempfile.TemporaryDirectory() as tmp:
        serial_wall, serial = run(samples, 1, Path(tmp), args.timeout, args.mesh)
        parallel_wall, parallel = run(samples, 2, Path(tmp), args.timeout, args.mesh)
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
