"""Measurement devices: signal-level pipelines recover the truth with their documented error."""

from __future__ import annotations

import numpy as np
import pytest

from trialsim.sensors.devices import DEVICES, measure
from trialsim.sensors.imu import inverted_pendulum_step_length_m, sv95c
from trialsim.sensors.insoles import continuous_walk, insole_measures
from trialsim.sensors.video import Camera, pose_keypoints, video_gait_estimates

PCT = np.linspace(0.0, 100.0, 51)


def _bump(centre, width):
    d = (PCT - centre + 50.0) % 100.0 - 50.0
    return np.exp(-0.5 * (d / width) ** 2)


def _vgrf(shift, stance=60.0):
    phase = (PCT - shift) % 100.0
    return np.where(phase < stance, 0.2 + _bump(12 + shift, 7) + _bump(48 + shift, 7), 0.0)


def _angles():
    curves = {}
    for side, shift in (("r", 0.0), ("l", 50.0)):
        curves[f"hip_flexion_{side}_deg"] = 10.0 + 22.0 * np.cos(2 * np.pi * (PCT - shift) / 100.0)
        curves[f"knee_flexion_{side}_deg"] = 5.0 + 55.0 * _bump(72.0 + shift, 9.0) + 12 * _bump(15 + shift, 6)
        curves[f"ankle_dorsiflexion_{side}_deg"] = 5.0 * np.sin(2 * np.pi * (PCT - shift) / 100.0) - 15.0 * _bump(62 + shift, 5)
    return curves


def test_measure_keeps_its_contract():
    obs = measure({"gait_speed_m_s": np.full(20000, 1.2), "cadence_steps_min": np.full(20000, 110.0)},
                  device="stopwatch_10mwt", rng=np.random.default_rng(0))
    assert set(obs) == {"gait_speed_m_s"}
    assert obs["gait_speed_m_s"].mean() == pytest.approx(1.2 * 1.02, abs=0.002)
    assert obs["gait_speed_m_s"].std() == pytest.approx(0.032, rel=0.05)


def test_insoles_recover_stride_time_variability_and_stance():
    rec = continuous_walk(_vgrf(0.0), _vgrf(50.0), PCT, stride_time_s=1.1, stride_time_cv_pct=2.5,
                          body_mass_kg=70.0, n_strides=400, rng=np.random.default_rng(1))
    m = insole_measures(rec)
    assert m["stride_time_s"] == pytest.approx(1.1, abs=0.01)  # documented ≈ 10 ms
    assert m["stride_time_cv_pct"] == pytest.approx(2.5, rel=0.2)
    assert m["stance_pct"] == pytest.approx(61.0, abs=1.5)  # 60 % + the 2 %-step curve ramps; documented ≈ 1 %
    assert m["double_support_pct"] == pytest.approx(22.0, abs=2.5)
    noisier = insole_measures(continuous_walk(_vgrf(0.0), _vgrf(50.0), PCT, stride_time_s=1.1, stride_time_cv_pct=5.0,
                                              body_mass_kg=70.0, n_strides=400, rng=np.random.default_rng(1)))
    assert noisier["stride_time_cv_pct"] > 1.5 * m["stride_time_cv_pct"]


def test_sv95c_tracks_speed_and_exceeds_comfortable_speed():
    rng = np.random.default_rng(2)
    values = sv95c(np.array([0.8, 1.2, 1.6]), np.array([2.0, 2.0, 2.0]), rng=rng)
    assert np.all(np.diff(values) > 0.2)
    assert np.all(values > np.array([0.8, 1.2, 1.6]))
    assert inverted_pendulum_step_length_m(0.9, 0.03) == pytest.approx(2 * np.sqrt(2 * 0.9 * 0.03 - 0.03**2))


def test_video_pose_reestimates_gait_within_documented_error():
    rng = np.random.default_rng(3)
    errors = []
    for _ in range(25):
        t, px = pose_keypoints(_angles(), PCT, height_m=1.75, gait_speed_m_s=1.2, stride_time_s=1.1, rng=rng)
        assert px.shape == (len(t), 8, 2)
        assert (px[..., 0] > 0).all()
        assert (px[..., 0] < 1920).all()
        est = video_gait_estimates(t, px, height_m=1.75, rng=rng)
        errors.append([est["gait_speed_m_s"] - 1.2, est["cadence_steps_min"] - 120 / 1.1, est["peak_knee_flexion_swing_deg"]])
    err = np.array(errors)
    documented = DEVICES["phone_video"].errors
    assert np.sqrt((err[:, 0] ** 2).mean()) < 2 * documented["gait_speed_m_s"].noise_sd
    assert err[:, 0].std() > 0.005  # the pipeline is not error-free
    assert np.abs(err[:, 1]).mean() < 3 * documented["cadence_steps_min"].noise_sd
    assert 50 < err[:, 2].mean() < 70  # peak swing knee flexion seen through the camera


def test_noisier_keypoints_give_noisier_speed():
    def spread(noise):
        rng = np.random.default_rng(4)
        out = []
        for _ in range(20):
            t, px = pose_keypoints(_angles(), PCT, height_m=1.75, gait_speed_m_s=1.2, stride_time_s=1.1,
                                   camera=Camera(noise_px=noise, fps=15), rng=rng)
            out.append(video_gait_estimates(t, px, height_m=1.75, rng=rng)["step_length_m"])
        return np.std(out)

    assert spread(25.0) > spread(1.0)
