"""Free-speed predictive gait (physics v2): speed is an output of one solve.

The body chooses its gait, speed included, by minimising energy *and* time per
distance walked (Carlisle & Kuo 2023, eLife 12:e81939: people trade metabolic
energy against a cost of time; slowness in PD reads as reduced vigour, Mazzoni,
Hristova & Krakauer 2007, J Neurosci 27:7105)::

    J = [ ∫ (Ė_muscles + m·C_T·vigour) dt ] / (m · D)     energy and time, J/kg/m
        + w_u · ∫ Σ u³ dt / D                              muscle effort (fatigue-like)
        + w_h · ∫ |a_pelvis|² dt / D                        head-arms-trunk stability (library v3)

- Ė_muscles: OpenSim's smoothed Bhargava 2004 muscle metabolics (tanh smoothing,
  as in Moco's metabolics examples), every muscle;
- C_T: the cost of time, W/kg — one constant for everybody, :data:`TIME_COST_W_KG`,
  calibrated once on a nominal adult against Bohannon & Williams Andrews 2011
  (REFERENCE §2); it stands for everything a second of walking costs, the resting
  metabolic rate included (so there is no separate basal term);
- vigour: the patient's ``vigour`` parameter (1 = healthy; PD < 1);
- w_u Σu³: muscle effort with exponent 3 (Ackermann & van den Bogert 2010, J Biomech
  43:1055: activation cubed predicts gait; Falisse et al. 2019 combine it with
  metabolic rate). Without it the model's metabolic cost of transport rises too
  little with speed: measured on the nominal 70-year-old with w_u = 1, the body
  chose 1.73 m/s at C_T = 1.7 W/kg and 1.91 m/s at 2.7 W/kg; with w_u = 10 it chose
  1.34 m/s but swung a straight knee; w_u = 3 gives 1.30 m/s with 61° of swing knee
  flexion (BENCHMARKS.md, physics v2);
- w_h |a_pelvis|²: the head-arms-trunk segment rides on the pelvis, so its linear
  acceleration is what the head and trunk feel; people keep the head steady while
  walking (Menz, Lord & Fitzpatrick 2003, Gait Posture 18:35: head accelerations are
  attenuated relative to the pelvis), and head stability is one of the physiological
  criteria that Veerkamp et al. 2021 (J Biomech 123:110530) combine to predict healthy
  gait. Without it the energy-optimal gait of this 2-D body vaults over a straight leg:
  stance 56.75 % and double support 13.5 % on the nominal body, a 1.8 BW heel-strike
  spike, whatever the contact, foot, tendon, mesh or other objective terms
  (BENCHMARKS.md, physics stance experiments) — while tracking healthy kinematics with
  the same body gives 65 % / 30 %. :data:`TRUNK_STABILITY_WEIGHT` = 0.2 was chosen once,
  on the nominal body, as the smallest of 0.05, 0.2, 0.5, 1 whose stance reaches the
  issue's 59 % (0.05: 57.0 %; 0.2: 59.5 %; 0.5: 62.5 % but 132 steps/min and 17° of knee
  flexion at contact), and is fixed for everybody;
- D: the pelvis displacement over the solved (half) cycle, so the problem has
  no speed constraint and a free duration: speed = D / T is what the body picks.

The cost of time is carried by the metabolics component's basal term (a rate per kg
integrated over time, then divided by distance: exactly C_T·vigour / speed per
metre). There is no reference-tracking term: nothing pins timing to healthy adults.
The guess is the nearest finished body's solution (library warm start) or the
shipped v2 nominal solution.
"""

from __future__ import annotations

import math
import time
from typing import Any

from trialsim.musculoskeletal.gait import (
    SolveOutcome,
    SolverSettings,
    _adapt_guess,
    _configure_solver,
    _outcome,
    is_asymmetric,
    model_processor,
    periodicity_goal,
)
from trialsim.musculoskeletal.reference_kinematics import reference_stride_time_s
from trialsim.physiology.parameters import resolve_parameters

