"""What moves stance (and the vertical GRF) in the free-speed solve: one body, one variant per solve.

    .venv/bin/python benchmarks/physics_stance.py                   # every variant, ≈ 40 core-min
    .venv/bin/python benchmarks/physics_stance.py base mtp mesh40   # some of them

Issue #14 asks for stance 59–65 % (Bovi et al. 2011: 62.6 ± 2.0 %) and a vertical GRF with
two ≈ 1.05 BW peaks; the shipped v2 body stands 56–58 % in every phenotype but stroke and
lands with a 1.7–1.8 BW heel-strike spike. This script records what each candidate fix
does on the nominal body (40 y, 1.75 m, 75 kg: the parameter registry's nominal), one
free-speed solve each (library settings: mesh 20, tolerance 1e-2, ≤ 600 iterations, from
the shipped v2 guess), each in its own subprocess so that no variant leaks into the next:

- ``base``: the shipped body and objective;
- ``k0.5``: contact sphere stiffness × 0.5; ``d5``: Hunt–Crossley dissipation 2 → 5 s/m;
- ``heelr0.05``: heel sphere radius 0.035 → 0.05 m (same sole height);
- ``mtp``: a toes segment on a metatarsophalangeal pin joint at the metatarsal-head sphere,
  passive 25 N·m/rad and 2 N·m·s/rad (Falisse, Afschrift & De Groote 2022, PLoS ONE
  17:e0256311, PredSim settings), toes 15 % of the foot's mass, the toe-tip sphere on it;
- ``achilles``: compliant soleus/gastrocnemius tendons (``free_speed.make_achilles_compliant``);
- ``effort1.5`` / ``effort6``: the Σu³ effort weight 3 → 1.5 / 6;
- ``arate30`` / ``arate100``: plus an activation-rate cost w·Σ∫(u − a)² dt / D
  (``free_speed.add_activation_rate_goals``; rapid force development costs energy, van der
  Zee & Kuo 2021);
- ``mesh40``: 40 mesh intervals per half cycle instead of 20 (is stance a resolution artefact?);
- ``frate<w>``: plus Moco's native cost w·Σ∫(dF̃_T/dt)² on the compliant tendons' force rate
  (with ``achilles`` or ``tendons``; ``install_force_rate_cost``), a cheap force-rate cost;
- ``scalebounds`` / ``implicit``: Moco's ``scale_variables_using_bounds`` / implicit
  multibody dynamics (solver settings: do they cut iterations without moving the optimum?);
- ``sparsity-<mode>``: Moco's Jacobian sparsity detection ``random`` or ``initial-guess``
  instead of the shipped ``none`` (a solver setting, not a model change: does it make
  per-muscle goals such as ``arate`` cheap?);
- ``qacc<w>``: plus w·Σ∫q̈² dt / D over the rotational coordinates (Falisse et al. 2019's
  joint-acceleration term; ``free_speed.add_joint_acceleration_goals``);
- ``load<w>``: plus w·Σ_spheres ∫(F_y / body weight)² dt / D (a cost on peak foot loads;
  ``free_speed.add_foot_load_goals``);
- ``trunk<w>``: plus w·∫|a_pelvis|² dt / D (head-arms-trunk stability; Veerkamp et al. 2021);
- ``tendons``: every muscle with a compliant tendon (strain 0.049 at maximum force, k_T = 35);
- ``heelx<x>`` / ``toesx<x>``: the heel / toe-tip sphere at x metres from the ankle (at 1.75 m);
- ``massnominal``: the metabolic model's muscle masses from the nominal optimal fibre lengths
  (a contracture otherwise makes its muscle lighter and cheaper; ``install_nominal_muscle_mass``).

Variants combine with ``+`` (``mtp+achilles``). Prints one JSON line per variant and a
markdown table. Nothing here is tuned to pass: a variant that does not reach the target
is reported as it is.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time
from typing import Any

VARIANTS = ("base", "k0.5", "d5", "heelr0.05", "mtp", "achilles", "mtp+achilles", "effort1.5", "effort6",
            "arate30", "arate100", "mesh40")
MEASURES = ("gait_speed_m_s", "cadence_steps_min", "stance_pct", "double_support_pct",
            "peak_knee_flexion_swing_deg", "knee_flexion_initial_contact_deg")


def install_toe_joint(model_mod: Any, *, stiffness_nm_rad: float = 25.0, damping_nms_rad: float = 2.0) -> None:
    """Patch the model builder (in this process only): toes on an MTP pin joint (Falisse 2022)."""
    original_skeleton = model_mod._skeleton
    toe_x = dict((name, x) for name, x, _ in model_mod.CONTACT_SPHERES)["toe"]

    def skeleton(osim: Any, body: Any) -> Any:
        model = original_skeleton(osim, body)
        s = body.length_scale
        for side in model_mod.SIDES:
            calcn = model.getBodySet().get(f"calcn_{side}")
            toes_mass = 0.15 * body.foot.mass_kg
            calcn.setMass(body.foot.mass_kg - toes_mass)
            toes = osim.Body(f"toes_{side}", toes_mass, osim.Vec3(0.02 * s, 0, 0),
                             model_mod._inertia(osim, toes_mass * (0.025 * s) ** 2))
            model.addBody(toes)
            at = osim.Vec3(toe_x * s, -body.ankle_height_m + model_mod.TOE_RADIUS_M, 0)
            joint = osim.PinJoint(f"mtp_{side}", calcn, at, osim.Vec3(0), toes, osim.Vec3(0), osim.Vec3(0))
            coord = joint.updCoordinate()
            coord.setName(f"mtp_angle_{side}")
            coord.setRangeMin(math.radians(-45))
            coord.setRangeMax(math.radians(60))
            model.addJoint(joint)
            spring = osim.SpringGeneralizedForce(f"mtp_angle_{side}")
            spring.setName(f"mtp_passive_{side}")
            spring.setStiffness(stiffness_nm_rad)
            spring.setViscosity(damping_nms_rad)
            spring.setRestLength(0.0)
            model.addForce(spring)
        return model

    def contacts(osim: Any, model: Any, body: Any) -> None:
        s = body.length_scale
        floor = osim.ContactHalfSpace(osim.Vec3(0), osim.Vec3(0, 0, -math.pi / 2), model.getGround(), "floor")
        model.addContactGeometry(floor)
        for side in model_mod.SIDES:
            for where, x_nominal, radius in model_mod.CONTACT_SPHERES:
                if where == "toes":
                    frame = model.getBodySet().get(f"toes_{side}")
                    at = osim.Vec3((x_nominal - toe_x) * s, radius - model_mod.TOE_RADIUS_M, 0)
                else:
                    frame = model.getBodySet().get(f"calcn_{side}")
                    at = osim.Vec3(x_nominal * s, -body.ankle_height_m + radius, 0)
                model_mod.add_sphere_contact(osim, model, floor, frame, f"{where}_{side}", at, radius)

    model_mod._skeleton, model_mod._add_contacts = skeleton, contacts


#: muscles usually spastic in CP, the ones Falisse et al. 2020 gave stretch-reflex feedback
SPASTIC_MUSCLES = ("hamstrings", "gastroc")


def install_fibre_damping(model_mod: Any, damping: float, muscles: tuple[str, ...] | None) -> None:
    """Patch the muscle builder (this process only): DGF ``fiber_damping`` on ``muscles`` (None: all).

    A velocity-dependent fibre force, damping × normalised fibre velocity × maximum isometric
    force, the linear stand-in for spastic hypertonia's velocity dependence (Lance 1980). Sizes:
    derivation in BENCHMARKS.md ("fibre damping"): 0.01 matches healthy knee
    damping (≈ 0.1–0.2 N·m·s/rad; Engsberg et al. 1996, Arch Phys Med Rehabil 77:594), CP
    hamstrings 5.7–10 × that (de Gooijer-van de Groep et al. 2013, J NeuroEng Rehabil 10:81;
    Engsberg 1996) at passive stiffness × 2: 0.05–0.09.
    """
    import opensim as osim

    original = model_mod._add_muscles

    def add_muscles(osim_mod: Any, model: Any, body: Any, p: dict[str, float]) -> None:
        original(osim_mod, model, body, p)
        forces = model.updForceSet()
        for i in range(forces.getSize()):
            muscle = osim.DeGrooteFregly2016Muscle.safeDownCast(forces.get(i))
            if muscle is not None and (muscles is None or muscle.getName().startswith(muscles)):
                muscle.set_fiber_damping(damping)

    model_mod._add_muscles = add_muscles


def install_force_rate_cost(free_speed: Any, weight: float) -> None:
    """Moco's ``minimize_implicit_auxiliary_derivatives``: w · Σ ∫ (dF̃_T/dt)² over every muscle with
    an implicit compliant tendon (normalised tendon force rate, 1/s), evaluated by CasADi on the
    decision variables (no OpenSim callback for the cost itself): a force-rate cost (van der Zee &
    Kuo 2021, J Exp Biol 224:jeb233965). Needs ``achilles`` or ``tendons``, whose compliant
    tendons make every iteration dearer (BENCHMARKS.md, physics, session 11)."""
    def force_rate(solver: Any) -> None:
        solver.set_minimize_implicit_auxiliary_derivatives(True)
        solver.set_implicit_auxiliary_derivatives_weight(weight)

    add_solver_setting(free_speed, force_rate)


#: parameters of the body being solved (set by :func:`solve_variant`; ``massnominal`` reads them)
BODY_PARAMS: dict[str, float] = {}


def install_nominal_muscle_mass(free_speed: Any) -> None:
    """Metabolic muscle mass from each muscle's NOMINAL optimal fibre length (a diagnostic).

    OpenSim's Bhargava 2004 component takes a muscle's mass as F_max / σ × ρ × l_opt
    (σ = 0.25 MPa, ρ = 1059.7 kg/m³), so a contracture (``fiber_length_<group>`` < 1) also
    makes its muscle lighter, hence metabolically cheaper. This variant keeps the nominal
    mass, to tell how much of a contracted body's choice comes from that."""
    import opensim as osim

    from trialsim.musculoskeletal.model import MUSCLES, SIDES, muscle_name
    from trialsim.physiology.parameters import resolve_parameters, side_value

    original = free_speed.add_metabolics

    def add_metabolics(osim_mod: Any, model: Any, **kwargs: Any) -> None:
        original(osim_mod, model, **kwargs)
        p = resolve_parameters(BODY_PARAMS)
        ratio = {muscle_name(spec, side): side_value(p, "fiber_length", spec.group, side) for spec in MUSCLES for side in SIDES}
        metabolics = osim.Bhargava2004SmoothedMuscleMetabolics.safeDownCast(model.updComponent(f"/{free_speed.METABOLICS}"))
        for i in range(metabolics.getNumMetabolicMuscles()):
            params = metabolics.upd_muscle_parameters(i)
            muscle = model.getMuscles().get(params.getName())
            mass = muscle.getMaxIsometricForce() / 0.25e6 * 1059.7 * muscle.getOptimalFiberLength() / ratio[params.getName()]
            params.set_use_provided_muscle_mass(True)
            params.set_provided_muscle_mass(mass)
        model.finalizeConnections()

    free_speed.add_metabolics = add_metabolics


