"""Benchmark the physics: core-seconds per patient with a self-selected speed, v2 against v1.

    .venv/bin/python benchmarks/physics.py --quick --jobs 2   # 1 body (nominal 70 y), ≈ 15 min on 2 cores
    .venv/bin/python benchmarks/physics.py              # 3 bodies

For the same bodies, in the same run:

- ``v1`` (the route before physics v2): effort-minimising predictive solves with weak
  reference tracking at three imposed speeds (×0.8, ×1.0, ×1.2 of 1.2 m/s × H/1.75 m,
  plus one more when the minimum is at an edge), the self-selected speed taken as the
  minimum of a joint-work cost-of-transport parabola;
- ``v2``: one free-speed energy-and-time solve (:mod:`trialsim.musculoskeletal.free_speed`)
  warm-started the way the library builds it: from the nearest converged body of the
  shipped library of the current objective (v3) (:func:`~trialsim.musculoskeletal.library_warm_start.nearest_guess`, parameters
  scaled by their registry ranges; a library body with the very same parameters is
  skipped, so the solve is never handed its own answer);
- ``v2 cold``: the same solve from the shipped nominal guess (no library at hand).

The speeds of ``v2`` and ``v2 cold`` for one body also show how much the warm start moves
the optimum the solver finds (path dependence of a non-convex problem).

IPOPT options: every route runs with IPOPT's defaults (none are shipped).
``--candidate NAME=VALUE`` (repeatable) adds two routes with candidate options, ``v1
candidate`` and ``v2 candidate`` (library warm start), and prints
``speedup_vs_v1_candidate`` (v1 route / v2 route, both with the candidate) and
``candidate_speedup`` (v2 / v2 candidate): how much is the option's and how much the route's.
Session 10 ran ``--candidate bound_push=1e-6 --candidate bound_frac=1e-6``.

Each solve is one thread in its own subprocess; core-seconds are those subprocesses' CPU
time (so a busy machine does not inflate them). Prints
``core_seconds_per_patient_v1``, ``core_seconds_per_patient`` (v2, warm start),
``speedup_vs_v1``, ``core_seconds_per_patient_cold`` and ``speedup_vs_v1_cold``,
``seconds_per_sim`` and ``convergence_rate`` (v2 solves), ``warm_minus_cold_speed_m_s``, each body's speeds, and in the
full run ``speedup_2_workers`` (the v2 solves of all bodies again, two at a time).
"""

from __future__ import annotations

import argparse
import time

from trialsim.musculoskeletal.simulation import simulate_gait

BODIES = (
    ("nominal 70 y", {"age_years": 70.0}),
    ("plantar flexors x0.5", {"age_years": 70.0, "strength_plantarflexors": 0.5}),
    ("tall 1.90 m", {"age_years": 70.0, "height_m": 1.90, "body_mass_kg": 85.0}),
)


def library_guess(params: dict[str, float]) -> dict[str, object]:
    """``guess``/``guess_height_m`` of the nearest converged body of the current objective's shipped library
    (empty: no library, a cold start)."""
    import json

    from trialsim.musculoskeletal.library import shipped_library_dir, solution_path
    from trialsim.musculoskeletal.library_v2 import LIBRARY_VERSION, body_id
    from trialsim.musculoskeletal.library_warm_start import nearest_guess

    lib = shipped_library_dir(LIBRARY_VERSION)  # solved with the current objective
    own = body_id(params)
    finished = []
    for path in sorted((lib / "sims").glob("*.json")):
        rec = json.loads(path.read_text())
        if rec.get("success") and rec.get("id") != own and solution_path(lib, rec["id"]) is not None:
            finished.append(rec)
    best = nearest_guess({"params": params}, finished)
    if best is None:
        return {}
    return {"guess": str(solution_path(lib, best["id"])), "guess_height_m": float(best["params"].get("height_m", 1.75))}


#: a route: (physics route, library warm start?, IPOPT options)
Route = tuple[str, bool, dict[str, str]]


def routes(candidate: dict[str, str]) -> dict[str, Route]:
    """``v1``, ``v2`` (library warm start), ``v2 cold``; with candidate IPOPT options also
    ``v1 candidate`` and ``v2 candidate`` (library warm start)."""
    out: dict[str, Route] = {"v1": ("v1", False, {}), "v2": ("v2", True, {}), "v2 cold": ("v2", False, {})}
    if candidate:
        out.update({"v1 candidate": ("v1", False, candidate), "v2 candidate": ("v2", True, candidate)})
    return out


