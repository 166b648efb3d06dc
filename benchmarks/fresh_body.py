"""A never-seen body: fresh physics solves against the generator (issue #15 "Done when").

    .venv/bin/python benchmarks/fresh_body.py             # 1 free-speed Moco solve: ≈ 4 min on 2 cores
    .venv/bin/python benchmarks/fresh_body.py --quick     # 1 solve at the generator's speed: ≈ 1–5 min

Draws one body the library never saw (seeded: plantar-flexor strength U(0.5, 1.1), height
U(1.55, 1.90) m, knee-flexor fibre length U(0.75, 1.0); mass at BMI 24.5), lets the physics
choose its speed (:func:`trialsim.musculoskeletal.simulate_gait` without a speed: physics v2's
one free-speed solve, energy and time priced, at library settings; cold start from the nominal
solution), and compares speed, step length and
cadence with the generator's typical gait for the same body (target: within 10 %). With
``--quick`` the physics walks at the generator's chosen speed (one solve), so only step length
and cadence at that speed are compared. Also prints the spread of 200 generator samples of
that body. Prints ``name: value`` lines.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

#: issue #15: a never-seen body's fresh solve and the generator's typical gait agree within 10 %
WITHIN = 0.10


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=600.0, help="per solve (s)")
    parser.add_argument("--quick", action="store_true", help="one solve at the generator's speed (no speed choice)")
    args = parser.parse_args()

    from trialsim.generative.loader import load_default_generator
    from trialsim.musculoskeletal.library_v2 import LIBRARY_SETTINGS
    from trialsim.musculoskeletal.simulation import simulate_gait

    rng = np.random.default_rng([args.seed, 15])
    height = float(rng.uniform(1.55, 1.90))
    body = {"height_m": height, "body_mass_kg": round(24.5 * height**2, 1),
            "strength_plantarflexors": float(rng.uniform(0.5, 1.1)),
            "fiber_length_knee_flexors": float(rng.uniform(0.75, 1.0))}
    print("# body: " + ", ".join(f"{k} {v:.3f}" for k, v in body.items()))
    gen = load_default_generator()
    one = {k: np.array([v]) for k, v in body.items()}
    typical = gen.generate(one, with_curves=False).measures
    many = {k: np.full(200, v) for k, v in body.items()}
    drawn = gen.generate(many, rng=np.random.default_rng(args.seed), predictive=True, with_curves=False).measures
    start = time.perf_counter()
    imposed = float(typical["gait_speed_m_s"][0]) if args.quick else None
    sim = simulate_gait(body, speed_m_s=imposed, timeout_s=args.timeout, **LIBRARY_SETTINGS)
    what = f"at the generator's speed {imposed:.3f} m/s (--quick)" if imposed else "for the speed choice (1 free-speed solve)"
    print(f"# physics: success {sim.success} ({sim.status}), {time.perf_counter() - start:.0f} s {what}")
    within = True
    for m in ("gait_speed_m_s", "step_length_m", "cadence_steps_min"):
        g = float(typical[m][0])
        p = float(sim.measures.get(m, float("nan")))
        within &= bool(abs(g / p - 1) <= WITHIN)
        print(f"{m}: physics {p:.3f}, generator {g:.3f} ({100 * (g / p - 1):+.1f} %), 200 samples "
              f"{drawn[m].mean():.3f} ± {drawn[m].std():.3f}")
    print(f"within_10_pct: {'yes' if within and sim.success else 'NO (target missed)'}")
    print(f"samples_spread: {'yes' if drawn['gait_speed_m_s'].std() > 0 else 'NO (target missed)'}")


if __name__ == "__main__":
    main()
