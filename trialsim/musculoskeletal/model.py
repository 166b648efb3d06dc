"""Build a patient's sagittal 9-DOF, 18-muscle OpenSim model through the API.

The model follows the classic sagittal gait model (OpenSim ``gait10dof18musc``,
derived from Delp 1990 / gait2392) with the lumbar joint locked into the pelvis:

- pelvis ``PlanarJoint`` (``pelvis_tilt``, ``pelvis_tx``, ``pelvis_ty``); hip, knee
  and ankle ``PinJoint`` per leg (knee negative in flexion, ankle positive in
  dorsiflexion). Segments from Winter 2009 (:mod:`.anthropometry`).
- 9 ``DeGrooteFregly2016Muscle`` per leg with the gait10dof18musc maximum
  isometric forces and optimal fibre lengths; path points adapted from gait2392
  and placed relative to the joint centres, scaled with height.
- two ``SmoothSphereHalfSpaceForce`` contacts per foot (heel r 0.035 m, toe r
  0.02 m; stiffness 3.07e6 N/m, dissipation 2 s/m, friction 0.8 / 0.8 / 0.5), as in
  the Moco 2-D walking example (Falisse et al. 2019, J R Soc Interface 16:20190402).

Patient mapping (parameters from :mod:`trialsim.physiology.parameters`)
-----------------------------------------------------------------------
- ``height_m``, ``body_mass_kg``: segment lengths, landmarks, masses and inertias
  with Winter's proportions; optimal fibre and tendon slack lengths scale with height.
- ``strength_<group>`` (× side): maximum isometric force × ratio × (mass/75)^(2/3)
  (geometric similarity: force ∝ cross-sectional area ∝ mass^(2/3); Jaric 2002,
  "Muscle strength testing: use of normalisation for body size", Sports Med 32:615).
- ``fiber_length_<group>`` (× side): optimal fibre length × ratio. Tendon slack is
  fixed so that the NOMINAL fibre is at optimal length in the neutral pose, so a
  ratio < 1 is a genuine contracture: the short fibre is stretched onto the
  descending limb and its passive curve (Park et al. 2022, "Generative GaitNet").
- ``neural_drive``: upper bound on excitation and activation (``max_control``).
- ``passive_stiffness``: DGF passive fibre strain at one normalised force
  0.6 / ratio (stiffer, earlier passive force; rigidity in PD, spasticity in CP
  modelled as a passive property).
- ``activation_time_scale``: activation (15 ms) and deactivation (60 ms) time
  constants × ratio (De Groote et al. 2016, Ann Biomed Eng 44:2922).
- ``age_years``: maximum contraction velocity 10 Lopt/s, falling linearly from age
  30 to 8 Lopt/s at 70 and beyond (Thelen 2003, J Biomech Eng 125:70).
- ``joint_rigidity``: PD rigidity as lead-pipe joint resistance (see :func:`_add_rigidity`).
- ``vigour``: not a property of the body; it scales the cost of time in the
  free-speed objective (:mod:`.free_speed`).
- ``motor_noise``: not a property of the deterministic optimal-control model; it is
  used by the generator to add stride variability.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from trialsim.musculoskeletal.anthropometry import NOMINAL_MASS_KG, Anthropometry, anthropometry
from trialsim.physiology.parameters import resolve_parameters, side_value

if TYPE_CHECKING:
    import opensim

SIDES = ("r", "l")
COORDINATES = (
    "pelvis_tilt", "pelvis_tx", "pelvis_ty",
    "hip_flexion_r", "knee_angle_r", "ankle_angle_r",
    "hip_flexion_l", "knee_angle_l", "ankle_angle_l",
)
ANGULAR_RANGES_DEG = {"hip_flexion": (-50.0, 70.0), "knee_angle": (-120.0, 5.0), "ankle_angle": (-45.0, 35.0)}


@dataclass(frozen=True)
class MuscleSpec:
    """One muscle of one leg: nominal properties (1.75 m, 75 kg) and its path.

    ``path`` holds (body, x, y) with body one of pelvis/femur/tibia/calcn and (x, y)
    relative to that body's proximal joint centre (pelvis: the hip joint), metres
    at 1.75 m height.
    """

    name: str
    group: str
    max_isometric_force_n: float
    optimal_fiber_length_m: float
    path: tuple[tuple[str, float, float], ...]


# Forces and optimal fibre lengths: gait10dof18musc (Delp 1990; Anderson & Pandy 1999).
MUSCLES: tuple[MuscleSpec, ...] = (
    MuscleSpec("hamstrings", "knee_flexors", 2594.0, 0.0976,
               (("pelvis", -0.055, -0.036), ("tibia", -0.030, -0.036), ("tibia", -0.023, -0.056))),
    MuscleSpec("bifemsh", "knee_flexors", 804.0, 0.1103,
               (("femur", 0.005, -0.211), ("tibia", -0.030, -0.036), ("tibia", -0.023, -0.056))),
    MuscleSpec("glut_max", "hip_extensors", 1944.0, 0.1569,
               (("pelvis", -0.061, 0.075), ("pelvis", -0.064, 0.005), ("femur", -0.045, -0.058), ("femur", -0.016, -0.102))),
    MuscleSpec("iliopsoas", "hip_flexors", 2342.0, 0.1066,
               (("pelvis", 0.006, 0.155), ("pelvis", 0.047, 0.009), ("femur", 0.002, -0.051), ("femur", -0.019, -0.060))),
    MuscleSpec("rect_fem", "hip_flexors", 1169.0, 0.0759,
               (("pelvis", 0.041, 0.035), ("femur", 0.045, -0.369), ("tibia", 0.055, -0.040))),
    MuscleSpec("vasti", "knee_extensors", 5000.0, 0.0993,
               (("femur", 0.029, -0.192), ("femur", 0.045, -0.369), ("tibia", 0.055, -0.040))),
    MuscleSpec("gastroc", "plantarflexors", 2500.0, 0.0636,
               (("femur", -0.020, -0.409), ("calcn", -0.049, -0.011))),
    MuscleSpec("soleus", "plantarflexors", 5137.0, 0.0500,
               (("tibia", -0.002, -0.153), ("calcn", -0.049, -0.011))),
    MuscleSpec("tib_ant", "dorsiflexors", 3000.0, 0.0683,
               (("tibia", 0.018, -0.162), ("tibia", 0.033, -0.396), ("calcn", 0.068, -0.024))),
)

#: nominal DGF parameters (De Groote et al. 2016)
ACTIVATION_TIME_CONSTANT_S = 0.015
DEACTIVATION_TIME_CONSTANT_S = 0.060
PASSIVE_FIBER_STRAIN = 0.6
#: contact (Moco example2DWalking / Falisse 2019)
CONTACT = {"stiffness": 3.067e6, "dissipation": 2.0, "static_friction": 0.8,
           "dynamic_friction": 0.8, "viscous_friction": 0.5, "transition_velocity": 0.2}
HEEL_RADIUS_M = 0.035
TOE_RADIUS_M = 0.02
#: contact spheres per foot: (name, x from the ankle along the foot at 1.75 m, radius).
#: v2 adds a sphere under the toe tip (``toes``): a toe contact lengthens stance and
#: shapes push-off (Falisse et al. 2022, PLoS ONE 17:e0256311); measured here on the
#: nominal body it moved stance 57.0 → 58.3 % and swing knee 55.9 → 61.0°
#: (musculoskeletal/README, foot-contact experiment).
CONTACT_SPHERES: tuple[tuple[str, float, float], ...] = (
    ("heel", -0.02, HEEL_RADIUS_M), ("toe", 0.14, TOE_RADIUS_M), ("toes", 0.18, TOE_RADIUS_M),
)


def contact_force_paths(side: str) -> list[str]:
    """Model paths of one foot's contact forces."""
    return [f"/forceset/contact_{where}_{side}" for where, _, _ in CONTACT_SPHERES]