#: resting metabolic rate, W/kg (Waters & Mulroy 1999, Gait Posture 9:207): added to the
#: muscles' rate for the reported gross cost of transport, not part of the objective
BASAL_W_KG = 1.2
#: cost of time, W/kg, for vigour 1. Calibration (nominal 70-year-old man, 1.75 m, 75 kg,
#: mesh 20, tolerance 1e-2): 1.2 W/kg → 1.295 m/s against Bohannon's 1.26 m/s for men
#: 70–79 (within 0.04 m/s); the calibrated value equals the resting rate to the
#: resolution of the calibration (one body; see BENCHMARKS.md). Kept with the trunk-stability
#: term of library v3, which slows the same body to 1.19 m/s (0.07 below Bohannon, inside the
#: issue's 1.10–1.40 band); raising C_T would raise its cadence (124/min) above the band too
TIME_COST_W_KG = 1.2
#: weight of the muscle-effort term (Σu³ per metre; see the module docstring)
EFFORT_WEIGHT = 3.0
METABOLICS = "metabolics"
#: the shipped v2 cold-start guess: this module's own solution for the nominal 70-year-old
#: (1.75 m, 75 kg) at the calibrated settings
NOMINAL_GUESS_V2 = "data/nominal_guess_v2.sto"
NOMINAL_GUESS_HEIGHT_M = 1.75
#: compliant Achilles tendons are implemented but off by default: with them the nominal
#: 70-year-old chose 1.58 m/s, 139 steps/min, with a 2.3 BW heel-strike peak at the
#: calibration's cost of time (BENCHMARKS.md); re-calibrating for them is open work
COMPLIANT_ACHILLES = False
#: weight of the excitation-rate term Σ(u − a)² per metre (rapid force development costs
#: energy: van der Zee & Kuo 2021, J Exp Biol 224:jeb233965; Doke & Kuo 2007, J Exp Biol
#: 210:2390); 0 = not in the objective (see BENCHMARKS.md, physics v2 stance experiments)
ACTIVATION_RATE_WEIGHT = 0.0
#: weight of the joint-acceleration term Σ q̈² per metre over the rotational coordinates
#: (Falisse et al. 2019, J R Soc Interface 16:20190402: metabolic rate, activations,
#: joint accelerations and passive torques, all squared, predicted human-like gait);
#: 0 = not in the objective (see BENCHMARKS.md, physics v2 stance experiments)
JOINT_ACCELERATION_WEIGHT = 0.0
#: weight of a foot-loading term Σ_spheres ∫ (F_y / body weight)² dt / D (peak loads are avoided:
#: a flat, long contact carries the same impulse with a smaller ∫F²); 0 = not in the objective
#: (an experiment: BENCHMARKS.md, physics v2 stance experiments)
FOOT_LOAD_WEIGHT = 0.0
#: weight of the head-arms-trunk stability term ∫ |a_pelvis|² dt / D, (m/s²)²·s per metre
#: (module docstring; library v3). 0 gives library v2's objective
TRUNK_STABILITY_WEIGHT = 0.2


#: Achilles tendon strain at maximum isometric force for soleus and gastrocnemius:
#: normalised tendon stiffness k_T = 17.5 (half the generic 35 of De Groote et al.
#: 2016), as in PredSim's 2-D settings for the triceps surae (Falisse et al. 2019,
#: J R Soc Interface 16:20190402; strain = ln(6.25)/k_T − 0.005 ≈ 0.10)
ACHILLES_TENDON_STRAIN = 0.10
ACHILLES_MUSCLES = ("soleus", "gastroc")


def make_achilles_compliant(model: Any) -> None:
    """Soleus and gastrocnemius get a compliant tendon (implicit DGF dynamics); others stay rigid."""
    import opensim as osim

    muscles = model.updMuscles()
    for i in range(muscles.getSize()):
        muscle = osim.DeGrooteFregly2016Muscle.safeDownCast(muscles.get(i))
        if muscle is None or not muscle.getName().startswith(ACHILLES_MUSCLES):
            continue
        muscle.set_ignore_tendon_compliance(False)
        muscle.set_tendon_compliance_dynamics_mode("implicit")
        muscle.set_tendon_strain_at_one_norm_force(ACHILLES_TENDON_STRAIN)
    model.finalizeConnections()


