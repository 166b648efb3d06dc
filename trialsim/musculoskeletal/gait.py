"""Moco problems for walking: tracking the reference, then predicting.

Both solve half a gait cycle with left/right symmetry (MocoPeriodicityGoal with
the left and right states and controls swapped, as in Moco's ``example2DWalking``),
or a full cycle with plain periodicity when the patient is asymmetric (any
``_l``/``_r`` parameter) so that the two sides can differ.

- Tracking (MocoTrack): states tracked with weight 10, effort weight 1, reserve
  actuators on every coordinate. Gives a dynamically consistent gait near the
  Ferrarin reference, scaled to the patient.
- Predictive: effort (controls³, divided by displacement, weight 10) + weak state
  tracking of the reference (weight 2, pelvis forward position excluded), average
  speed as an endpoint constraint, free duration. MOCO-NOTES: effort alone
  converges to toe-walking with short quick steps; the weak tracking keeps a heel
  strike. Warm-started from the shipped nominal solution.

Everything here imports opensim lazily and runs inside a worker process
(:mod:`.runner`); use :func:`trialsim.musculoskeletal.simulate_gait`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from trialsim.musculoskeletal.anthropometry import anthropometry
from trialsim.musculoskeletal.model import build_model
from trialsim.musculoskeletal.reference_kinematics import (
    reference_states,
    reference_stride_time_s,
    states_table,
)
from trialsim.physiology.parameters import resolve_parameters

TRACKING_WEIGHT = 10.0
PREDICTIVE_TRACKING_WEIGHT = 2.0
EFFORT_WEIGHT = 10.0
RESERVE_OPTIMAL_FORCE = 1.0
NOMINAL_GUESS = "data/nominal_guess.sto"
NOMINAL_SPEED_M_S = 1.2


@dataclass(frozen=True)
class SolverSettings:
    """Direct-collocation settings (Hermite–Simpson, CasADi/IPOPT)."""

    mesh_intervals: int = 25
    tolerance: float = 1e-3
    constraint_tolerance: float = 1e-3
    max_iterations: int = 1000
    threads: int = 1
    #: finite differences of the OpenSim callbacks: "forward" halves the cost of the
    #: constraint Jacobian (≈ 80 % of the solve time) relative to Moco's default "central"
    finite_difference: str = "forward"
    #: Jacobian sparsity of the callbacks (Moco default "none"); "random" was slower
    #: here: > 4 CPU-min for the nominal re-solve that takes < 1 min with "none"
    sparsity_detection: str = "none"
    #: IPOPT options Moco does not expose (name → value). The solve worker writes them to
    #: the ``ipopt.opt`` file IPOPT reads from its working directory, the worker's own
    #: scratch directory (:func:`trialsim.musculoskeletal.runner.run_solve`); a solve run
    #: in-process does not get them. None are shipped: ``bound_push = bound_frac = 1e-6``
    #: cut core-s 1.42× over four warm-started bodies but stopped at worse optima with
    #: shorter stance (nominal 70 y: 59.0 vs 60.25 %; BENCHMARKS.md, physics, session 10)
    ipopt_options: dict[str, Any] = field(default_factory=dict)


@dataclass
class SolveOutcome:
    """A raw Moco result (lives only inside the worker)."""

    solution: Any
    model: Any
    success: bool
    status: str
    objective: float
    iterations: int
    wall_time_s: float
    full_cycle: bool


def is_asymmetric(params: dict[str, float]) -> bool:
    """True when a side-specific parameter differs between the legs."""
    for name, value in params.items():
        if name.endswith("_l") and abs(value - params.get(name[:-2] + "_r", 1.0)) > 1e-9:
            return True
        if name.endswith("_r") and abs(value - params.get(name[:-2] + "_l", 1.0)) > 1e-9:
            return True
    return False


def model_processor(params: dict[str, float]) -> Any:
    """The patient model with Moco-friendly operators (rigid tendons, wider force–length curve, reserves)."""
    import opensim as osim

    proc = osim.ModelProcessor(build_model(params))
    proc.append(osim.ModOpIgnoreTendonCompliance())
    proc.append(osim.ModOpScaleActiveFiberForceCurveWidthDGF(1.5))
    proc.append(osim.ModOpAddReserves(RESERVE_OPTIMAL_FORCE))
    return proc


def _mirror(name: str) -> str:
    """Left/right counterpart of a state or control path."""
    parts = name.split("/")
    out = []
    for part in parts:
        pieces = part.split("_")
        pieces = ["l" if p == "r" else "r" if p == "l" else p for p in pieces]
        out.append("_".join(pieces))
    return "/".join(out)


def periodicity_goal(model: Any, *, full_cycle: bool) -> Any:
    """Symmetric half-cycle (L↔R swapped) or plain full-cycle periodicity; pelvis_tx excluded."""
    import opensim as osim

    goal = osim.MocoPeriodicityGoal("periodicity")
    state_names = model.getStateVariableNames()
    for i in range(state_names.getSize()):
        name = state_names.get(i)
        if name.endswith("pelvis_tx/value"):
            continue
        pair = name if full_cycle else _mirror(name)
        goal.addStatePair(osim.MocoPeriodicityGoalPair(name, pair))
    for i in range(model.getActuators().getSize()):
        act = model.getActuators().get(i)
        path = act.getAbsolutePathString()
        goal.addControlPair(osim.MocoPeriodicityGoalPair(path, path if full_cycle else _mirror(path)))
    return goal


def _configure_solver(solver: Any, settings: SolverSettings) -> None:
    solver.set_num_mesh_intervals(settings.mesh_intervals)
    solver.set_optim_convergence_tolerance(settings.tolerance)
    solver.set_optim_constraint_tolerance(settings.constraint_tolerance)
    solver.set_optim_max_iterations(settings.max_iterations)
    solver.set_parallel(settings.threads if settings.threads > 1 else 0)
    solver.set_optim_finite_difference_scheme(settings.finite_difference)
    solver.set_optim_sparsity_detection(settings.sparsity_detection)
    solver.set_optim_ipopt_print_level(0)
    solver.set_verbosity(0)


def _reference(params: dict[str, float], speed_m_s: float, duration_s: float) -> dict[str, Any]:
    body = anthropometry(params["height_m"], params["body_mass_kg"])
    stride = reference_stride_time_s() * math.sqrt(body.length_scale)  # Froude-similar timing
    return reference_states(body, speed_m_s=speed_m_s, stride_time_s=stride, duration_s=duration_s)


def _outcome(study: Any, solution: Any, model: Any, start: float, full_cycle: bool) -> SolveOutcome:
    success = bool(solution.success())
    status = str(solution.getStatus())
    if not success:
        solution.unseal()
    return SolveOutcome(solution, model, success, status, float(solution.getObjective()),
                        int(solution.getNumIterations()), time.perf_counter() - start, full_cycle)


def solve_tracking(params: dict[str, float], *, speed_m_s: float, settings: SolverSettings, full_cycle: bool = False) -> SolveOutcome:
    """MocoTrack of the reference kinematics scaled to the patient."""
    import opensim as osim

    start = time.perf_counter()
    p = resolve_parameters(params)
    scale = p["height_m"] / 1.75
    stride = reference_stride_time_s() * math.sqrt(scale)
    duration = stride if full_cycle else stride / 2
    states = _reference(p, speed_m_s, duration)
    proc = model_processor(p)
    track = osim.MocoTrack()
    track.setName("tracking")
    track.setModel(proc)
    track.setStatesReference(osim.TableProcessor(states_table(states)))
    track.set_states_global_tracking_weight(TRACKING_WEIGHT)
    track.set_allow_unused_references(True)
    track.set_track_reference_position_derivatives(True)
    track.set_apply_tracked_states_to_guess(True)
    track.set_initial_time(0.0)
    track.set_final_time(duration)
    track.set_mesh_interval(duration / settings.mesh_intervals)
    study = track.initialize()
    problem = study.updProblem()
    model = proc.process()
    model.initSystem()
    problem.addGoal(periodicity_goal(model, full_cycle=full_cycle))
    effort = osim.MocoControlGoal.safeDownCast(problem.updGoal("control_effort"))
    effort.setWeight(1.0)
    solver = osim.MocoCasADiSolver.safeDownCast(study.updSolver())
    _configure_solver(solver, settings)
    solution = study.solve()
    return _outcome(study, solution, model, start, full_cycle)


def nominal_guess_path() -> Path:
    return Path(str(resources.files("trialsim").joinpath(NOMINAL_GUESS)))


def solve_predictive(
    params: dict[str, float],
    *,
    speed_m_s: float,
    settings: SolverSettings,
    guess: Any = None,
    full_cycle: bool | None = None,
) -> SolveOutcome:
    """Predictive effort-minimising gait at an average speed, warm-started from ``guess``.

    ``guess`` is a MocoTrajectory or a path to a ``.sto``; by default the shipped
    nominal solution, adapted to the patient's height and speed.
    """
    import opensim as osim

    start = time.perf_counter()
    p = resolve_parameters(params)
    full = is_asymmetric(p) if full_cycle is None else full_cycle
    scale = p["height_m"] / 1.75
    proc = model_processor(p)
    model = proc.process()
    model.initSystem()

    study = osim.MocoStudy()
    study.setName("predictive")
    problem = study.updProblem()
    problem.setModelAsCopy(model)
    half = 0.5 * reference_stride_time_s() * math.sqrt(scale)
    factor = 2.0 if full else 1.0
    problem.setTimeBounds(osim.MocoInitialBounds(0.0), osim.MocoFinalBounds(factor * 0.6 * half, factor * 1.5 * half))
    problem.setStateInfo("/jointset/ground_pelvis/pelvis_tx/value", [-0.5, 5.0], 0.0)
    problem.setStateInfo("/jointset/ground_pelvis/pelvis_ty/value", [0.6 * scale, 1.2 * scale])
    problem.setStateInfo("/jointset/ground_pelvis/pelvis_tilt/value", [-math.radians(30), math.radians(20)])
    problem.setStateInfoPattern("/jointset/.*/speed", [-20.0, 20.0])
    problem.addGoal(periodicity_goal(model, full_cycle=full))
    speed_goal = osim.MocoAverageSpeedGoal("speed")
    speed_goal.set_desired_average_speed(speed_m_s)
    problem.addGoal(speed_goal)
    effort = osim.MocoControlGoal("effort", EFFORT_WEIGHT)
    effort.setExponent(3)
    effort.setDivideByDisplacement(True)
    problem.addGoal(effort)
    states = _reference(p, speed_m_s, factor * 1.6 * half)
    tracking = osim.MocoStateTrackingGoal("tracking", PREDICTIVE_TRACKING_WEIGHT)
    tracking.setReference(osim.TableProcessor(states_table(states, exclude=("pelvis_tx",))))
    tracking.setAllowUnusedReferences(True)
    problem.addGoal(tracking)

    solver = study.initCasADiSolver()
    _configure_solver(solver, settings)
    traj = _adapt_guess(solver, guess, scale=scale, speed_m_s=speed_m_s, full_cycle=full)
    solver.setGuess(traj)
    solution = study.solve()
    return _outcome(study, solution, model, start, full)


def _adapt_guess(solver: Any, guess: Any, *, scale: float, speed_m_s: float, full_cycle: bool, guess_scale: float = 1.0) -> Any:
    """Load the guess and scale it to the patient's size and speed (Froude-similar timing)."""
    import numpy as np
    import opensim as osim

    if guess is None:
        guess = nominal_guess_path()
    traj = osim.MocoTrajectory(str(guess)) if isinstance(guess, str | Path) else guess
    if full_cycle and traj.getFinalTime() < 0.9 * reference_stride_time_s() * math.sqrt(scale):
        traj = osim.createPeriodicTrajectory(traj)
    src_scale_tx = traj.getStateMat("/jointset/ground_pelvis/pelvis_tx/value")
    times = np.asarray(traj.getTimeMat())
    old_speed = (src_scale_tx[-1] - src_scale_tx[0]) / (times[-1] - times[0])
    length = scale / guess_scale
    time_factor = math.sqrt(length)
    new_times = times * time_factor
    # keep the stride length of the guess (scaled with height) and stretch time to the speed
    stride_speed = old_speed * length / time_factor
    time_factor *= stride_speed / speed_m_s
    new_times = times * time_factor
    out = solver.createGuess()
    # resample on explicit times whose ends are the guess's own: Moco's resampleWithNumTimes
    # can compute a final time 1 ulp short of the existing one and refuse (seen in the library)
    grid = np.linspace(out.getInitialTime(), out.getFinalTime(), len(new_times))
    grid[0], grid[-1] = out.getInitialTime(), out.getFinalTime()
    out.resample(osim.Vector(list(map(float, grid))))
    out.setTime(osim.Vector(list(map(float, new_times))))
    for name in _names(out.getStateNames()):
        if not _has(traj.getStateNames(), name):
            continue
        values = np.asarray(traj.getStateMat(name), dtype=float)
        if name.endswith("pelvis_tx/value") or name.endswith("pelvis_ty/value"):
            values = values * length
        elif name.endswith("/speed"):
            values = values / time_factor * (length if "pelvis_t" in name and "tilt" not in name else 1.0)
        out.setState(name, osim.Vector(list(map(float, values))))
    for name in _names(out.getControlNames()):
        if _has(traj.getControlNames(), name):
            out.setControl(name, osim.Vector(list(map(float, np.asarray(traj.getControlMat(name), dtype=float)))))
    return out


def _names(array: Any) -> list[str]:
    return [array[i] for i in range(len(array))] if not hasattr(array, "getSize") else [array.get(i) for i in range(array.getSize())]


def _has(array: Any, name: str) -> bool:
    return name in _names(array)
