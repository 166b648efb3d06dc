"""Benchmark the seed study's claim on insoles: a gait-speed estimator trained only on synthetic data, tested on real patients.

    .venv/bin/python benchmarks/synthetic_to_real.py --quick     # ≈ 2 min on 2 cores
    .venv/bin/python benchmarks/synthetic_to_real.py [--real DIR] [--simulator reference|generator] [--n N] [--matched]

Real data: the PhysioNet gaitpdb "Si" sub-study (35 PD, 29 controls, usual-walk insole
totals at 100 Hz and walkway-measured speed; ``--real``, default
``../shared/reference-data/gaitpdb-si`` next to the repository). It is a development
set for *checking*: nothing here is fitted to it except the real-data baseline below.

Synthetic data: ``trialsim synth insoles`` patients (in memory, same streams) of the
shipped cohorts ``healthy_older`` (controls) and ``early_pd`` + ``moderate_pd`` (PD),
2 minutes of walking with turns every 25 m, ``--n`` per cohort.

One estimator, one feature extractor (:func:`trialsim.sensors.events.force_features`)
for all: ridge regression (standardised features, λ = 1) of gait speed on the insole
features plus height and height / stride time (stride length scales with height). It is

- trained on the synthetic subjects only and tested on the real ones → ``synthetic_mae``;
- trained on the real subjects by leave-one-out cross-validation → ``real_cv_mae``;
- replaced by the training mean (leave-one-out) → ``mean_mae``.

``c2st_auc``: classifier two-sample test of real vs synthetic features
(:func:`trialsim.datasets.fidelity.c2st_auc`, all subjects; ``#`` lines per group).
Targets (issue 16): ``synthetic_mae ≤ 1.1 × real_cv_mae`` and ``c2st_auc ≤ 0.7``.

``--matched`` adds an extra row (``matched_*`` lines; the rows above are unchanged): the
same shipped cohorts with the real set's *covariates* only — age (mean, SD, range) and
share of women per group, and the PD patients' Hoehn & Yahr mix — so that the shipped
cohorts' older controls (≈ 70 y against ≈ 58 y) and H&Y 3 patients do not count as a
signal error. No gait value of the real set enters it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ESTIMATOR_FEATURES = ("stride_time_s", "stance_pct", "double_support_pct", "stride_time_cv_pct", "swing_time_cv_pct",
                      "force_peak1_rel", "force_trough_rel", "force_peak2_rel")
DEFAULT_REAL = Path(__file__).resolve().parents[1].parent / "shared" / "reference-data" / "gaitpdb-si"


def _design(df: pd.DataFrame) -> np.ndarray:
    x = df[list(ESTIMATOR_FEATURES)].to_numpy(float)
    extra = np.column_stack([df["height_m"].to_numpy(float), df["height_m"].to_numpy(float) / df["stride_time_s"].to_numpy(float)])
    return np.column_stack([x, extra])


def _ridge_fit_predict(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, lam: float = 1.0) -> np.ndarray:
    centre = np.nanmedian(x_train, axis=0)
    x_train = np.where(np.isfinite(x_train), x_train, centre)
    x_test = np.where(np.isfinite(x_test), x_test, centre)
    mu, sd = x_train.mean(0), x_train.std(0) + 1e-12
    zt, zs = (x_train - mu) / sd, (x_test - mu) / sd
    beta = np.linalg.solve(zt.T @ zt + lam * np.eye(zt.shape[1]), zt.T @ (y_train - y_train.mean()))
    return y_train.mean() + zs @ beta


def real_features(folder: Path) -> pd.DataFrame:
    from trialsim.sensors.events import force_features

    subjects = pd.read_csv(folder / "subjects.csv")
    forces = np.load(folder / "usual_walk_total_force_n.npz")
    rows = []
    for s in subjects.itertuples():
        left, right = forces[f"{s.subject}_L"], forces[f"{s.subject}_R"]
        n = min(len(left), len(right))
        rows.append({"subject": s.subject, "group": "pd" if s.pd else "control", "height_m": s.height_m,
                     "gait_speed_m_s": s.speed_01_m_s, **force_features(left[:n], right[:n])})
    return pd.DataFrame(rows)


def matched_cohorts(folder: Path) -> list[tuple[Any, str, int]]:
    """``(cohort, group, share of n)``: shipped cohorts with the real set's age, sex and H&Y mix (module docs)."""
    from trialsim.spec.cohort import CohortSpec
    from trialsim.spec.loading import load_shipped_cohort

    subjects = pd.read_csv(folder / "subjects.csv")
    out = []
    for name, group in (("healthy_older", "control"), ("early_pd", "pd")):
        real = subjects[subjects.pd == (1 if group == "pd" else 0)]
        spec = load_shipped_cohort(name).model_dump(mode="json")
        age = real.age_years.astype(float)
        spec["name"] = f"{name}_matched"
        spec["covariates"]["age_years"] = {"distribution": "normal", "mean": float(age.mean()), "sd": float(age.std()),
                                           "low": float(age.min()), "high": float(age.max())}
        spec["covariates"]["sex"] = {"female_fraction": float(real.female.mean())}
        spec["inclusion"] = [c for c in spec["inclusion"] if c["variable"] != "age_years"]
        if group == "pd":
            stages = real.hoehn_yahr.astype(float).value_counts(normalize=True).sort_index()
            spec["severity"]["probabilities"] = {float(k): float(v) for k, v in stages.items()}
        out.append((CohortSpec.model_validate(spec), group, 2 if group == "pd" else 1))
    return out