def timed(params: dict[str, float], route: Route, timeout_s: float) -> tuple[float, object]:
    """Core-seconds of the solves (CPU time of the worker subprocesses, so other load on the
    machine does not count) and the simulation. Run it in its own process when routes run
    side by side: the CPU time is this process's children's."""
    import resource

    physics_route, warm_start, options = route
    warm = library_guess(params) if warm_start else {}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    sim = simulate_gait(params, route=physics_route, timeout_s=timeout_s, ipopt_options=options, **warm)  # type: ignore[arg-type]
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime), sim


def ipopt_option(text: str) -> tuple[str, str]:
    """``NAME=VALUE`` of ``--candidate`` (argparse turns the error into one line, exit 2)."""
    name, sep, value = text.partition("=")
    if not sep or not name or not value:
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME=VALUE (e.g. bound_push=1e-6)")
    return name, value


def main() -> None:
    from concurrent.futures import ProcessPoolExecutor

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="one body (nominal 70 y)")
    parser.add_argument("--timeout", type=float, default=1800.0)
    parser.add_argument("--candidate", action="append", default=[], metavar="NAME=VALUE", type=ipopt_option,
                        help="candidate IPOPT option (repeatable): adds the routes 'v1 candidate' and 'v2 candidate'")
    parser.add_argument("--jobs", type=int, default=1,
                        help="routes solved side by side, each in its own process (core-seconds stay per route)")
    args = parser.parse_args()
    bodies = BODIES[:1] if args.quick else BODIES
    candidate = dict(args.candidate)
    planned = routes(candidate)
    totals = dict.fromkeys(planned, 0.0)
    converged = 0
    gaps = []
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for name, params in bodies:
            futures = {route: pool.submit(timed, params, spec, args.timeout) for route, spec in planned.items()}
            speeds = {}
            for route, future in futures.items():
                seconds, sim = future.result()
                totals[route] += seconds
                speeds[route] = sim.speed_m_s  # type: ignore[attr-defined]
                converged += int(route == "v2" and sim.success)  # type: ignore[attr-defined]
                m = sim.measures  # type: ignore[attr-defined]
                print(f"# {name} {route}: success={sim.success} speed={sim.speed_m_s:.3f} m/s "  # type: ignore[attr-defined]
                      f"cadence={m.get('cadence_steps_min', float('nan')):.1f} stance={m.get('stance_pct', float('nan')):.1f}% "
                      f"knee={m.get('peak_knee_flexion_swing_deg', float('nan')):.1f}° "
                      f"objective={sim.objective:.5f} iterations={sim.iterations} {seconds:.0f} core-s", flush=True)  # type: ignore[attr-defined]
            gaps.append(speeds["v2"] - speeds["v2 cold"])
    n = len(bodies)
    print(f"core_seconds_per_patient_v1: {totals['v1'] / n:.1f}")
    print(f"core_seconds_per_patient: {totals['v2'] / n:.1f}")
    print(f"speedup_vs_v1: {totals['v1'] / max(totals['v2'], 1e-9):.2f}")
    print(f"core_seconds_per_patient_cold: {totals['v2 cold'] / n:.1f}")
    print(f"speedup_vs_v1_cold: {totals['v1'] / max(totals['v2 cold'], 1e-9):.2f}")
    if candidate:
        print(f"candidate_ipopt_options: {candidate}")
        print(f"core_seconds_per_patient_v1_candidate: {totals['v1 candidate'] / n:.1f}")
        print(f"core_seconds_per_patient_candidate: {totals['v2 candidate'] / n:.1f}")
        print(f"speedup_vs_v1_candidate: {totals['v1 candidate'] / max(totals['v2 candidate'], 1e-9):.2f}")
        print(f"candidate_speedup: {totals['v2'] / max(totals['v2 candidate'], 1e-9):.2f}")
    print(f"warm_minus_cold_speed_m_s: {', '.join(f'{g:+.3f}' for g in gaps)}")
    print(f"seconds_per_sim: {totals['v2'] / n:.1f}")
    print(f"convergence_rate: {converged / n:.2f}")
    if not args.quick:
        from concurrent.futures import ThreadPoolExecutor

        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=2) as threads:  # each solve is its own subprocess
            list(threads.map(lambda body: simulate_gait(body[1], timeout_s=args.timeout), bodies))
        print(f"speedup_2_workers: {totals['v2'] / (time.perf_counter() - start):.2f}")


if __name__ == "__main__":
    main()