#: PD–control difference in joint resistance at 1°/s (Wright et al. 2007), N·m, per unit ``joint_rigidity``
RIGIDITY_TORQUE_NM = 5.07 - 3.51
RIGIDITY_VELOCITY_RAD_S = 0.1


def max_contraction_velocity(age_years: float) -> float:
    """Maximum contraction velocity (optimal lengths / s) at an age (Thelen 2003)."""
    return 10.0 - 2.0 * min(max((age_years - 30.0) / 40.0, 0.0), 1.0)


def muscle_name(spec: MuscleSpec, side: str) -> str:
    return f"{spec.name}_{side}"


def build_model(params: dict[str, float]) -> opensim.Model:
    """Build the patient's OpenSim model (see the module docstring for the mapping).

    Parameters
    ----------
    params
        Musculoskeletal parameters by name; missing ones take nominal values.

    Returns
    -------
    opensim.Model
        A finalized model with 9 coordinates, 18 muscles and 4 contact forces.

    Examples
    --------
    >>> model = build_model({"height_m": 1.6, "strength_plantarflexors": 0.5})  # doctest: +SKIP
    >>> model.getCoordinateSet().getSize()  # doctest: +SKIP
    9
    """
    import opensim as osim

    osim.Logger.removeFileSink()  # no opensim.log in the user's working directory
    p = resolve_parameters(params)
    body = anthropometry(p["height_m"], p["body_mass_kg"])
    model = _skeleton(osim, body)
    _add_contacts(osim, model, body)
    _add_muscles(osim, model, body, p)
    _add_rigidity(osim, model, p)
    model.finalizeConnections()
    _set_tendon_slack_lengths(model, body)
    return model


