"""Gait measures from curves with a known answer."""

from __future__ import annotations

import numpy as np
import pytest

from trialsim.musculoskeletal.measures import gait_measures, heel_strike_index, rephase
from trialsim.spec.names import GAIT_MEASURES


def synthetic_cycle(stance=0.62, stride_time=1.1, speed=1.3, offset=0.3, n=221):
    """A cycle that starts mid-stance (``offset`` of a cycle after right heel strike)."""
    t = np.linspace(0.0, stride_time, n)
    phase_r = (t / stride_time + offset) % 1.0
    phase_l = (phase_r + 0.5) % 1.0
    vr = np.where(phase_r < stance, 700.0 * np.sin(np.pi * phase_r / stance) + 100.0, 0.0)
    vl = np.where(phase_l < stance, 700.0 * np.sin(np.pi * phase_l / stance) + 100.0, 0.0)
    knee_r = 5 + 55 * np.exp(-((phase_r - 0.72) / 0.08) ** 2)
    knee_l = 5 + 55 * np.exp(-((phase_l - 0.72) / 0.08) ** 2)
    return t, speed * t, vr, vl, knee_r, knee_l


def test_known_cycle():
    t, tx, vr, vl, kr, kl = synthetic_cycle()
    m = gait_measures(t, tx, vr, vl, kr, kl, body_weight_n=700.0)
    assert set(GAIT_MEASURES) <= set(m)
    assert m["gait_speed_m_s"] == pytest.approx(1.3)
    assert m["stride_time_s"] == pytest.approx(1.1)
    assert m["stride_length_m"] == pytest.approx(1.43)
    assert m["step_length_m"] == pytest.approx(0.715)
    assert m["cadence_steps_min"] == pytest.approx(120 / 1.1)
    assert m["stance_pct"] == pytest.approx(62.0, abs=0.6)
    assert m["swing_pct"] == pytest.approx(38.0, abs=0.6)
    assert m["double_support_pct"] == pytest.approx(2 * (62 - 50), abs=1.0)
    assert m["peak_knee_flexion_swing_deg"] == pytest.approx(60.0, abs=0.2)
    assert m["step_length_r_m"] == pytest.approx(0.715, abs=0.01)
    assert np.isnan(m["stride_time_cv_pct"])


def test_asymmetric_steps():
    t, tx, vr, vl, kr, kl = synthetic_cycle(offset=0.0)
    vl = np.roll(vl, 22)  # left heel strike 10 % later: right step shorter
    m = gait_measures(t, tx, vr, vl, kr, kl, body_weight_n=700.0)
    assert m["step_length_r_m"] < m["step_length_l_m"]
    assert m["step_length_r_m"] + m["step_length_l_m"] == pytest.approx(m["stride_length_m"])


def test_rephase_starts_at_right_heel_strike():
    t, _, vr, _, kr, _ = synthetic_cycle(offset=0.3)
    curves = rephase(t, {"knee": kr, "grf": vr}, vr > 20.0)
    assert len(curves["gait_cycle_pct"]) == 51
    assert curves["grf"][0] > 20.0
    assert curves["grf"][-2] < 20.0
    assert np.argmax(curves["knee"]) == pytest.approx(36, abs=1)  # 72 %


def test_heel_strike_index_cyclic():
    contact = np.array([1, 1, 0, 0, 0, 1, 1, 1], bool)
    assert heel_strike_index(contact) == 5


def test_cost_of_transport_basal_and_work():
    from trialsim.musculoskeletal.measures import BASAL_METABOLIC_RATE_W_KG, cost_of_transport

    pct = np.linspace(0, 100, 51)
    zero = {"gait_cycle_pct": pct}
    for side in ("r", "l"):
        for joint in ("hip_flexion", "knee_flexion", "ankle_dorsiflexion"):
            zero[f"{joint}_{side}_deg"] = np.zeros(51)
            zero[f"{joint}_moment_{side}_nm_kg"] = np.zeros(51)
    assert cost_of_transport(zero, stride_time_s=1.0, speed_m_s=1.2) == pytest.approx(BASAL_METABOLIC_RATE_W_KG / 1.2)
    # one joint: constant moment 1 N·m/kg while the angle rises 1 rad and falls back:
    # 1 J/kg positive and 1 J/kg negative work per cycle
    work = dict(zero)
    work["ankle_dorsiflexion_r_deg"] = np.degrees(0.5 * (1 - np.cos(2 * np.pi * pct / 100)))
    work["ankle_dorsiflexion_moment_r_nm_kg"] = np.ones(51)
    expected = (1 / 0.25 + 1 / 1.2 + BASAL_METABOLIC_RATE_W_KG) / 1.2
    assert cost_of_transport(work, stride_time_s=1.0, speed_m_s=1.2) == pytest.approx(expected, rel=0.02)