def nominal_guess_v2_path() -> Any:
    from importlib import resources
    from pathlib import Path

    return Path(str(resources.files("trialsim").joinpath(NOMINAL_GUESS_V2)))


def add_metabolics(osim: Any, model: Any, *, body_mass_kg: float, time_cost_w_kg: float) -> None:
    """Add the smoothed Bhargava 2004 component whose basal term carries the cost of time (W/kg)."""
    from trialsim.musculoskeletal.metabolics import add_bhargava_metabolics

    add_bhargava_metabolics(osim, model, name=METABOLICS, smoothed=True, basal_w_kg=time_cost_w_kg)


def solve_free_speed(
    params: dict[str, float],
    *,
    settings: SolverSettings,
    guess: Any = None,
    guess_height_m: float | None = None,
    full_cycle: bool | None = None,
    time_cost_w_kg: float | None = None,
    speed_m_s: float | None = None,
    compliant_achilles: bool = COMPLIANT_ACHILLES,
    activation_rate_weight: float | None = None,
    joint_acceleration_weight: float | None = None,
    foot_load_weight: float | None = None,
    trunk_stability_weight: float | None = None,
) -> SolveOutcome:
    """One predictive solve with free duration and no speed constraint.

    Parameters
    ----------
    params
        Musculoskeletal parameters (unnamed ones nominal); ``vigour`` scales the cost of time.
    settings
        Collocation settings.
    guess
        A MocoTrajectory or ``.sto``/``.sto.gz`` path to warm-start from (default:
        shipped v2 nominal), made for a body of height ``guess_height_m`` (default 1.75 m):
        its stride is scaled to this body (Froude-similar timing).
    time_cost_w_kg
        Override of :data:`TIME_COST_W_KG` (used by the calibration only).
    speed_m_s
        ``None`` (default): the speed is free. A value imposes that average speed
        (same body, same objective: the imposed-speed mode for dose–response and
        cross-checks).
    compliant_achilles
        Compliant soleus/gastrocnemius tendons (:data:`ACHILLES_TENDON_STRAIN`).
    """
    start = time.perf_counter()
    study, model, full = build_study(params, settings=settings, guess=guess, guess_height_m=guess_height_m,
                                     full_cycle=full_cycle, time_cost_w_kg=time_cost_w_kg, speed_m_s=speed_m_s,
                                     compliant_achilles=compliant_achilles,
                                     activation_rate_weight=activation_rate_weight,
                                     joint_acceleration_weight=joint_acceleration_weight,
                                     foot_load_weight=foot_load_weight,
                                     trunk_stability_weight=trunk_stability_weight)
    solution = study.solve()
    return _outcome(study, solution, model, start, full)


