"""Digital twins on the TEST-ONLY toy generator: posterior shapes, information, calibration."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trialsim.generative.twin import INFERRED, fit_twin, make_twins, twin_calibration

MEASURES = ("gait_speed_m_s", "stride_length_m", "cadence_steps_min", "stance_pct", "stride_time_cv_pct",
            "peak_knee_flexion_swing_deg")


@pytest.fixture(scope="module")
def twin(toy_generator):
    return fit_twin(toy_generator, measures=MEASURES, n_train=1024, steps=300, seed=0)


def test_twin_intervals_cover_held_out_patients(toy_generator, twin):
    report = twin_calibration(toy_generator, twin, n=200, seed=5, draws=100)
    assert 0.8 <= report["coverage_90_mean"] <= 0.99
    per = report["parameters"]
    # the gait carries information: knee contracture and motor noise are learned, not the prior
    assert per["fiber_length_knee_flexors"]["posterior_sd_over_prior_sd"] < 0.8
    assert per["motor_noise"]["posterior_sd_over_prior_sd"] < 0.8


def test_make_twins_table(toy_generator):
    baseline = pd.DataFrame({"patient_id": ["a", "b"], "gait_speed_m_s": [1.3, 0.9], "cadence_steps_min": [112.0, 100.0],
                             "stride_time_cv_pct": [1.7, 3.5], "height_m": [1.75, 1.65], "age_years": [60.0, 70.0]})
    out = make_twins(baseline, generator=toy_generator, draws=50, n_train=512, steps=150)
    assert list(out["patient_id"]) == ["a", "b"]
    for name in INFERRED:
        assert (out[f"{name}_q05"] <= out[f"{name}_mean"]).all()
        assert (out[f"{name}_mean"] <= out[f"{name}_q95"]).all()
    # the patient with the higher stride-time CV is inferred to have more motor noise
    assert out["motor_noise_mean"].iloc[1] > out["motor_noise_mean"].iloc[0]
    pred = out["predicted_control_gait_speed_m_s_mean"].to_numpy()
    assert pred[0] > pred[1]
    assert np.isfinite(out["predicted_control_gait_speed_m_s_sd"]).all()
