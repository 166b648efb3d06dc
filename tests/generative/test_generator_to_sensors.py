"""Generated gait through the signal-level devices (TEST-ONLY toy generator)."""

from __future__ import annotations

import numpy as np
import pytest

from trialsim.sensors.insoles import continuous_walk, insole_measures


def test_insoles_on_generated_vgrf_recover_the_generated_variability(toy_generator):
    g = toy_generator.generate({"motor_noise": np.array([2.0]), "speed_m_s": np.array([1.2])})
    names = list(g.curve_names)
    right = g.curves[0, :, names.index("grf_vertical_r_bw")]
    left = g.curves[0, :, names.index("grf_vertical_l_bw")]
    cv = float(g.measures["stride_time_cv_pct"][0])
    rec = continuous_walk(right, left, g.gait_cycle_pct, stride_time_s=float(g.measures["stride_time_s"][0]),
                          stride_time_cv_pct=cv, body_mass_kg=75.0, n_strides=300, rng=np.random.default_rng(0))
    m = insole_measures(rec)
    assert m["stride_time_s"] == pytest.approx(float(g.measures["stride_time_s"][0]), abs=0.01)
    assert m["stride_time_cv_pct"] == pytest.approx(cv, rel=0.25)
    assert m["stance_pct"] == pytest.approx(float(g.measures["stance_pct"][0]), abs=4.0)
