"""Signals stride by stride: own timing per foot, speed-cadence coupling, structured variability, M-shaped force, IMU."""

from __future__ import annotations

import numpy as np
import pytest

from trialsim.sensors.cycle import CYCLE_PCT, default_cycle
from trialsim.sensors.events import foot_events, force_features
from trialsim.sensors.force import (
    STANCE_GRID,
    body_weight_scale,
    has_m_shape,
    m_shape_bw,
    sensor_weights,
    shape_from_curve,
)
from trialsim.sensors.imu import gyro_stride_times_s, imu_signals
from trialsim.sensors.insoles import CONTACT_TIMING, NO_TIMING_ERROR, record_insoles
from trialsim.sensors.kinematics import replay
from trialsim.sensors.recordings import insole_recording
from trialsim.sensors.variability import dfa_alpha, fractional_gaussian_noise
from trialsim.sensors.video import walk_keypoints
from trialsim.sensors.walk import GaitTiming, simulate_walk

HEALTHY = GaitTiming(stride_time_s=1.08, stance_pct=62.0, gait_speed_m_s=1.25, stride_time_cv_pct=2.0, dfa_alpha=0.9)


def test_left_and_right_feet_keep_their_own_timing():
    walk = simulate_walk(GaitTiming(1.1, 62.0, 1.1, 3.0, 0.8, asymmetry=0.06), n_strides=300, rng=np.random.default_rng(0))
    right, left = walk.stride_times_s("r"), walk.stride_times_s("l")
    assert not np.allclose(right, left)
    assert np.corrcoef(right, left)[0, 1] < 0.95  # the feet share one step per stride, not the whole stride
    cv_r, cv_l = right.std() / right.mean(), left.std() / left.mean()
    assert 0.75 < cv_l / cv_r < 1.33  # the old model had the left at 1/sqrt(2) of the right
    swing_r = (right - walk.stance_times_s("r")).mean()
    swing_l = (left - walk.stance_times_s("l")).mean()
    assert abs(np.log(swing_r / swing_l)) > 0.03  # the patient's 6 % swing asymmetry shows


def test_stride_time_falls_with_speed_within_a_walk_and_across_patients():
    walk = simulate_walk(HEALTHY, n_strides=400, rng=np.random.default_rng(1))
    assert np.corrcoef(walk.speed_r_m_s, walk.stride_times_s("r"))[0, 1] < -0.5
    # across patients: the reference model's gaits through the insole signals and event detection
    from trialsim.generative.reference import ReferenceGaitModel
    from trialsim.spec.loading import load_shipped_cohort
    from trialsim.trial.enrolment import sample_cohort

    df = sample_cohort(load_shipped_cohort("healthy_older"), n=40, seed=2, simulator=ReferenceGaitModel())
    measured = []
    for i, row in df.iterrows():
        rec, _ = insole_recording(row.to_dict(), motor_noise=float(row.motor_noise), height_m=float(row.height_m),
                                  body_mass_kg=float(row.body_mass_kg), rng=np.random.default_rng(i), duration_s=40.0)
        measured.append(force_features(rec.force_l_n, rec.force_r_n)["stride_time_s"])
    assert np.corrcoef(df["gait_speed_m_s"], measured)[0, 1] < -0.3


def test_stance_shortens_as_stride_speed_rises():
    walk = simulate_walk(HEALTHY, n_strides=400, rng=np.random.default_rng(3))
    stance_frac = walk.stance_times_s("r") / walk.stride_times_s("r")
    assert np.corrcoef(walk.speed_r_m_s, stance_frac)[0, 1] < -0.2


def test_long_range_correlation_healthy_above_pd():
    assert dfa_alpha(fractional_gaussian_noise(2048, 0.85, rng=np.random.default_rng(4))) == pytest.approx(0.85, abs=0.1)

    def measured(alpha: float) -> float:
        vals = [dfa_alpha(simulate_walk(GaitTiming(1.1, 62.0, 1.2, 2.0, alpha), n_strides=256, rng=np.random.default_rng(s)).stride_times_s("r"))
                for s in range(6)]
        return float(np.mean(vals))

    healthy, pd_ = measured(0.9), measured(0.6)
    assert 0.7 < healthy < 1.05
    assert pd_ < healthy - 0.15


def test_stride_time_cv_read_over_the_walk_matches_the_patient():
    cvs = [100 * np.std(w.stride_times_s("r"), ddof=1) / np.mean(w.stride_times_s("r"))
           for w in (simulate_walk(HEALTHY, n_strides=110, rng=np.random.default_rng(s)) for s in range(30))]
    assert np.mean(cvs) == pytest.approx(2.0, rel=0.1)


def test_vertical_force_has_two_peaks_and_a_trough():
    shape = m_shape_bw(STANCE_GRID, relative_speed=1.0)
    bw = shape * body_weight_scale(shape, stance_fraction=0.62)
    assert has_m_shape(bw)
    first, second, trough = bw[:50].max(), bw[50:].max(), bw[25:75].min()
    assert 1.0 <= first <= 1.25
    assert 1.0 <= second <= 1.25
    assert 0.7 <= trough <= 0.9
    fast, slow = m_shape_bw(STANCE_GRID, relative_speed=1.3), m_shape_bw(STANCE_GRID, relative_speed=0.8)
    assert fast[:50].max() > slow[:50].max()
    assert fast[25:75].min() < slow[25:75].min()
    # in the recorded insole totals (noise, sensor gains) the M survives event detection
    rec = record_insoles(simulate_walk(HEALTHY, n_strides=60, rng=np.random.default_rng(5)), body_mass_kg=70.0,
                         height_m=1.75, rng=np.random.default_rng(6))
    f = force_features(rec.force_l_n, rec.force_r_n)
    assert f["force_trough_rel"] < min(f["force_peak1_rel"], f["force_peak2_rel"]) - 0.02