def build_study(
    params: dict[str, float],
    *,
    settings: SolverSettings,
    guess: Any = None,
    guess_height_m: float | None = None,
    full_cycle: bool | None = None,
    time_cost_w_kg: float | None = None,
    speed_m_s: float | None = None,
    compliant_achilles: bool = COMPLIANT_ACHILLES,
    activation_rate_weight: float | None = None,
    joint_acceleration_weight: float | None = None,
    foot_load_weight: float | None = None,
    trunk_stability_weight: float | None = None,
) -> tuple[Any, Any, bool]:
    """The Moco study of :func:`solve_free_speed`, guess set, not solved: ``(study, model, full_cycle)``."""
    import opensim as osim

    p = resolve_parameters(params)
    full = is_asymmetric(p) if full_cycle is None else full_cycle
    scale = p["height_m"] / 1.75
    c_t = (TIME_COST_W_KG if time_cost_w_kg is None else time_cost_w_kg) * p["vigour"]
    model = model_processor(p).process()
    if compliant_achilles:
        make_achilles_compliant(model)
    add_metabolics(osim, model, body_mass_kg=p["body_mass_kg"], time_cost_w_kg=c_t)
    model.initSystem()

    study = osim.MocoStudy()
    study.setName("free_speed")
    problem = study.updProblem()
    problem.setModelAsCopy(model)
    half = 0.5 * reference_stride_time_s() * math.sqrt(scale)
    factor = 2.0 if full else 1.0
    problem.setTimeBounds(osim.MocoInitialBounds(0.0), osim.MocoFinalBounds(factor * 0.55 * half, factor * 1.6 * half))
    problem.setStateInfo("/jointset/ground_pelvis/pelvis_tx/value", [-0.5, 5.0], 0.0)
    problem.setStateInfo("/jointset/ground_pelvis/pelvis_ty/value", [0.6 * scale, 1.2 * scale])
    problem.setStateInfo("/jointset/ground_pelvis/pelvis_tilt/value", [-math.radians(30), math.radians(20)])
    problem.setStateInfoPattern("/jointset/.*/speed", [-20.0, 20.0])
    problem.addGoal(periodicity_goal(model, full_cycle=full))
    energy = osim.MocoOutputGoal("energy_and_time", 1.0 / p["body_mass_kg"])
    energy.setOutputPath(f"/{METABOLICS}|total_metabolic_rate")
    energy.setDivideByDisplacement(True)
    problem.addGoal(energy)
    if speed_m_s is not None:
        speed_goal = osim.MocoAverageSpeedGoal("speed")
        speed_goal.set_desired_average_speed(float(speed_m_s))
        problem.addGoal(speed_goal)
    effort = osim.MocoControlGoal("effort", EFFORT_WEIGHT)
    effort.setExponent(3)
    effort.setDivideByDisplacement(True)
    problem.addGoal(effort)
    rate_weight = ACTIVATION_RATE_WEIGHT if activation_rate_weight is None else activation_rate_weight
    if rate_weight > 0.0:
        add_activation_rate_goals(osim, problem, model, rate_weight)
    acc_weight = JOINT_ACCELERATION_WEIGHT if joint_acceleration_weight is None else joint_acceleration_weight
    if acc_weight > 0.0:
        add_joint_acceleration_goals(osim, problem, model, acc_weight)
    load_weight = FOOT_LOAD_WEIGHT if foot_load_weight is None else foot_load_weight
    if load_weight > 0.0:
        add_foot_load_goals(osim, problem, load_weight / (p["body_mass_kg"] * 9.81) ** 2)
    trunk_weight = TRUNK_STABILITY_WEIGHT if trunk_stability_weight is None else trunk_stability_weight
    if trunk_weight > 0.0:
        trunk = osim.MocoOutputGoal("trunk_stability", trunk_weight)
        trunk.setOutputPath("/bodyset/pelvis|linear_acceleration")  # Vec3: its norm, squared
        trunk.setExponent(2)
        trunk.setDivideByDisplacement(True)
        problem.addGoal(trunk)

    solver = study.initCasADiSolver()
    _configure_solver(solver, settings)
    guess_scale = (guess_height_m or 1.75) / 1.75
    if isinstance(guess, str) and guess.endswith(".gz"):
        from trialsim.musculoskeletal.metabolics import load_solution

        guess = load_solution(guess)
    if guess is None:
        guess, guess_scale = str(nominal_guess_v2_path()), NOMINAL_GUESS_HEIGHT_M / 1.75
    own_speed = solution_speed_m_s(osim.MocoTrajectory(guess) if isinstance(guess, str) else guess)
    guess_speed = own_speed * math.sqrt(scale / guess_scale) if speed_m_s is None else float(speed_m_s)
    traj = _adapt_guess(solver, guess, scale=scale, speed_m_s=guess_speed, full_cycle=full, guess_scale=guess_scale)
    solver.setGuess(traj)
    return study, model, full


def add_activation_rate_goals(osim: Any, problem: Any, model: Any, weight: float) -> None:
    """One goal per muscle: weight · ∫(excitation − activation)² dt / D (a rate-of-activation cost:
    with first-order activation dynamics ȧ ∝ u − a)."""
    muscles = model.getMuscles()
    for i in range(muscles.getSize()):
        path = muscles.get(i).getAbsolutePathString()
        goal = osim.MocoOutputGoal(f"activation_rate_{muscles.get(i).getName()}", weight)
        goal.setOutputPath(f"{path}|excitation")
        goal.setSecondOutputPath(f"{path}|activation")
        goal.setOperation("subtraction")
        goal.setExponent(2)
        goal.setDivideByDisplacement(True)
        problem.addGoal(goal)


