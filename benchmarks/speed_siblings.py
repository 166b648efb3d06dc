"""Benchmark what speed siblings buy: the generator's self-selected speed against the physics'.

    .venv/bin/python benchmarks/speed_siblings.py --quick    # ≈ 4 min on 2 cores

The library's speed siblings solve some bodies at three speeds, which gives each of them
a physics self-selected speed (the parabola minimum of cost of transport over its three
solves, :func:`trialsim.musculoskeletal.measures.minimum_cost_speed`). Bodies are split
into K folds; for each fold the generator's training recipe is fitted twice on the other
folds' bodies — with their sibling solves (``TrainConfig(speed_siblings=1)``), and without
them (the shipped recipe: one solve per body) — and both predict the held-out bodies' self-selected
speed (minimum of predicted cost of transport). Same folds, same seeds, one process.

Prints ``speed_mae_with_siblings_m_s``, ``speed_mae_without_siblings_m_s``,
``speed_mae_ratio`` (without / with: > 1 means the siblings help), the correlations
with the physics, and the physics' own spread (``#`` lines give context).
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 folds, 600 optimiser steps per fit")
    parser.add_argument("--library", default=None, help="library directory (default: the shipped one)")
    args = parser.parse_args()

    from trialsim.generative.dataset import group_folds, load_training_data, parameter_features
    from trialsim.generative.simulator import GeneratorSimulator
    from trialsim.generative.speed_model import physics_self_selected_speeds
    from trialsim.generative.train import TrainConfig, train_generator
    from trialsim.musculoskeletal.library import shipped_library_dir
    from trialsim.physiology.parameters import centre_speed_m_s

    library = args.library or shipped_library_dir()
    data = load_training_data(library)
    bodies = physics_self_selected_speeds(data)
    scored = list(bodies)
    if len(scored) < 6:
        raise SystemExit(f"{library}: {len(scored)} bodies solved at three speeds; at least 6 are needed")
    rows_of = {b: rows for b, (rows, _) in bodies.items()}
    physics = {b: speed for b, (_, speed) in bodies.items()}

    k = 3 if args.quick else 5
    config = TrainConfig(steps=600) if args.quick else TrainConfig()
    start = time.perf_counter()
    predicted: dict[str, dict[int, float]] = {"with": {}, "without": {}}
    for held in group_folds(data.bodies, k, np.random.default_rng([0, 11])):
        train_rows = np.setdiff1d(np.arange(data.n), held)
        held_bodies = [b for b in scored if np.isin(rows_of[b], held).all()]
        for label, siblings in (("with", 1), ("without", 0)):
            gen = GeneratorSimulator(train_generator(data.subset(train_rows), config=replace(config, speed_siblings=siblings)))
            first = np.array([rows_of[b][0] for b in held_bodies], int)
            pf = parameter_features({n: v[first] for n, v in data.params.items()}, len(first))
            height = data.params["height_m"][first]
            best, _ = gen.self_selected_speed(pf, height)
            for b, v in zip(held_bodies, centre_speed_m_s(height) * np.exp(best), strict=True):
                predicted[label][b] = float(v)
    seconds = time.perf_counter() - start

    truth = np.array([physics[b] for b in scored])
    figures = {}
    for label, pred in predicted.items():
        p = np.array([pred[b] for b in scored])
        figures[label] = (float(np.abs(p - truth).mean()), float(np.corrcoef(p, truth)[0, 1]), float((p - truth).mean()))
    print(f"# library: {data.n} solves, {int(data.bodies.max()) + 1} bodies, {int(data.siblings.sum())} sibling solves, "
          f"{len(scored)} bodies at three speeds; {k} folds by body, {config.steps} steps per fit, {seconds:.0f} s")
    print(f"# physics self-selected speed of those bodies: {truth.mean():.3f} ± {truth.std():.3f} m/s "
          f"(predicting that mean for every body: MAE {np.abs(truth - truth.mean()).mean():.3f})")
    for label in ("with", "without"):
        mae, r, bias = figures[label]
        print(f"speed_mae_{label}_siblings_m_s: {mae:.4f}")
        print(f"speed_correlation_{label}_siblings: {r:.3f}")
        print(f"# bias {label} siblings: {bias:+.4f} m/s")
    print(f"speed_mae_ratio: {figures['without'][0] / figures['with'][0]:.3f}")


if __name__ == "__main__":
    main()