def test_insole_contact_timing_moves_the_read_events_by_the_sourced_offsets():
    # Hausdorff 1995 (in-shoe force sensors vs a force platform): heel strike 0 ± 3 ms, toe off −1 ± 8 ms.
    # The same walk and the same random numbers, read through the same threshold detector with and
    # without the insole's contact timing: the difference is the model's, not chance's.
    walk = simulate_walk(GaitTiming(1.1, 62.0, 1.2, 2.0, 0.85), n_strides=1500, rng=np.random.default_rng(1))
    read = {}
    for name, timing in (("exact", NO_TIMING_ERROR), ("insole", CONTACT_TIMING)):
        rec = record_insoles(walk, body_mass_kg=70.0, height_m=1.75, rng=np.random.default_rng(2), contact_timing=timing)
        read[name] = foot_events(rec.force_r_n, rec.force_l_n, sample_rate_hz=100.0)
    added_ms2 = 1e6 * (read["insole"].swing_s.var() - read["exact"].swing_s.var())
    assert added_ms2 == pytest.approx(3.0**2 + 8.0**2, rel=0.3)  # swing = next heel strike − toe off: both events' noise
    shift_ms = 1e3 * (read["insole"].stance_s.mean() - read["exact"].stance_s.mean())
    assert shift_ms == pytest.approx(-1.0 - 0.0, abs=0.6)  # stance read 1 ms shorter: the toe-off offset


def test_physics_curves_without_the_m_shape_fall_back_and_m_shaped_ones_drop_in():
    pct = np.linspace(0.0, 100.0, 51)
    spike = np.where(pct < 60, 0.9, 0.0)
    spike[1] = 1.8  # v1 physics: an impact spike and a flat stance
    assert shape_from_curve(spike, pct) is None
    m = np.zeros_like(pct)
    stance = pct < 60
    m[stance] = m_shape_bw(pct[stance] / 60.0, relative_speed=1.0)
    got = shape_from_curve(m, pct)
    assert got is not None
    assert has_m_shape(got)


def test_sensor_weights_roll_heel_to_toe():
    w = sensor_weights(np.array([0.0, 0.5, 1.0]))
    assert np.allclose(w.sum(1), 1.0)
    assert np.argmax(w[0]) == 0
    assert np.argmax(w[2]) == 7


def test_imu_includes_gravity_and_gyro_peaks_give_stride_time():
    walk = simulate_walk(HEALTHY, n_strides=40, rng=np.random.default_rng(7))
    kin = replay(default_cycle(), CYCLE_PCT, walk, height_m=1.75, sample_rate_hz=100.0)
    sig = imu_signals(kin, sites=("lumbar", "ankle_r"), rng=np.random.default_rng(8))
    assert np.hypot(sig["lumbar_acc_x"], sig["lumbar_acc_y"]).mean() == pytest.approx(9.81, abs=0.6)
    strides = gyro_stride_times_s(sig["ankle_r_gyro_z"], sample_rate_hz=100.0)
    assert strides.mean() == pytest.approx(walk.stride_times_s("r").mean(), abs=0.01)
    excursion = kin.points["pelvis"][200:1000, 1]
    assert 0.02 < np.ptp(excursion) < 0.08  # pelvis rises and falls a few cm per step


def test_video_keypoints_follow_the_walk_through_the_camera():
    walk = simulate_walk(HEALTHY, n_strides=4, rng=np.random.default_rng(9))
    kin = replay(default_cycle(), CYCLE_PCT, walk, height_m=1.75, sample_rate_hz=120.0)
    t, px = walk_keypoints(kin, rng=np.random.default_rng(10))
    assert px.shape == (len(t), 8, 2)
    hip_x = px[:, 0, 0]
    assert np.polyfit(t, hip_x, 1)[0] > 0  # walking left to right across the image


def test_joint_cycle_scaled_to_the_patients_step_length_shows_on_camera():
    from trialsim.sensors.kinematics import scale_to_step_length, step_length_from_cycle_m
    from trialsim.sensors.recordings import video_table
    from trialsim.sensors.video import KEYPOINTS, video_gait_estimates

    for step in (0.45, 0.65, 0.8):
        cyc = scale_to_step_length(default_cycle(), step_length_m=step, height_m=1.7)
        assert step_length_from_cycle_m(cyc, height_m=1.7) == pytest.approx(step, abs=0.005)
    truth, seen = [], []
    rng = np.random.default_rng(11)
    for speed in np.linspace(0.7, 1.5, 9):
        gait = {"gait_speed_m_s": speed, "stride_time_s": 1.3 - 0.2 * speed, "stance_pct": 62.0, "stride_time_cv_pct": 2.0}
        df, _ = video_table(gait, motor_noise=1.0, height_m=1.7, rng=rng)
        px = np.stack([df[[f"{k}_x_px", f"{k}_y_px"]].to_numpy() for k in KEYPOINTS], 1)
        truth.append(0.5 * speed * gait["stride_time_s"])
        seen.append(video_gait_estimates(df["time_s"].to_numpy(), px, height_m=1.7, rng=rng)["step_length_m"])
    assert np.corrcoef(truth, seen)[0, 1] > 0.9


def test_stroke_swing_asymmetry_points_to_the_paretic_side():
    from trialsim.sensors.cycle import variability_traits

    rng = np.random.default_rng(12)
    left = [variability_traits(1.5, rng=rng, paretic_side="left")[1] for _ in range(200)]
    right = [variability_traits(1.5, rng=rng, paretic_side="right")[1] for _ in range(200)]
    assert min(left) >= 0
    assert max(right) <= 0
    assert np.mean(left) == pytest.approx(0.17, abs=0.03)
