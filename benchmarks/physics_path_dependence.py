"""Path dependence of library v2's free-speed solves: re-solve library bodies from the cold start.

    .venv/bin/python benchmarks/physics_path_dependence.py          # 3 bodies: ≈ 10–25 min on 2 cores

A free-speed solve is non-convex; the library warm-starts each body from its nearest
converged neighbour (:mod:`trialsim.musculoskeletal.library_v2`). This re-solves library
bodies from the shipped nominal guess (a cold start, what ``trialsim physics simulate``
does) and prints, per body, both speeds, the warm-start parent's speed, both objectives
(lower is the better optimum) and both stance percentages, one JSON line each.

Bodies, chosen from the library alone (deterministic): the warm-started body whose speed is
furthest from its parent's, the nearest, and the warm-started body in the middle of the
library's row order (an arbitrary third); or the ones named by ``--sim-ids``. With
``--guess-from SIM_ID`` each is re-solved from that library body's solution instead of the
cold start (e.g. a fast stroke body from the slowest stroke body's gait).
"""

from __future__ import annotations

import argparse
import json
import time
from importlib import resources

import numpy as np


def main() -> None:
    import pandas as pd

    from trialsim.musculoskeletal.library_v2 import LIBRARY_SETTINGS
    from trialsim.musculoskeletal.simulation import simulate_gait

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--library", default=str(resources.files("trialsim").joinpath("data/library_v2")))
    parser.add_argument("--timeout", type=float, default=1800.0)
    parser.add_argument("--sim-ids", nargs="*", default=None, help="re-solve these library bodies instead")
    parser.add_argument("--guess-from", default=None, help="warm-start from this library body's solution (default: cold)")
    args = parser.parse_args()
    d = pd.read_parquet(f"{args.library}/simulations.parquet")
    parent = d.set_index("sim_id").gait_speed_m_s
    w = d[d.warm_start_from.notna() & d.warm_start_from.isin(parent.index)].copy()
    w["gap"] = (w.gait_speed_m_s - parent.loc[w.warm_start_from].to_numpy()).abs()
    if args.sim_ids:
        chosen = w.set_index("sim_id").loc[args.sim_ids].reset_index()
    else:
        by_gap = w.sort_values(["gap", "sim_id"])
        chosen = pd.concat([by_gap.iloc[[-1]], by_gap.iloc[[0]], w.iloc[[len(w) // 2]]])
    guess: dict[str, object] = {}
    if args.guess_from:
        from trialsim.musculoskeletal.library import solution_path

        source = d.set_index("sim_id").loc[args.guess_from]
        guess = {"guess": str(solution_path(args.library, args.guess_from)), "guess_height_m": float(source.param_height_m)}
    for _, row in chosen.iterrows():
        params = {c[6:]: float(row[c]) for c in d.columns if c.startswith("param_") and np.isfinite(row[c])}
        start = time.perf_counter()
        sim = simulate_gait(params, timeout_s=args.timeout, **LIBRARY_SETTINGS, **guess)  # type: ignore[arg-type]
        print(json.dumps({
            "sim_id": row.sim_id, "phenotype": row.phenotype, "library_speed_m_s": round(float(row.gait_speed_m_s), 3),
            "parent_speed_m_s": round(float(parent.loc[row.warm_start_from]), 3), "resolved_from": args.guess_from or "cold", "resolved_speed_m_s": round(sim.speed_m_s, 3),
            "library_objective": round(float(row.objective), 4), "resolved_objective": round(sim.objective, 4),
            "library_stance_pct": round(float(row.stance_pct), 2),
            "resolved_stance_pct": round(float(sim.measures.get("stance_pct", np.nan)), 2),
            "resolved_success": sim.success, "wall_s": round(time.perf_counter() - start)}), flush=True)


if __name__ == "__main__":
    main()
