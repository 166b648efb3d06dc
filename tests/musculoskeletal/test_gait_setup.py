"""Problem set-up helpers that need no solve."""

from __future__ import annotations

import numpy as np
import pytest

from trialsim.musculoskeletal.anthropometry import anthropometry
from trialsim.musculoskeletal.gait import _mirror, is_asymmetric
from trialsim.musculoskeletal.reference_kinematics import joint_angles_deg, reference_states


def test_mirror_swaps_sides_only():
    assert _mirror("/jointset/hip_r/hip_flexion_r/value") == "/jointset/hip_l/hip_flexion_l/value"
    assert _mirror("/forceset/rect_fem_l/activation") == "/forceset/rect_fem_r/activation"
    assert _mirror("/forceset/reserve_jointset_knee_r_knee_angle_r") == "/forceset/reserve_jointset_knee_l_knee_angle_l"
    assert _mirror("/jointset/ground_pelvis/pelvis_ty/speed") == "/jointset/ground_pelvis/pelvis_ty/speed"


def test_is_asymmetric():
    assert not is_asymmetric({"strength_plantarflexors": 0.5})
    assert is_asymmetric({"strength_plantarflexors_l": 0.5})
    assert not is_asymmetric({"strength_plantarflexors_l": 0.5, "strength_plantarflexors_r": 0.5})


def test_reference_curves_match_ferrarin_landmarks():
    phase = np.linspace(0, 1, 101)
    knee = -joint_angles_deg("knee_angle", phase)
    assert knee.max() == pytest.approx(63.4, abs=1.5)  # adult peak swing knee flexion
    assert 0.65 < phase[np.argmax(knee)] < 0.78
    ankle = joint_angles_deg("ankle_angle", phase)
    assert -25 < ankle.min() < -15
    assert 8 < ankle.max() < 16


def test_reference_pelvis_height_sinks_spheres_4mm():
    body = anthropometry(1.75, 75.0)
    ref = reference_states(body, speed_m_s=1.25, stride_time_s=1.09, duration_s=1.09)
    assert np.all(ref["pelvis_ty"] < body.leg_length_m)
    assert np.all(ref["pelvis_ty"] > body.leg_length_m - 0.1)
    assert ref["pelvis_tx"][-1] == pytest.approx(1.25 * 1.09)
    # left leg is the right leg half a cycle later
    assert ref["knee_angle_l"][0] == pytest.approx(ref["knee_angle_r"][50], abs=1e-2)
