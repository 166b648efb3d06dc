"""Benchmark device error as it emerges from the signals, against the fast calibrated path the trials use.

    .venv/bin/python benchmarks/device_signal_error.py --quick     # ≈ 30 s on 2 cores

Virtual patients of the shipped cohorts ``healthy_older``, ``early_pd`` and
``moderate_pd`` (reference model) are measured through each device's signals
(:func:`trialsim.sensors.signal_devices.measure_from_signals`: 60 s insole or ankle-IMU
walks, a 3-stride video pass) and read back by event detection. Prints, per device and
measure, the signal path's bias and SD of (observed − true), its time per patient, and
``sd_ratio_calibrated_vs_signal`` (the fast path's SD over the signal path's: ≥ 1 by
construction, see ``trialsim/sensors/devices.py``).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 patients per cohort instead of 60")
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    from trialsim.generative.reference import ReferenceGaitModel
    from trialsim.sensors.signal_devices import (
        SIGNAL_MEASURES,
        measure_from_signals,
        signal_error_table,
    )
    from trialsim.spec.loading import load_shipped_cohort
    from trialsim.spec.names import GAIT_MEASURES
    from trialsim.trial.enrolment import sample_cohort

    n = 20 if args.quick else 60
    df = pd.concat([sample_cohort(load_shipped_cohort(c), n=n, seed=args.seed, simulator=ReferenceGaitModel())
                    for c in ("healthy_older", "early_pd", "moderate_pd")], ignore_index=True)
    truth = {m: df[m].to_numpy(float) for m in GAIT_MEASURES}
    print(f"# {len(df)} patients (healthy_older, early_pd, moderate_pd; reference model)")
    for device in sorted(SIGNAL_MEASURES):
        t0 = time.perf_counter()
        observed = measure_from_signals(truth, device=device, rng=np.random.default_rng(args.seed), height_m=df["height_m"].to_numpy(),
                                        body_mass_kg=df["body_mass_kg"].to_numpy(), motor_noise=df["motor_noise"].to_numpy())
        seconds = (time.perf_counter() - t0) / len(df)
        table = signal_error_table(truth, observed, device=device)
        print(f"{device}_seconds_per_patient: {seconds:.3f}")
        for r in table.itertuples():
            print(f"{device}_{r.measure}_bias: {r.bias:+.4f}")
            print(f"{device}_{r.measure}_sd: {r.sd:.4f}")
            print(f"# {device}_{r.measure}: relative bias {r.relative_bias:+.3f} (calibrated {r.calibrated_relative_bias:+.3f}); "
                  f"sd_ratio_calibrated_vs_signal {r.calibrated_sd / r.sd:.2f}")


if __name__ == "__main__":
    main()