def synthetic_features(simulator_name: str, n: int, seed: int, cohorts: list[tuple[Any, str, int]] | None = None) -> pd.DataFrame:
    from trialsim.datasets.synth import insole_features
    from trialsim.generative.simulators import simulator_named as select_simulator
    from trialsim.spec.loading import load_shipped_cohort
    from trialsim.spec.names import GAIT_MEASURES

    sim = select_simulator(simulator_name)
    if cohorts is None:
        cohorts = [(load_shipped_cohort("healthy_older"), "control", 1), (load_shipped_cohort("early_pd"), "pd", 1),
                   (load_shipped_cohort("moderate_pd"), "pd", 1)]
    parts = []
    for k, (cohort, group, share) in enumerate(cohorts):
        n_cohort = n if group == "control" else n * share // 2
        df = insole_features(cohort, n=n_cohort, seed=seed + k, simulator=sim)
        truth = {c: f"true_{c}" for c in GAIT_MEASURES if c != "gait_speed_m_s"}
        df = df.rename(columns=truth).rename(columns=lambda c: c.removeprefix("feature_"))
        df["group"] = group
        parts.append(df)
    return pd.concat(parts, ignore_index=True)


def _report(real: pd.DataFrame, syn: pd.DataFrame, *, label: str, prefix: str) -> None:
    """Fit, score and print one row of figures (``prefix`` names an extra row, e.g. ``matched_``)."""
    from trialsim.datasets.fidelity import c2st_auc

    real_ok = real.dropna(subset=list(ESTIMATOR_FEATURES)).reset_index(drop=True)
    syn_ok = syn.dropna(subset=list(ESTIMATOR_FEATURES)).reset_index(drop=True)
    y = real_ok["gait_speed_m_s"].to_numpy(float)
    x_real, x_syn = _design(real_ok), _design(syn_ok)

    pred_syn = _ridge_fit_predict(x_syn, syn_ok["gait_speed_m_s"].to_numpy(float), x_real)
    pred_cv, pred_mean = np.empty(len(y)), np.empty(len(y))
    for i in range(len(y)):
        keep = np.arange(len(y)) != i
        pred_cv[i] = _ridge_fit_predict(x_real[keep], y[keep], x_real[i : i + 1])[0]
        pred_mean[i] = y[keep].mean()
    mae = {k: float(np.abs(p - y).mean()) for k, p in (("synthetic", pred_syn), ("real_cv", pred_cv), ("mean", pred_mean))}
    auc = c2st_auc(real, syn)

    print(f"# {label}; real subjects {len(real_ok)} of {len(real)}; synthetic {len(syn_ok)} of {len(syn)}")
    print(f"{prefix}synthetic_mae: {mae['synthetic']:.4f}")
    print(f"{prefix}real_cv_mae: {mae['real_cv']:.4f}")
    print(f"{prefix}mean_mae: {mae['mean']:.4f}")
    print(f"{prefix}synthetic_r: {np.corrcoef(pred_syn, y)[0, 1]:.3f}")
    print(f"{prefix}real_cv_r: {np.corrcoef(pred_cv, y)[0, 1]:.3f}")
    print(f"{prefix}synthetic_bias_m_s: {float((pred_syn - y).mean()):+.4f}")
    print(f"{prefix}mae_ratio_synthetic_vs_real_cv: {mae['synthetic'] / mae['real_cv']:.3f}")
    print(f"{prefix}c2st_auc: {auc:.3f}")
    for g in ("control", "pd"):
        print(f"# {prefix}c2st_auc_{g}: {c2st_auc(real[real.group == g], syn[syn.group == g]):.3f}")
    print("# feature means (real | synthetic), by group:")
    for g in ("control", "pd"):
        r, s = real[real.group == g], syn[syn.group == g]
        cells = [f"{f} {r[f].mean():.3g}|{s[f].mean():.3g}" for f in ("stride_time_s", "stance_pct", "double_support_pct",
                 "stride_time_cv_pct", "swing_time_cv_pct", "dfa_alpha", "force_peak1_rel", "force_trough_rel", "force_peak2_rel")]
        print(f"#   {g}: speed {r.gait_speed_m_s.mean():.3g}|{s.gait_speed_m_s.mean():.3g}; " + "; ".join(cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 synthetic subjects per group instead of 300")
    parser.add_argument("--real", type=Path, default=None, help=f"gaitpdb-si folder (subjects.csv + npz; default {DEFAULT_REAL})")
    parser.add_argument("--simulator", default="generator", choices=("reference", "generator"))
    parser.add_argument("--n", type=int, default=None, help="synthetic subjects per group (controls; PD split over two cohorts)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--matched", action="store_true", help="add a row with cohorts matched to the real set's age, sex, H&Y")
    args = parser.parse_args()
    if args.real is None:
        if not (DEFAULT_REAL / "subjects.csv").is_file():  # a fresh clone without the development set (`make bench`)
            print(f"# skipped: no development set at {DEFAULT_REAL}; pass --real DIR")
            return
        args.real = DEFAULT_REAL
    if not (args.real / "subjects.csv").is_file():
        print(f"error: --real: {args.real} has no subjects.csv (the gaitpdb-si development set)", file=sys.stderr)
        raise SystemExit(2)
    n = args.n or (100 if args.quick else 300)

    t0 = time.perf_counter()
    real = real_features(args.real)
    _report(real, synthetic_features(args.simulator, n, args.seed), label=f"simulator {args.simulator}", prefix="")
    if args.matched:
        syn = synthetic_features(args.simulator, n, args.seed, cohorts=matched_cohorts(args.real))
        _report(real, syn, label=f"simulator {args.simulator}, cohorts matched to the real set's age, sex and H&Y", prefix="matched_")
    print(f"# seconds: {time.perf_counter() - t0:.0f}")


if __name__ == "__main__":
    main()
