"""What separates synthetic from real insole features, and what biases the synthetic-trained estimator.

    .venv/bin/python benchmarks/synthetic_to_real_diagnose.py [--simulator reference|generator] [--n N] [--matched]

Same patients, features and estimator as ``benchmarks/synthetic_to_real.py`` (whose
functions it reuses), on the development set only (a check, never a fit). Prints

- per group and feature: real and synthetic mean ± SD, the standardised difference
  ``d``, the SD ratio, the two-sample AUC of that feature alone (with its square) and the
  AUC with that feature removed (a feature whose removal leaves the AUC unchanged is not
  what makes the data separable);
- the estimator's bias split into the gap between the synthetic and real mean speeds and
  each feature's ``β · shift`` (ridge coefficient on the standardised feature times the
  real-minus-synthetic mean in synthetic SDs).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import synthetic_to_real as bench


def _only(df: pd.DataFrame, keep: str | None, drop: str | None, features: tuple[str, ...]) -> pd.DataFrame:
    out = df.copy()
    for f in features:
        if (keep is not None and f != keep) or f == drop:
            out[f] = 1.0
    return out


def main() -> None:
    from trialsim.datasets.fidelity import C2ST_FEATURES, c2st_auc

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--simulator", default="reference", choices=("reference", "generator"))
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--matched", action="store_true", help="cohorts matched to the real set's age, sex and H&Y")
    parser.add_argument("--real", type=Path, default=bench.DEFAULT_REAL)
    args = parser.parse_args()
    real = bench.real_features(args.real)
    syn = bench.synthetic_features(args.simulator, args.n, 0, cohorts=bench.matched_cohorts(args.real) if args.matched else None)

    print("group feature: real mean±SD | synthetic mean±SD | d | SD ratio | AUC alone | AUC without")
    for g in ("control", "pd"):
        r, s = real[real.group == g], syn[syn.group == g]
        for f in C2ST_FEATURES:
            a, b = r[f].dropna(), s[f].dropna()
            pooled = float(np.sqrt(0.5 * (a.var() + b.var())))
            alone = c2st_auc(_only(r, f, None, C2ST_FEATURES), _only(s, f, None, C2ST_FEATURES))
            without = c2st_auc(_only(r, None, f, C2ST_FEATURES), _only(s, None, f, C2ST_FEATURES))
            print(f"{g:7s} {f:22s} {a.mean():7.3f}±{a.std():6.3f} | {b.mean():7.3f}±{b.std():6.3f} | "
                  f"{(b.mean() - a.mean()) / pooled:+5.2f} | {b.std() / a.std():4.2f} | {alone:.3f} | {without:.3f}")

    real_ok = real.dropna(subset=list(bench.ESTIMATOR_FEATURES)).reset_index(drop=True)
    syn_ok = syn.dropna(subset=list(bench.ESTIMATOR_FEATURES)).reset_index(drop=True)
    xs, xr = bench._design(syn_ok), bench._design(real_ok)
    ys, y = syn_ok.gait_speed_m_s.to_numpy(float), real_ok.gait_speed_m_s.to_numpy(float)
    mu, sd = xs.mean(0), xs.std(0) + 1e-12
    zs = (xs - mu) / sd
    beta = np.linalg.solve(zs.T @ zs + np.eye(zs.shape[1]), zs.T @ (ys - ys.mean()))
    names = [*bench.ESTIMATOR_FEATURES, "height_m", "height_per_stride_time"]
    pred = bench._ridge_fit_predict(xs, ys, xr)
    print(f"\nbias {np.mean(pred - y):+.4f} m/s = population gap {ys.mean() - y.mean():+.4f} + features:")
    for j, name in enumerate(names):
        print(f"  {name:24s} beta {beta[j]:+.3f}  beta*shift {beta[j] * (xr[:, j].mean() - mu[j]) / sd[j]:+.4f}")


if __name__ == "__main__":
    main()
