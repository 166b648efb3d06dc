"""Benchmark the generator: patients per second, and speedup over the physics.

    .venv/bin/python benchmarks/generator.py --quick      # < 1 min on 2 cores

Prints ``patients_per_s: X`` and ``speedup_vs_physics: X`` (plus ``#`` context lines).

- ``patients_per_s``: one day's gait (self-selected speed from the checkpoint's speed head:
  the direct head of a v2-trained checkpoint, or a v1 checkpoint's minimum of predicted
  cost of transport over 25 speeds; within-patient variability) for a batch of
  patients × visits, as the trial layer calls it; 2 torch/BLAS threads; median of 5.
- ``speedup_vs_physics`` = seconds per physics simulation × patients_per_s. Without
  ``--quick`` the physics time is measured in this run: one real warm-started Moco
  free-speed solve (one self-selected patient) through :func:`trialsim.musculoskeletal.simulate_gait` (≈ 5–10 min
  on 2 loaded cores). With ``--quick`` (which must stay under 5 min) it is read from
  the physics' own record: the median ``wall_time_s`` of the converged solves in the
  simulation library the shipped generator is trained on, library v3 (same machine, same
  solver settings); the line says which. A physics v2 patient with a self-selected speed
  costs one such solve (v1: three), so the printed figure is per patient.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np


def patients_per_s(checkpoint: Path | None, n_patients: int, visits: int) -> float:
    import torch

    from trialsim.generative.loader import load_default_generator, load_generator

    torch.set_num_threads(2)
    gen = load_default_generator() if checkpoint is None else load_generator(checkpoint)
    rng = np.random.default_rng(0)
    params = {"neural_drive": rng.uniform(0.6, 1.0, (n_patients, 1)) * np.ones((1, visits)),
              "passive_stiffness": rng.uniform(1.0, 2.0, (n_patients, 1)) * np.ones((1, visits)),
              "strength_plantarflexors": rng.uniform(0.6, 1.2, (n_patients, 1)) * np.ones((1, visits)),
              "height_m": rng.uniform(1.5, 1.9, (n_patients, 1)), "age_years": rng.uniform(50, 80, (n_patients, 1)),
              "motor_noise": rng.uniform(1.0, 2.0, (n_patients, 1))}
    gen.simulate(params, rng=np.random.default_rng(1))  # warm-up
    times = []
    for r in range(5):
        start = time.perf_counter()
        gen.simulate(params, rng=np.random.default_rng(r))
        times.append(time.perf_counter() - start)
    return n_patients * visits / statistics.median(times)


def physics_seconds_from_library(library: Path) -> tuple[float, int]:
    from trialsim.musculoskeletal.library import load_library

    sims = load_library(library).simulations
    ok = sims[sims["success"].astype(bool)]
    if len(ok) == 0:
        raise SystemExit(f"{library}: no converged solves to read seconds per simulation from")
    return float(ok["wall_time_s"].median()), len(ok)


def physics_seconds_measured(timeout_s: float) -> float:
    from trialsim.musculoskeletal.simulation import simulate_gait

    start = time.perf_counter()
    sim = simulate_gait({"strength_plantarflexors": 0.9}, timeout_s=timeout_s, threads=1)  # free speed: one patient
    wall = time.perf_counter() - start
    print(f"# physics solve: success={sim.success} iterations={sim.iterations} wall={wall:.1f}s")
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="read the physics time from the library (< 1 min)")
    parser.add_argument("--checkpoint", type=Path, default=None, help="generator checkpoint (default: shipped)")
    parser.add_argument("--library", type=Path, default=None,
                        help="library for --quick's physics time (default: the generator's training library, v3)")
    parser.add_argument("--patients", type=int, default=4000)
    parser.add_argument("--visits", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=1500.0)
    args = parser.parse_args()

    pps = patients_per_s(args.checkpoint, args.patients, args.visits)
    if args.quick:
        from trialsim.musculoskeletal.library import GENERATOR_LIBRARY_VERSION, shipped_library_dir

        default = shipped_library_dir(GENERATOR_LIBRARY_VERSION)
        seconds, n = physics_seconds_from_library(args.library or default)
        print(f"# physics seconds per simulation: {seconds:.1f} s, median wall_time_s of {n} converged library solves (not re-measured: --quick)")
    else:
        seconds = physics_seconds_measured(args.timeout)
        print(f"# physics seconds per simulation: {seconds:.1f} s, one warm-started predictive solve measured in this run")
    print(f"# {args.patients} patients x {args.visits} visits per call, 2 threads")
    print(f"patients_per_s: {pps:.0f}")
    print(f"speedup_vs_physics: {seconds * pps:.3g}")


if __name__ == "__main__":
    main()
