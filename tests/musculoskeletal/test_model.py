"""The patient model: structure, round trip through .osim, moment arms, patient mapping."""

from __future__ import annotations

import math

import pytest

pytest.importorskip("opensim")

from trialsim.musculoskeletal.model import build_model, max_contraction_velocity

pytestmark = pytest.mark.opensim


@pytest.fixture(scope="module")
def nominal():
    return build_model({})


def test_structure(nominal):
    assert nominal.getCoordinateSet().getSize() == 9
    assert nominal.getMuscles().getSize() == 18
    spheres = [nominal.getForceSet().get(i).getName() for i in range(nominal.getForceSet().getSize())
               if nominal.getForceSet().get(i).getConcreteClassName() == "SmoothSphereHalfSpaceForce"]
    assert len(spheres) == 6  # heel, metatarsal heads and toe tip per foot (v2)


def test_roundtrip_osim(nominal, tmp_path):
    import opensim as osim

    path = tmp_path / "m.osim"
    nominal.printToXML(str(path))
    loaded = osim.Model(str(path))
    loaded.initSystem()
    assert loaded.getCoordinateSet().getSize() == 9
    assert loaded.getMuscles().getSize() == 18


# (muscle, coordinate, expected sign); knee negative in flexion, ankle positive in dorsiflexion
SIGNS = [
    ("iliopsoas", "hip_flexion", +1), ("rect_fem", "hip_flexion", +1), ("glut_max", "hip_flexion", -1),
    ("hamstrings", "hip_flexion", -1), ("hamstrings", "knee_angle", -1), ("bifemsh", "knee_angle", -1),
    ("gastroc", "knee_angle", -1), ("vasti", "knee_angle", +1), ("rect_fem", "knee_angle", +1),
    ("gastroc", "ankle_angle", -1), ("soleus", "ankle_angle", -1), ("tib_ant", "ankle_angle", +1),
]


@pytest.mark.parametrize("pose_deg", [(0, 0, 0), (30, -60, -15), (-15, -5, 10)])
@pytest.mark.parametrize(("muscle", "coord", "sign"), SIGNS)
def test_moment_arm_signs_and_sizes(nominal, muscle, coord, sign, pose_deg):
    state = nominal.initSystem()
    cs = nominal.getCoordinateSet()
    for side in ("r", "l"):
        for name, value in zip(("hip_flexion", "knee_angle", "ankle_angle"), pose_deg, strict=True):
            cs.get(f"{name}_{side}").setValue(state, math.radians(value), False)
    nominal.realizePosition(state)
    for side in ("r", "l"):
        arm = nominal.getMuscles().get(f"{muscle}_{side}").computeMomentArm(state, cs.get(f"{coord}_{side}"))
        assert sign * arm > 0.015, (muscle, coord, arm)
        assert abs(arm) < 0.08


def test_patient_mapping():
    nominal = build_model({})
    patient = build_model({"height_m": 1.5, "body_mass_kg": 60.0, "strength_plantarflexors_l": 0.5,
                           "fiber_length_knee_flexors": 0.8, "neural_drive": 0.7, "passive_stiffness": 2.0,
                           "activation_time_scale": 2.0, "age_years": 80.0})
    import opensim as osim

    m0 = nominal.getMuscles()

    class _Dgf:
        def get(self, name):
            return osim.DeGrooteFregly2016Muscle.safeDownCast(patient.getMuscles().get(name))

    m1 = _Dgf()
    mass_factor = (60 / 75) ** (2 / 3)
    assert m1.get("soleus_l").get_max_isometric_force() == pytest.approx(5137 * 0.5 * mass_factor)
    assert m1.get("soleus_r").get_max_isometric_force() == pytest.approx(5137 * mass_factor)
    assert m1.get("hamstrings_r").get_optimal_fiber_length() == pytest.approx(0.0976 * 1.5 / 1.75 * 0.8)
    # contracture: tendon slack is the nominal one (scaled), not shortened with the fibre
    assert m1.get("hamstrings_r").get_tendon_slack_length() == pytest.approx(
        m0.get("hamstrings_r").get_tendon_slack_length() * 1.5 / 1.75, rel=0.02)
    assert m1.get("vasti_r").get_max_control() == pytest.approx(0.7)
    assert m1.get("vasti_r").get_passive_fiber_strain_at_one_norm_force() == pytest.approx(0.3)
    assert m1.get("vasti_r").get_activation_time_constant() == pytest.approx(0.03)
    assert m1.get("vasti_r").get_max_contraction_velocity() == pytest.approx(8.0)
    femur0 = nominal.getBodySet().get("femur_r").getMass()
    assert patient.getBodySet().get("femur_r").getMass() == pytest.approx(femur0 * 60 / 75)


def test_fibre_at_optimal_in_reference_pose():
    """Neutral pose, except the quadriceps at 60° of knee flexion (model.OPTIMAL_KNEE_FLEXION_DEG)."""
    import math

    from trialsim.musculoskeletal.model import OPTIMAL_KNEE_FLEXION_DEG

    model = build_model({})
    state = model.initSystem()
    for knee_deg in sorted({0.0, *OPTIMAL_KNEE_FLEXION_DEG.values()}):
        for c in range(model.getCoordinateSet().getSize()):
            coord = model.getCoordinateSet().get(c)
            if coord.getName() != "pelvis_ty":
                coord.setValue(state, -math.radians(knee_deg) if coord.getName().startswith("knee_angle") else 0.0, False)
        model.realizePosition(state)
        for i in range(model.getMuscles().getSize()):
            m = model.getMuscles().get(i)
            if OPTIMAL_KNEE_FLEXION_DEG.get(m.getName()[:-2], 0.0) != knee_deg:
                continue
            fibre = m.getLength(state) - m.get_tendon_slack_length()
            assert fibre == pytest.approx(m.get_optimal_fiber_length(), rel=1e-3)


def test_vmax_ageing():
    assert max_contraction_velocity(25) == 10.0
    assert max_contraction_velocity(50) == pytest.approx(9.0)
    assert max_contraction_velocity(90) == 8.0


def test_import_trialsim_does_not_load_opensim():
    import subprocess
    import sys

    code = "import sys, trialsim, trialsim.musculoskeletal, trialsim.cli.physics; print('opensim' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
