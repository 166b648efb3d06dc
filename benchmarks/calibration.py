"""Benchmark the generator's virtual populations against published figures (issue #15).

    .venv/bin/python benchmarks/calibration.py          # ≈ 1 min on 2 cores

Prints ``name: value`` lines (BENCHMARKS.md-ready):

- the calibration fit of ``cohorts/healthy_older.yaml``'s targets (Bohannon 2011 by decade
  and sex; SD 0.18, Fukuchi 2018): per target the fitted mean and SD and the residual;
  ``rms_residual_m_s`` calibrated vs uncalibrated (the generator's own speed preference,
  ``u ~ N(0, 1)``) and their ratio;
- checks the fit never saw: the PD − control gap (early_pd vs matched controls; Zanardi
  2021: −0.17), speed by Hoehn & Yahr stage, stride-time CV PD / control;
- the held-out self-selected speed of the direct speed head (``TrainConfig.speed_head=1``)
  on library v2's bodies (grouped folds), against a constant predictor; the shipped head's
  figures are in ``trialsim/data/generator/fidelity.json`` (``trialsim generator evaluate``).
"""

from __future__ import annotations

import argparse

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--patients", type=int, default=8000, help="virtual patients per disease check")
    parser.add_argument("--quick", action="store_true", help="2,000 patients per disease check")
    args = parser.parse_args()
    if args.quick:
        args.patients = 2000

    from trialsim.generative.dataset import load_training_data
    from trialsim.generative.loader import load_default_generator
    from trialsim.generative.speed_model import held_out_speed
    from trialsim.population.calibration import (
        CalibrationFit,
        calibrate,
        calibrated_gait,
        matched_controls,
    )
    from trialsim.spec.loading import load_shipped_cohort

    gen = load_default_generator()
    healthy = load_shipped_cohort("healthy_older")
    fit = calibrate(healthy, gen, seed=args.seed)
    table = fit.table()
    print(f"# calibration of {healthy.name}: speed preference u ~ N({fit.shift:.3f}, {fit.scale:.3f}²) × tau {fit.tau:.3f}")
    for row in table.itertuples():
        print(f"target {row.stratum}: target {row.target_mean:.2f} ± {row.target_sd:.2f}, fitted {row.fitted_mean:.3f} ± "
              f"{row.fitted_sd:.3f} (residual {row.residual_mean:+.3f} m/s, SD ratio {row.sd_ratio:.2f}, n {row.n_virtual})")
    none = CalibrationFit(healthy.name, 0.0, 1.0, fit.tau, [])
    raw = calibrated_gait(healthy, gen, none, n=20_000, seed=args.seed)
    residuals = []
    for t in healthy.calibration.targets if healthy.calibration else []:
        lo, hi = t.age_years if t.age_years is not None else (0.0, 200.0)
        keep = (raw.age_years >= lo) & (raw.age_years < hi) & (raw.sex == (1.0 if t.sex == "female" else 0.0))
        residuals.append(raw.gait_speed_m_s[keep].mean() - t.mean)
        print(f"uncalibrated {t.sex} {lo:g}-{hi:g}: {raw.gait_speed_m_s[keep].mean():.3f} ± "
              f"{raw.gait_speed_m_s[keep].std():.3f} m/s (target {t.mean:.2f} ± {t.sd:.2f})")
    rms_cal = float(np.sqrt(np.mean(table.residual_mean**2)))
    rms_raw = float(np.sqrt(np.mean(np.square(residuals))))
    print(f"rms_residual_m_s: calibrated {rms_cal:.3f}, uncalibrated {rms_raw:.3f}, ratio {rms_raw / rms_cal:.1f}")

    early = load_shipped_cohort("early_pd")
    pd_df = calibrated_gait(early, gen, fit, n=args.patients, seed=2)
    ctl = calibrated_gait(matched_controls(early, healthy), gen, fit, n=args.patients, seed=2)
    gap = pd_df.gait_speed_m_s.mean() - ctl.gait_speed_m_s.mean()
    print(f"pd_control_gap_m_s: {gap:+.3f} (PD {pd_df.gait_speed_m_s.mean():.3f} ± {pd_df.gait_speed_m_s.std():.3f}, "
          f"controls {ctl.gait_speed_m_s.mean():.3f} ± {ctl.gait_speed_m_s.std():.3f}; Zanardi 2021: -0.17)")
    stages = pd_df.groupby("hoehn_yahr").gait_speed_m_s.mean()
    print("speed_by_hoehn_yahr: " + ", ".join(f"{s:g}: {v:.3f}" for s, v in stages.items()))
    print(f"stride_time_cv_pd_over_control: {pd_df.stride_time_cv_pct.mean() / ctl.stride_time_cv_pct.mean():.2f} "
          f"({pd_df.stride_time_cv_pct.mean():.2f} vs {ctl.stride_time_cv_pct.mean():.2f} %)")

    from importlib import resources

    # the library the shipped generator is trained on (v2: one free-speed solve per body)
    speed = held_out_speed(load_training_data(str(resources.files("trialsim").joinpath("data/library_v2"))), seed=args.seed)
    print(f"direct_speed_head_held_out: {speed['n_bodies']} bodies, r {speed['correlation']:.2f}, MAE {speed['mae_m_s']:.3f} "
          f"vs constant {speed['constant_mae_m_s']:.3f} (ratio {speed['mae_ratio_vs_constant']:.2f}), sampled SD ratio "
          f"{speed['sampled_sd_ratio']:.2f}")


if __name__ == "__main__":
    main()