def add_joint_acceleration_goals(osim: Any, problem: Any, model: Any, weight: float) -> None:
    """One goal per rotational coordinate: weight · ∫ q̈² dt / D (rad/s², per metre walked)."""
    coordinates = model.getCoordinateSet()
    for i in range(coordinates.getSize()):
        coordinate = coordinates.get(i)
        if coordinate.getMotionType() != osim.Coordinate.Rotational:
            continue
        goal = osim.MocoOutputGoal(f"joint_acceleration_{coordinate.getName()}", weight)
        goal.setOutputPath(f"{coordinate.getAbsolutePathString()}|acceleration")
        goal.setExponent(2)
        goal.setDivideByDisplacement(True)
        problem.addGoal(goal)


def add_foot_load_goals(osim: Any, problem: Any, weight: float) -> None:
    """One goal per contact sphere: weight · ∫ F_y² dt / D (``weight`` in 1/N²)."""
    from trialsim.musculoskeletal.model import contact_force_paths

    for path in [*contact_force_paths("r"), *contact_force_paths("l")]:
        goal = osim.MocoOutputGoal(f"load_{path.rsplit('/', 1)[-1]}", weight)
        goal.setOutputPath(f"{path}|sphere_force")
        goal.setOutputIndex(4)  # SpatialVec (moment, force): vertical force
        goal.setExponent(2)
        goal.setDivideByDisplacement(True)
        problem.addGoal(goal)


def solution_speed_m_s(solution: Any) -> float:
    """Average speed of a solved (half or full) cycle: pelvis displacement / duration."""
    import numpy as np

    x = np.asarray(solution.getStateMat("/jointset/ground_pelvis/pelvis_tx/value"), float)
    t = np.asarray(solution.getTimeMat(), float)
    return float((x[-1] - x[0]) / (t[-1] - t[0]))


def energy_measures(outcome: SolveOutcome, params: dict[str, float]) -> dict[str, float]:
    """Muscle metabolic power and costs of transport of a solved cycle (from the solve's own model).

    Gross cost adds the resting 1.2 W/kg (:data:`BASAL_W_KG`; the cost of time is a
    valuation, not an energy): ``metabolic_cost_of_transport_j_kg_m``; net: muscles only.
    """
    import numpy as np
    import opensim as osim
    from scipy.integrate import trapezoid

    p = resolve_parameters(params)
    study = osim.MocoStudy()
    study.updProblem().setModelAsCopy(outcome.model)
    output = f"/{METABOLICS}|total_metabolic_rate"
    table = study.analyze(outcome.solution, [output.replace("|", "\\|")])
    column = list(table.getColumnLabels()).index(output)
    t = np.asarray(table.getIndependentColumn(), float)
    rate_w = np.asarray(table.getDependentColumnAtIndex(column).to_numpy(), float)
    metabolics = osim.Bhargava2004SmoothedMuscleMetabolics.safeDownCast(outcome.model.getComponent(METABOLICS))
    time_w = metabolics.get_basal_coefficient() * p["body_mass_kg"] ** metabolics.get_basal_exponent()
    muscle_w_kg = (float(trapezoid(rate_w, t)) / float(t[-1] - t[0]) - time_w) / p["body_mass_kg"]
    speed = solution_speed_m_s(outcome.solution)
    return {"muscle_metabolic_power_w_kg": muscle_w_kg,
            "metabolic_power_w_kg": muscle_w_kg + BASAL_W_KG,
            "metabolic_cost_of_transport_j_kg_m": (muscle_w_kg + BASAL_W_KG) / speed,
            "net_metabolic_cost_of_transport_j_kg_m": muscle_w_kg / speed,
            "time_cost_w_kg": float(metabolics.get_basal_coefficient())}
