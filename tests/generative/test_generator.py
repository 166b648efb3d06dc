"""The generator on a TEST-ONLY toy library: protocol, consistency, physics directions, variability."""

from __future__ import annotations

import numpy as np
import pytest

from trialsim.errors import InputFileError
from trialsim.generative.protocol import GaitSimulator
from trialsim.generative.simulator import HEALTHY_STRIDE_TIME_CV_PCT
from trialsim.spec.names import GAIT_MEASURES


def test_satisfies_protocol_and_broadcasts(toy_generator):
    assert isinstance(toy_generator, GaitSimulator)
    out = toy_generator.simulate({"neural_drive": np.full((4, 3), 0.8), "height_m": np.array([1.6, 1.7, 1.8])})
    assert set(out) == set(GAIT_MEASURES)
    assert all(v.shape == (4, 3) for v in out.values())
    assert all(np.isfinite(v).all() for v in out.values())
    scalar = toy_generator.simulate({})
    assert np.shape(scalar["gait_speed_m_s"]) == ()


def test_measures_are_internally_consistent(toy_generator):
    g = toy_generator.simulate({"neural_drive": np.linspace(0.6, 1.0, 7)}, rng=np.random.default_rng(1))
    np.testing.assert_allclose(g["stride_length_m"], g["gait_speed_m_s"] * g["stride_time_s"])
    np.testing.assert_allclose(g["cadence_steps_min"], 120.0 / g["stride_time_s"])
    np.testing.assert_allclose(g["step_length_m"] * 2, g["stride_length_m"])
    np.testing.assert_allclose(g["swing_pct"], 100.0 - g["stance_pct"])


def test_typical_is_deterministic_and_rng_adds_within_patient_variability(toy_generator):
    p = {"neural_drive": np.full(400, 0.9)}
    a, b = toy_generator.simulate(p), toy_generator.simulate(p)
    np.testing.assert_array_equal(a["gait_speed_m_s"], b["gait_speed_m_s"])
    assert np.ptp(a["gait_speed_m_s"]) == 0
    day = toy_generator.simulate(p, rng=np.random.default_rng(0))["gait_speed_m_s"]
    log_sd = np.std(np.log(day))
    assert 0.025 < log_sd < 0.045  # the documented day-to-day log-SD 0.035


def test_patients_are_prefix_stable(toy_generator):
    small = toy_generator.simulate({"neural_drive": np.full((5, 3), 0.8)}, rng=np.random.default_rng(3))
    large = toy_generator.simulate({"neural_drive": np.full((9, 3), 0.8)}, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(small["gait_speed_m_s"], large["gait_speed_m_s"][:5])


def test_learns_the_physics_directions(toy_generator):
    # toy physics: knee contracture lowers peak swing knee flexion at a given speed
    knee = toy_generator.simulate({"fiber_length_knee_flexors": np.array([1.0, 0.75]), "speed_m_s": np.array([1.2, 1.2])})
    assert knee["peak_knee_flexion_swing_deg"][1] < knee["peak_knee_flexion_swing_deg"][0] - 5
    # weaker drive → costlier per metre → slower self-selected speed (minimum cost of transport)
    speed = toy_generator.simulate({"neural_drive": np.array([1.0, 0.7])})["gait_speed_m_s"]
    assert speed[1] < speed[0]


def test_imposed_speed_is_respected(toy_generator):
    g = toy_generator.generate({"speed_m_s": np.array([0.9, 1.3])})
    np.testing.assert_allclose(g.measures["gait_speed_m_s"], [0.9, 1.3])
    assert not g.self_selected.any()
    assert g.curves.shape[0] == 2
    assert g.curves.shape[2] == len(g.curve_names)


def test_stride_time_cv_calibrated_and_scaled_by_motor_noise(toy_generator):
    speed = toy_generator.simulate({})["gait_speed_m_s"]
    cv = toy_generator.simulate({"motor_noise": np.array([1.0, 1.8]), "speed_m_s": np.full(2, 1.2)})["stride_time_cv_pct"]
    assert 1.5 <= cv[0] <= 2.0, "healthy stride-time CV 1.5–2 % (Hausdorff 2009)"
    assert cv[1] == pytest.approx(1.8 * cv[0])
    assert HEALTHY_STRIDE_TIME_CV_PCT == 1.6
    assert np.isfinite(speed)


def test_training_is_deterministic(toy_library, tmp_path):
    from trialsim.generative.dataset import load_training_data
    from trialsim.generative.train import TrainConfig, train_generator

    data = load_training_data(toy_library)
    cfg = TrainConfig(steps=40, calibration_folds=2)
    assert train_generator(data, config=cfg).save(tmp_path / "a.pt") == train_generator(data, config=cfg).save(tmp_path / "b.pt")


def test_checkpoint_small_with_provenance(toy_checkpoint, toy_generator, toy_library):
    import hashlib

    from trialsim.generative.dataset import load_training_data

    assert toy_checkpoint.stat().st_size < 2_000_000
    prov = toy_generator.provenance()
    assert prov["checkpoint_sha256"] == hashlib.sha256(toy_checkpoint.read_bytes()).hexdigest()
    assert prov["library_sha256"] == load_training_data(toy_library).library_sha256


def test_bad_checkpoint_and_empty_library_are_user_errors(tmp_path):
    from trialsim.generative.dataset import load_training_data
    from trialsim.generative.loader import load_generator

    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(InputFileError, match="not a trialsim generator checkpoint"):
        load_generator(bad)
    with pytest.raises(InputFileError, match="not found"):
        load_generator(tmp_path / "missing.pt")
    (tmp_path / "lib" / "sims").mkdir(parents=True)
    with pytest.raises(InputFileError, match="no simulations"):
        load_training_data(tmp_path / "lib")


def test_self_selected_speed_is_the_toy_physics_cost_minimum(toy_generator):
    # toy physics: CoT(v) = (0.6 (v/v_c)^2.5 / drive^1.5 + 1.2) / v  →  v*/v_c = (0.8 drive^1.5 / 0.6)^0.4
    drive = np.array([1.0, 0.85, 0.7])
    expected = 1.2 * (0.8 * drive**1.5 / 0.6) ** 0.4
    got = toy_generator.simulate({"neural_drive": drive})["gait_speed_m_s"]
    np.testing.assert_allclose(got, expected, rtol=0.05)