def _inertia(osim: Any, izz: float) -> Any:
    # sagittal model: the out-of-plane inertias only need to be positive
    return osim.Inertia(izz, izz, izz)


def _skeleton(osim: Any, body: Anthropometry) -> Any:
    s = body.length_scale
    model = osim.Model()
    model.setName("trialsim_sagittal9dof18musc")
    model.setGravity(osim.Vec3(0, -9.80665, 0))
    ground = model.getGround()

    hat = body.hat
    pelvis = osim.Body("pelvis", hat.mass_kg, osim.Vec3(0, hat.length_m - hat.com_m, 0), _inertia(osim, hat.inertia_kg_m2))
    model.addBody(pelvis)
    planar = osim.PlanarJoint("ground_pelvis", ground, osim.Vec3(0), osim.Vec3(0), pelvis, osim.Vec3(0), osim.Vec3(0))
    for i, name in enumerate(("pelvis_tilt", "pelvis_tx", "pelvis_ty")):
        coord = planar.upd_coordinates(i)
        coord.setName(name)
    planar.upd_coordinates(0).setRangeMin(-math.radians(40))
    planar.upd_coordinates(0).setRangeMax(math.radians(40))
    planar.upd_coordinates(1).setRangeMin(-5.0)
    planar.upd_coordinates(1).setRangeMax(5.0)
    planar.upd_coordinates(2).setRangeMin(0.0)
    planar.upd_coordinates(2).setRangeMax(2.0)
    planar.upd_coordinates(2).setDefaultValue(body.leg_length_m)
    model.addJoint(planar)

    for side in SIDES:
        z = body.hip_half_width_m * (1 if side == "r" else -1)
        thigh, shank, foot = body.thigh, body.shank, body.foot
        femur = osim.Body(f"femur_{side}", thigh.mass_kg, osim.Vec3(0, -thigh.com_m, 0), _inertia(osim, thigh.inertia_kg_m2))
        tibia = osim.Body(f"tibia_{side}", shank.mass_kg, osim.Vec3(0, -shank.com_m, 0), _inertia(osim, shank.inertia_kg_m2))
        calcn = osim.Body(f"calcn_{side}", foot.mass_kg, osim.Vec3(0.05 * s, -0.035 * s, 0), _inertia(osim, foot.inertia_kg_m2))
        joints = (
            ("hip", pelvis, osim.Vec3(0, 0, z), femur, "hip_flexion"),
            ("knee", femur, osim.Vec3(0, -thigh.length_m, 0), tibia, "knee_angle"),
            ("ankle", tibia, osim.Vec3(0, -shank.length_m, 0), calcn, "ankle_angle"),
        )
        for seg in (femur, tibia, calcn):
            model.addBody(seg)
        for jname, parent, loc, child, cname in joints:
            joint = osim.PinJoint(f"{jname}_{side}", parent, loc, osim.Vec3(0), child, osim.Vec3(0), osim.Vec3(0))
            coord = joint.updCoordinate()
            coord.setName(f"{cname}_{side}")
            low, high = ANGULAR_RANGES_DEG[cname]
            coord.setRangeMin(math.radians(low))
            coord.setRangeMax(math.radians(high))
            model.addJoint(joint)
    return model


