"""Library v2 per phenotype against published figures (the table in BENCHMARKS.md).

    .venv/bin/python benchmarks/physics_phenotypes.py [LIBRARY_DIR]   # default: trialsim/data/library_v2

Reads the converged self-selected bodies of a library and prints, per phenotype and
measure, n, median, interquartile range, the published target with its source and the
stated tolerance, and PASS / FAIL. A row with no bodies says so (never dropped).
Also prints ``rows_passing: k/n``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

# (phenotype, measure, low, high, target text, source)
TARGETS: tuple[tuple[str, str, float, float, str, str], ...] = (
    ("healthy", "gait_speed_m_s", 1.10, 1.45, "1.13–1.43 m/s by decade and sex, ±0.03", "Bohannon & Williams Andrews 2011"),
    ("healthy", "cadence_steps_min", 95.0, 125.0, "109.8 ± 9.1 steps/min (±1.7 SD)", "Bovi et al. 2011"),
    ("healthy", "stance_pct", 59.0, 65.0, "62.6 ± 2.0 % (59–65)", "Bovi et al. 2011"),
    ("healthy", "peak_knee_flexion_swing_deg", 50.0, 75.0, "64.1 ± 4.9° (≥ 50)", "Bovi et al. 2011"),
    ("parkinsons", "gait_speed_m_s", 0.92, 1.32, "1.12 ± 0.15 m/s (H&Y 2–3; ±0.2)", "Frenkel-Toledo et al. 2005"),
    ("parkinsons", "peak_knee_flexion_swing_deg", 45.0, 75.0, "≈ 55–60° (≥ 45)", "issue #14; Zanardi et al. 2021 (reduced excursions)"),
    ("parkinsons", "stance_pct", 59.0, 68.0, "≥ 59 % (double support increased)", "Zanardi et al. 2021"),
    ("cerebral_palsy", "cadence_steps_min", 110.0, 160.0, "GMFCS I–II ≈ 120–145 (110–160)", "issue #14"),
    ("cerebral_palsy", "stance_pct", 59.0, 70.0, "≥ 59 %", "issue #14"),
    ("stroke", "gait_speed_m_s", 0.4, 0.9, "limited community 0.4–0.8 (0.4–0.9)", "Perry et al. 1995"),
    ("stroke", "stance_pct", 59.0, 72.0, "≥ 59 %", "issue #14"),
    ("broad", "stance_pct", 59.0, 72.0, "≥ 59 %", "issue #14"),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("library", nargs="?", default=str(Path(__file__).parents[1] / "trialsim/data/library_v2"))
    args = parser.parse_args()
    from trialsim.musculoskeletal.library import load_library

    sims = load_library(args.library).simulations
    ok = sims[sims["success"] & (sims.get("speed_source", "imposed") == "self_selected")]
    print(f"# {args.library}: {len(ok)} converged self-selected bodies of {int((sims.get('speed_source') == 'self_selected').sum())}")
    print("| phenotype | measure | n | median | IQR | target | source | result |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    passing = 0
    for phenotype, measure, low, high, target, source in TARGETS:
        values = ok.loc[ok["phenotype"] == phenotype, measure].dropna().to_numpy(float) if measure in ok else np.array([])
        if len(values) == 0:
            print(f"| {phenotype} | {measure} | 0 | – | – | {target} | {source} | NO BODIES YET |")
            continue
        median = float(np.median(values))
        q1, q3 = (float(x) for x in np.percentile(values, [25, 75]))
        result = "PASS" if low <= median <= high else "FAIL"
        passing += result == "PASS"
        print(f"| {phenotype} | {measure} | {len(values)} | {median:.2f} | {q1:.2f}–{q3:.2f} | {target} | {source} | {result} |")
    print(f"rows_passing: {passing}/{len(TARGETS)}")


if __name__ == "__main__":
    main()
