"""Scaling of the execution layer: 1 → 2 workers, a simulated larger cluster, memory per 100,000 patients.

Prints ``name: value`` lines. ``--quick`` finishes in a few minutes on 2 cores.

- ``efficiency_2_workers``: (time with 1 worker / time with 2 workers) / 2 for the same
  study grid, Dask LocalCluster start-up included (what a user waits for).
- ``simulated_cluster_*``: the same grid on a LocalCluster of many single-thread
  workers. On a 2-core machine this only shows the scheduler's overhead and that the
  numbers do not change (``identical``), not real speed-up: the cores are shared.
- ``memory_mb_per_100k_patients``: peak traced allocation (tracemalloc, numpy included) while
  sampling 100,000 virtual patients (covariates, parameters, baseline gait) in a fresh process.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MEMORY_PROBE = """
import sys, tracemalloc
from trialsim.spec.loading import load_shipped_cohort
from trialsim.generative.reference import ReferenceGaitModel
from trialsim.trial.enrolment import sample_cohort
cohort = load_shipped_cohort("early_pd")
sample_cohort(cohort, n=100, seed=0, simulator=ReferenceGaitModel())
tracemalloc.start()
df = sample_cohort(cohort, n=int(sys.argv[1]), seed=0, simulator=ReferenceGaitModel())
current, peak = tracemalloc.get_traced_memory()
print(peak / 2**20, df.memory_usage(deep=True).sum() / 2**20)
"""


def timed_run(study: Path, replicates: int, workers: int) -> tuple[float, list]:
    from trialsim.results.run import run_study
    from trialsim.results.tables import oc_table
    from trialsim.spec.loading import load_study

    loaded = load_study(study)
    start = time.perf_counter()
    run = run_study(loaded, replicates=replicates, workers=workers, quiet=True)
    elapsed = time.perf_counter() - start
    return elapsed, oc_table(run)[["power", "bias", "coverage"]].round(12).values.tolist()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    study = ROOT / "studies" / "pd_gait_speed_phase2.yaml"
    replicates = 200 if args.quick else 1000
    t1, oc1 = timed_run(study, replicates, 1)
    t2, oc2 = timed_run(study, replicates, 2)
    print(f"grid_replicates: {replicates}")
    print(f"seconds_1_worker: {t1:.2f}")
    print(f"seconds_2_workers: {t2:.2f}")
    print(f"efficiency_2_workers: {t1 / t2 / 2:.3f}")
    print(f"identical_1_vs_2_workers: {oc1 == oc2}")
    many = 8
    t8, oc8 = timed_run(study, replicates, many)
    print(f"simulated_cluster_workers: {many}")
    print(f"simulated_cluster_seconds: {t8:.2f}")
    print(f"simulated_cluster_identical: {oc8 == oc1}")
    n = 100_000
    out = subprocess.run([sys.executable, "-c", MEMORY_PROBE, str(n)], capture_output=True, text=True, check=True, cwd=ROOT)
    rss_mb, table_mb = (float(x) for x in out.stdout.split())
    print(f"memory_mb_per_100k_patients: {rss_mb * 100_000 / n:.1f}")
    print(f"table_mb_per_100k_patients: {table_mb * 100_000 / n:.1f}")
    print("json: " + json.dumps({"efficiency_2_workers": round(t1 / t2 / 2, 3)}))


if __name__ == "__main__":
    main()