def _add_contacts(osim: Any, model: Any, body: Anthropometry) -> None:
    s = body.length_scale
    floor = osim.ContactHalfSpace(osim.Vec3(0), osim.Vec3(0, 0, -math.pi / 2), model.getGround(), "floor")
    model.addContactGeometry(floor)
    for side in SIDES:
        calcn = model.getBodySet().get(f"calcn_{side}")
        for where, x_nominal, radius in CONTACT_SPHERES:
            at = osim.Vec3(x_nominal * s, -body.ankle_height_m + radius, 0)
            add_sphere_contact(osim, model, floor, calcn, f"{where}_{side}", at, radius)


def add_sphere_contact(osim: Any, model: Any, floor: Any, frame: Any, name: str, location: Any, radius_m: float) -> None:
    """A contact sphere ``name`` on ``frame`` at ``location`` and its smooth Hunt–Crossley force
    against ``floor`` (``contact_<name>``), with the :data:`CONTACT` parameters."""
    sphere = osim.ContactSphere(radius_m, location, frame, name)
    model.addContactGeometry(sphere)
    force = osim.SmoothSphereHalfSpaceForce(f"contact_{name}", sphere, floor)
    force.set_stiffness(CONTACT["stiffness"])
    force.set_dissipation(CONTACT["dissipation"])
    force.set_static_friction(CONTACT["static_friction"])
    force.set_dynamic_friction(CONTACT["dynamic_friction"])
    force.set_viscous_friction(CONTACT["viscous_friction"])
    force.set_transition_velocity(CONTACT["transition_velocity"])
    force.set_hertz_smoothing(300.0)
    force.set_hunt_crossley_smoothing(50.0)
    model.addForce(force)


def _add_muscles(osim: Any, model: Any, body: Anthropometry, p: dict[str, float]) -> None:
    s = body.length_scale
    mass_factor = (body.body_mass_kg / NOMINAL_MASS_KG) ** (2.0 / 3.0)
    vmax = max_contraction_velocity(p["age_years"])
    offsets = {"pelvis": 0.0, "femur": 0.0, "tibia": 0.0, "calcn": 0.0}
    for side in SIDES:
        bodies = {name: model.getBodySet().get(f"{name}_{side}" if name != "pelvis" else "pelvis") for name in offsets}
        z_pelvis = body.hip_half_width_m * (1 if side == "r" else -1)
        for spec in MUSCLES:
            m = osim.DeGrooteFregly2016Muscle()
            m.setName(muscle_name(spec, side))
            m.set_max_isometric_force(spec.max_isometric_force_n * side_value(p, "strength", spec.group, side) * mass_factor)
            m.set_optimal_fiber_length(spec.optimal_fiber_length_m * s * side_value(p, "fiber_length", spec.group, side))
            m.set_tendon_slack_length(0.2 * s)  # replaced by _set_tendon_slack_lengths
            m.set_pennation_angle_at_optimal(0.0)
            m.set_max_contraction_velocity(vmax)
            m.set_activation_time_constant(ACTIVATION_TIME_CONSTANT_S * p["activation_time_scale"])
            m.set_deactivation_time_constant(DEACTIVATION_TIME_CONSTANT_S * p["activation_time_scale"])
            m.set_passive_fiber_strain_at_one_norm_force(PASSIVE_FIBER_STRAIN / p["passive_stiffness"])
            m.set_tendon_strain_at_one_norm_force(0.049)
            m.set_min_control(0.01)
            m.set_max_control(p["neural_drive"])
            for i, (bname, x, y) in enumerate(spec.path):
                z = z_pelvis if bname == "pelvis" else 0.0
                m.addNewPathPoint(f"{m.getName()}_p{i}", bodies[bname], osim.Vec3(x * s, y * s, z))
            model.addForce(m)