def add_solver_setting(free_speed: Any, setting: Any) -> None:
    """Apply ``setting(solver)`` after the shipped ``_configure_solver`` (this process only)."""
    configure_solver = free_speed._configure_solver

    def configured(solver: Any, settings: Any) -> None:
        configure_solver(solver, settings)
        setting(solver)

    free_speed._configure_solver = configured


def configure(variant: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Apply a variant in this process; returns solve keyword arguments and solver settings
    (``SolverSettings`` fields: the mesh, Jacobian sparsity detection)."""
    import trialsim.musculoskeletal.free_speed as free_speed
    import trialsim.musculoskeletal.model as model_mod

    kwargs: dict[str, Any] = {}
    solver: dict[str, Any] = {"mesh_intervals": 20}
    spheres = list(model_mod.CONTACT_SPHERES)
    for part in variant.split("+"):
        if part == "base":
            continue
        if part.startswith("k"):
            model_mod.CONTACT["stiffness"] *= float(part[1:])
        elif part.startswith("d"):
            model_mod.CONTACT["dissipation"] = float(part[1:])
        elif part.startswith("heelr"):
            spheres[0] = (spheres[0][0], spheres[0][1], float(part[5:]))
        elif part.startswith("heelx"):
            spheres[0] = (spheres[0][0], float(part[5:]), spheres[0][2])
        elif part.startswith("toesx"):
            spheres[2] = (spheres[2][0], float(part[5:]), spheres[2][2])
        elif part == "mtp":
            install_toe_joint(model_mod)
        elif part == "achilles":
            kwargs["compliant_achilles"] = True
        elif part == "tendons":  # every muscle's tendon compliant (generic strain 0.049, k_T = 35)
            free_speed.ACHILLES_MUSCLES = ("",)  # str.startswith("") is true: every muscle
            free_speed.ACHILLES_TENDON_STRAIN = 0.049
            kwargs["compliant_achilles"] = True
        elif part.startswith("effort"):
            free_speed.EFFORT_WEIGHT = float(part[6:])
        elif part.startswith("arate"):
            kwargs["activation_rate_weight"] = float(part[5:])
        elif part.startswith("qacc"):
            kwargs["joint_acceleration_weight"] = float(part[4:])
        elif part.startswith("trunk"):
            kwargs["trunk_stability_weight"] = float(part[5:])
        elif part.startswith("load"):
            kwargs["foot_load_weight"] = float(part[4:])
        elif part.startswith("fdampall"):  # fibre damping in every muscle
            install_fibre_damping(model_mod, float(part[8:]), None)
        elif part.startswith("fdamp"):  # fibre damping in the muscles usually spastic in CP
            install_fibre_damping(model_mod, float(part[5:]), SPASTIC_MUSCLES)
        elif part.startswith("mesh"):
            solver["mesh_intervals"] = int(part[4:])
        elif part.startswith("frate"):  # force-rate cost: Moco's native Σ∫(dF̃_T/dt)² over the compliant tendons
            install_force_rate_cost(free_speed, float(part[5:]))
        elif part == "scalebounds":  # Moco scales each variable by its bounds
            add_solver_setting(free_speed, lambda solver: solver.set_scale_variables_using_bounds(True))
        elif part == "implicit":  # implicit multibody dynamics: accelerations are variables, residuals constraints
            add_solver_setting(free_speed, lambda solver: solver.set_multibody_dynamics_mode("implicit"))
        elif part == "massnominal":  # metabolic muscle mass from the nominal fibre length (diagnostic)
            install_nominal_muscle_mass(free_speed)
        elif part.startswith("sparsity-"):  # Moco's Jacobian sparsity detection: none, random, initial-guess
            solver["sparsity_detection"] = part[len("sparsity-"):]
        else:
            raise SystemExit(f"error: unknown variant part {part!r}; known: {', '.join(VARIANTS)}")
    model_mod.CONTACT_SPHERES = tuple(spheres)
    return kwargs, solver


def grf_peaks_bw(curve: list[float]) -> tuple[float, float, float]:
    """First peak, mid-stance trough and second peak of one stance's vertical GRF (BW); the
    curve starts at heel strike (``gait_cycle_pct`` 0)."""
    start = next((i for i, x in enumerate(curve) if x > 0.03), 0)  # the first sample can sit at the threshold
    stance = list(curve[start: next((i for i, x in enumerate(curve) if i > start and x <= 0.03), len(curve))])
    last = len(stance) - 1
    mid = last // 2
    return (max(stance[: mid + 1]), min(stance[mid // 2: mid + (last - mid) // 2 + 1]), max(stance[mid:]))


#: bodies of issue #14's direction checks (``--bodies``): parameters on top of the registry's nominal
BODIES: dict[str, dict[str, float]] = {
    "nominal": {},
    "nominal70": {"age_years": 70.0},
    "pf0.5": {"age_years": 70.0, "strength_plantarflexors": 0.5},
    "tall": {"age_years": 70.0, "height_m": 1.90, "body_mass_kg": 85.0},
    "vigour0.6": {"age_years": 70.0, "vigour": 0.6},
    "stiff2": {"age_years": 70.0, "passive_stiffness": 2.0},
    "hamfib0.75": {"age_years": 70.0, "fiber_length_knee_flexors": 0.75},
    "rigidity2": {"age_years": 70.0, "joint_rigidity": 2.0},
}


def solve_variant(variant: str, body: str = "nominal") -> dict[str, Any]:
    """One free-speed solve of ``body`` with ``variant`` applied (in this process)."""
    from trialsim.musculoskeletal.free_speed import solve_free_speed
    from trialsim.musculoskeletal.gait import SolverSettings
    from trialsim.musculoskeletal.runner import _with_curves_and_measures

    BODY_PARAMS.update(BODIES[body])
    kwargs, solver = configure(variant)
    cpu = time.process_time()
    start = time.perf_counter()
    settings = SolverSettings(tolerance=1e-2, max_iterations=600, **solver)
    outcome = solve_free_speed(dict(BODIES[body]), settings=settings, **kwargs)
    result = _with_curves_and_measures({"failure_reason": "", "success": outcome.success}, outcome, {}, start, v2=True)
    row: dict[str, Any] = {"variant": variant, "body": body, "success": bool(result["success"]), "iterations": outcome.iterations,
                           "core_s": round(time.process_time() - cpu)}
    row.update({k: round(float(result["measures"][k]), 3) for k in MEASURES if k in result["measures"]})
    if result["curves"]:
        row["grf_peak1_trough_peak2_bw"] = [round(x, 2) for x in grf_peaks_bw(result["curves"]["grf_vertical_r_bw"])]
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("variants", nargs="*", default=list(VARIANTS))
    parser.add_argument("--bodies", default="nominal",
                        help=f"comma-separated bodies, each solved with every variant (known: {', '.join(BODIES)})")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)  # child process: one variant, one body
    args = parser.parse_args()
    bodies = args.bodies.split(",")
    unknown = [b for b in bodies if b not in BODIES]
    if unknown:
        raise SystemExit(f"error: --bodies: unknown {', '.join(unknown)}; known: {', '.join(BODIES)}")
    if args.one:
        print(json.dumps(solve_variant(args.variants[0], bodies[0])), flush=True)
        return
    rows = []
    for variant in args.variants:
        for body in bodies:
            done = subprocess.run([sys.executable, __file__, "--one", variant, "--bodies", body],
                                  capture_output=True, text=True, check=False)
            lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
            row = json.loads(lines[-1]) if lines else {"variant": variant, "body": body, "success": False,
                                                       "error": (done.stderr.strip().splitlines() or ["no output"])[-1]}
            print(json.dumps(row), flush=True)
            rows.append(row)
    print("| variant | body | converged | speed m/s | cadence | stance % | double support % | swing knee ° | "
          "knee at contact ° | vGRF peak 1 / trough / peak 2 (BW) | iterations | core-s |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        grf = " / ".join(f"{x:.2f}" for x in r.get("grf_peak1_trough_peak2_bw", [])) or "–"
        cells = [f"{r[k]:.3g}" if k in r else "–" for k in MEASURES]
        print(f"| {r['variant']} | {r['body']} | {r['success']} | {' | '.join(cells)} | {grf} | "
              f"{r.get('iterations', '–')} | {r.get('core_s', '–')} |")
    stance_ok = [f"{r['variant']} ({r['body']})" for r in rows if r.get("success") and r.get("stance_pct", 0.0) >= 59.0]
    print(f"variants_with_stance_at_least_59_pct: {', '.join(stance_ok) or 'none'}")


if __name__ == "__main__":
    main()
