"""Devices measuring from signals: their error against the truth, and the fast calibrated path matching it."""

from __future__ import annotations

import numpy as np
import pytest

from trialsim.sensors.devices import DEVICES, measure
from trialsim.sensors.signal_devices import (
    SIGNAL_MEASURES,
    measure_from_signals,
    signal_error_table,
)
from trialsim.spec.names import GAIT_MEASURES


@pytest.fixture(scope="module")
def patients():
    from trialsim.generative.reference import ReferenceGaitModel
    from trialsim.spec.loading import load_shipped_cohort
    from trialsim.trial.enrolment import sample_cohort

    return sample_cohort(load_shipped_cohort("early_pd"), n=40, seed=8, simulator=ReferenceGaitModel())


@pytest.mark.parametrize("device", sorted(SIGNAL_MEASURES))
def test_signal_path_error_is_reported_and_the_fast_path_matches_it(device, patients):
    names = [m for m in DEVICES[device].measures() if m in patients.columns]
    truth = {m: patients[m].to_numpy(float) for m in GAIT_MEASURES}  # the whole true gait, as the trial has it
    observed = measure_from_signals(truth, device=device, rng=np.random.default_rng(0), height_m=patients["height_m"].to_numpy(),
                                    body_mass_kg=patients["body_mass_kg"].to_numpy(), motor_noise=patients["motor_noise"].to_numpy())
    table = signal_error_table(truth, observed, device=device)
    print(f"\n{device}: device-from-signal error against the truth (40 early-PD patients)\n{table.round(4).to_string()}")
    assert set(table["measure"]) == set(SIGNAL_MEASURES[device])
    fast = measure({m: np.repeat(truth[m], 50) for m in names}, device=device, rng=np.random.default_rng(1))
    for row in table.itertuples():
        true_m = np.repeat(truth[row.measure], 50)
        fast_err = fast[row.measure] - true_m
        assert row.sd > 0  # the signal path is not error-free
        # the calibrated path's mean error matches the signal path's (within 3 standard errors + 0.5 % of the mean)
        tolerance = 3 * row.sd / np.sqrt(len(patients)) + 0.005 * abs(true_m.mean())
        assert fast_err.mean() == pytest.approx(row.bias, abs=tolerance), row.measure
        # and it is never more precise than the signal path
        assert fast_err.std() >= 0.8 * row.sd, row.measure
