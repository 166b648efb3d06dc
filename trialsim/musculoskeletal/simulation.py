"""Public gait simulation: one patient → one :class:`GaitSimulation`.

Physics v2 (default, ``route="v2"``): one predictive solve of the patient's own body
with free stride duration and no speed constraint, minimising metabolic energy plus a
cost of time per metre (:mod:`.free_speed`); the speed the body walks at is an output
(``speed_source = "self_selected"``). With ``speed_m_s`` the same body and objective
walk at an imposed speed (``"imposed"``).

The v1 route (``route="v1"``, kept for the cross-check in ``benchmarks/physics.py``):
effort-minimising solves with weak reference tracking at three imposed speeds around
1.2 m/s × height/1.75 m (×0.8, ×1.0, ×1.2, one more at the edge), a parabola through
the joint-work cost of transport, its minimum taken as the self-selected speed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from trialsim.errors import SimulationError
from trialsim.musculoskeletal.measures import minimum_cost_speed
from trialsim.musculoskeletal.runner import run_solve
from trialsim.physiology.parameters import resolve_parameters

DEFAULT_TIMEOUT_S = 900.0
SPEED_FACTORS = (0.8, 1.0, 1.2)
MIN_SPEED_M_S = 0.4


@dataclass(frozen=True)
class GaitSimulation:
    """The outcome of simulating one patient (failed solves included, with their reason).

    ``curves`` maps a curve name to its values over ``curves["gait_cycle_pct"]``
    (0–100 %, right heel strike at 0 %); ``measures`` holds the spatiotemporal
    measures named as in :data:`trialsim.spec.names.GAIT_MEASURES` plus
    ``cost_of_transport`` and per-side extras.
    """

    params: dict[str, float]
    speed_m_s: float
    success: bool
    status: str
    objective: float
    iterations: int
    wall_time_s: float
    failure_reason: str = ""
    measures: dict[str, float] = field(default_factory=dict)
    curves: dict[str, np.ndarray] = field(default_factory=dict)
    full_cycle: bool = False
    speed_selection: dict[str, list[float]] | None = None
    speed_source: str = "imposed"

    @property
    def cost_of_transport(self) -> float:
        return float(self.measures.get("cost_of_transport", math.nan))

    def to_record(self) -> dict[str, Any]:
        """JSON-able dict (curves as lists)."""
        return {
            "params": self.params, "speed_m_s": self.speed_m_s, "success": self.success,
            "status": self.status, "objective": self.objective, "iterations": self.iterations,
            "wall_time_s": self.wall_time_s, "failure_reason": self.failure_reason,
            "measures": self.measures, "full_cycle": self.full_cycle,
            "speed_selection": self.speed_selection, "speed_source": self.speed_source,
            "curves": {k: [float(x) for x in v] for k, v in self.curves.items()},
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> GaitSimulation:
        return cls(
            params=dict(record["params"]), speed_m_s=float(record["speed_m_s"]),
            success=bool(record["success"]), status=str(record["status"]),
            objective=float(record["objective"]) if record["objective"] is not None else math.nan,
            iterations=int(record["iterations"]), wall_time_s=float(record["wall_time_s"]),
            failure_reason=str(record.get("failure_reason", "")),
            measures={k: (math.nan if v is None else float(v)) for k, v in record.get("measures", {}).items()},
            curves={k: np.asarray(v, float) for k, v in record.get("curves", {}).items()},
            full_cycle=bool(record.get("full_cycle") or False),
            speed_selection=record.get("speed_selection"),
            speed_source=str(record.get("speed_source") or "imposed"),
        )

    def curves_frame(self) -> Any:
        """Curves as a long pandas DataFrame: gait_cycle_pct, curve, value."""
        import pandas as pd

        if not self.curves:
            return pd.DataFrame(columns=["gait_cycle_pct", "curve", "value"])
        pct = self.curves["gait_cycle_pct"]
        frames = [pd.DataFrame({"gait_cycle_pct": pct, "curve": k, "value": v}) for k, v in self.curves.items() if k != "gait_cycle_pct"]
        return pd.concat(frames, ignore_index=True)


def default_speed_m_s(height_m: float) -> float:
    """Centre of the speed search: 1.2 m/s scaled with height."""
    return 1.2 * height_m / 1.75


def simulate_gait(
    params: dict[str, float],
    *,
    speed_m_s: float | None = None,
    route: str = "v2",
    timeout_s: float = DEFAULT_TIMEOUT_S,
    mesh_intervals: int = 20,
    tolerance: float = 1e-2,
    threads: int = 1,
    guess: str | None = None,
    guess_height_m: float | None = None,
    retrack_on_failure: bool = True,
    max_iterations: int = 600,
    save_solution: str | None = None,
    ipopt_options: dict[str, Any] | None = None,
) -> GaitSimulation:
    """Simulate a patient's walking with OpenSim Moco.

    Parameters
    ----------
    params
        Musculoskeletal parameters (see :mod:`trialsim.physiology.parameters`);
        unnamed ones are nominal.
    speed_m_s
        ``None``: the body chooses its speed (v2: one free-speed solve; v1: minimum
        joint-work cost of transport over three or four imposed-speed solves).
        A value imposes that average speed.
    route
        ``"v2"`` (energy and time, compliant Achilles, toe contact) or ``"v1"``.
    timeout_s
        Hard wall-clock limit per solve (the worker process is killed).
    mesh_intervals, tolerance, threads, max_iterations
        Direct-collocation mesh, IPOPT tolerance, CasADi threads and iteration cap per solve.
    guess, guess_height_m
        A Moco ``.sto``/``.sto.gz`` to warm-start from and the height of the body it
        was solved for (default: the shipped nominal solution).
    retrack_on_failure
        v2: when a warm start from ``guess`` fails, retry from the nominal solution;
        v1: track the reference with the patient's model and retry from that.
    save_solution
        Write the Moco solution (``.sto``) to this path (v2, or v1 with ``speed_m_s``).
    ipopt_options
        IPOPT options Moco does not expose, e.g. ``{"limited_memory_max_history": 20}``
        (default: none, IPOPT's defaults; see ``SolverSettings.ipopt_options``).

    Examples
    --------
    >>> sim = simulate_gait({"strength_plantarflexors": 0.5})  # doctest: +SKIP
    >>> sim.speed_source, round(sim.speed_m_s, 2)  # doctest: +SKIP
    ('self_selected', 1.1)
    """
    try:
        resolved = resolve_parameters(params)
    except (KeyError, ValueError) as exc:
        raise SimulationError(f"invalid physics parameters: {exc}") from exc
    if route not in ("v1", "v2"):
        raise SimulationError(f"route: unknown physics route {route!r} (allowed: v1, v2)")
    overrides = {k: float(v) for k, v in params.items()}
    settings: dict[str, Any] = {"mesh_intervals": mesh_intervals, "tolerance": tolerance, "threads": threads,
                                "max_iterations": max_iterations}
    if ipopt_options:
        settings["ipopt_options"] = dict(ipopt_options)
    if route == "v2":
        request = {"mode": "free_speed", "params": overrides, "speed_m_s": speed_m_s, "settings": settings,
                   "guess": guess, "guess_height_m": guess_height_m, "retrack_on_failure": retrack_on_failure,
                   "save_solution": save_solution}
        record = run_solve(request, timeout_s=timeout_s)
        record["params"] = overrides
        record.setdefault("speed_source", "self_selected" if speed_m_s is None else "imposed")
        if record.get("speed_m_s") is None:
            record["speed_m_s"] = math.nan if speed_m_s is None else float(speed_m_s)
        return GaitSimulation.from_record(record)
    if speed_m_s is not None:
        return _solve_one(overrides, speed_m_s, settings, timeout_s, guess, retrack_on_failure, save_solution)
    centre = default_speed_m_s(resolved["height_m"])
    sims = [_solve_one(overrides, centre * f, settings, timeout_s, guess, retrack_on_failure) for f in SPEED_FACTORS]
    chosen = select_speed(sims)
    # minimum at the edge of the solved range: extend the search once in that direction
    solved = sorted(s.speed_m_s for s in sims)
    if chosen.success and math.isclose(chosen.speed_m_s, solved[0]) and solved[0] * 0.8 >= MIN_SPEED_M_S:
        sims.append(_solve_one(overrides, solved[0] * 0.8, settings, timeout_s, guess, retrack_on_failure))
        chosen = select_speed(sims)
    elif chosen.success and math.isclose(chosen.speed_m_s, solved[-1]):
        sims.append(_solve_one(overrides, solved[-1] * 1.2, settings, timeout_s, guess, retrack_on_failure))
        chosen = select_speed(sims)
    return _replace(chosen, speed_source="self_selected")


def _solve_one(params: dict[str, float], speed: float, settings: dict[str, Any], timeout_s: float,
               guess: str | None, retrack: bool, save_solution: str | None = None) -> GaitSimulation:
    request = {"params": params, "speed_m_s": float(speed), "settings": settings, "guess": guess,
               "retrack_on_failure": retrack, "save_solution": save_solution}
    record = run_solve(request, timeout_s=timeout_s)
    record["params"] = params
    record["speed_m_s"] = float(speed)
    return GaitSimulation.from_record(record)


def select_speed(sims: list[GaitSimulation]) -> GaitSimulation:
    """Minimum cost of transport over speed by a parabola fit; interpolate the result there."""
    ok = [s for s in sims if s.success and math.isfinite(s.cost_of_transport)]
    speeds = [s.speed_m_s for s in sims]
    cots = [s.cost_of_transport for s in sims]
    selection = {"speeds_m_s": speeds, "cost_of_transport": cots}
    wall = sum(s.wall_time_s for s in sims)
    iters = sum(s.iterations for s in sims)
    if len(ok) < 2:
        best = ok[0] if ok else sims[len(sims) // 2]
        reason = "" if ok else "; ".join(f"{s.speed_m_s:.2f} m/s: {s.failure_reason}" for s in sims)
        return _replace(best, speed_selection=selection, wall_time_s=wall, iterations=iters,
                        failure_reason=reason or best.failure_reason)
    v = np.array([s.speed_m_s for s in ok])
    v_star = minimum_cost_speed(v, np.array([s.cost_of_transport for s in ok]))
    selection["selected_m_s"] = [v_star]
    order = np.argsort(v)
    v_sorted = v[order]
    hi = min(max(int(np.searchsorted(v_sorted, v_star)), 1), len(v_sorted) - 1)
    lo_sim, hi_sim = ok[order[hi - 1]], ok[order[hi]]
    w = (v_star - lo_sim.speed_m_s) / (hi_sim.speed_m_s - lo_sim.speed_m_s)
    measures = {k: (1 - w) * lo_sim.measures[k] + w * hi_sim.measures.get(k, math.nan) for k in lo_sim.measures}
    measures["gait_speed_m_s"] = v_star
    curves = {k: (1 - w) * lo_sim.curves[k] + w * hi_sim.curves[k] for k in lo_sim.curves if k in hi_sim.curves}
    return GaitSimulation(
        params=lo_sim.params, speed_m_s=v_star, success=True, status="SpeedSelected",
        objective=(1 - w) * lo_sim.objective + w * hi_sim.objective, iterations=iters,
        wall_time_s=wall, measures=measures, curves=curves, full_cycle=lo_sim.full_cycle,
        speed_selection=selection,
    )


def _replace(sim: GaitSimulation, **changes: Any) -> GaitSimulation:
    from dataclasses import replace

    return replace(sim, **changes)