def _add_rigidity(osim: Any, model: Any, p: dict[str, float]) -> None:
    """PD rigidity as lead-pipe joint resistance at hip, knee and ankle (both legs).

    Rigidity is velocity-independent resistance throughout the range ("lead pipe"),
    mostly neural tone rather than stiffer tissue (Tan et al. 2016, Mov Disord,
    doi 10.1002/mds.26530: gastrocnemius passive stiffness not different from
    controls). Its size: Wright, Gurfinkel, Nutt, Horak & Cordo 2007 (Exp Brain Res,
    "Axial hypertonicity in Parkinson's disease") measured hip torsional resistance
    at 1°/s of 5.07 N·m in PD (OFF) against 3.51 N·m in controls, r = 0.73 with UPDRS.
    ``joint_rigidity`` = 1 adds that PD–control difference, :data:`RIGIDITY_TORQUE_NM`
    (1.56 N·m), as a smoothed Coulomb resistance −T·tanh(q̇/ω₀), ω₀ = 0.1 rad/s, to
    every sagittal joint (extrapolated from the hip's axial measurement to the
    sagittal hip, knee and ankle: an assumption, stated in the library README).
    Nothing is added at 0.
    """
    torque = RIGIDITY_TORQUE_NM * p.get("joint_rigidity", 0.0)
    if torque <= 0.0:
        return
    for side in SIDES:
        for coord in ("hip_flexion", "knee_angle", "ankle_angle"):
            force = osim.ExpressionBasedCoordinateForce(f"{coord}_{side}", f"-{torque:.6g}*tanh(qdot/{RIGIDITY_VELOCITY_RAD_S:g})")
            force.setName(f"rigidity_{coord}_{side}")
            model.addForce(force)


#: knee flexion (deg) at which a muscle's NOMINAL fibre is at optimal length; others: the
#: neutral pose. Knee-extensor torque peaks at 60–70° of flexion (Pincivero et al. 2004,
#: J Biomech 37:1689), so the quadriceps' optimum is set at 60°. With the optimum at full
#: extension (v1), 60° of swing knee flexion stretched the vasti onto their passive curve
#: (17 N·m of passive extension moment at 60°, measured on the nominal model; published
#: passive knee moments there are a few N·m, Riener & Edrich 1999, J Biomech 32:539),
#: and predictive solves without tracking swung a straight knee.
OPTIMAL_KNEE_FLEXION_DEG: dict[str, float] = {"vasti": 60.0, "rect_fem": 60.0}


def _set_tendon_slack_lengths(model: Any, body: Anthropometry) -> None:
    """Tendon slack = MTU length at the muscle's reference pose − NOMINAL optimal fibre length (scaled).

    The reference pose is neutral except for the knee of :data:`OPTIMAL_KNEE_FLEXION_DEG`.
    """
    state = model.initSystem()
    lengths = {}
    for knee_deg in sorted({0.0, *OPTIMAL_KNEE_FLEXION_DEG.values()}):
        for c in range(model.getCoordinateSet().getSize()):
            coord = model.getCoordinateSet().get(c)
            if coord.getName() != "pelvis_ty":
                coord.setValue(state, -math.radians(knee_deg) if coord.getName().startswith("knee_angle") else 0.0, False)
        model.realizePosition(state)
        for spec in MUSCLES:
            if OPTIMAL_KNEE_FLEXION_DEG.get(spec.name, 0.0) != knee_deg:
                continue
            for side in SIDES:
                name = muscle_name(spec, side)
                muscle = model.getMuscles().get(name)
                lengths[name] = muscle.getLength(state) - spec.optimal_fiber_length_m * body.length_scale
    for name, slack in lengths.items():
        model.updMuscles().get(name).set_tendon_slack_length(slack)
    model.finalizeConnections()
    model.initSystem()
