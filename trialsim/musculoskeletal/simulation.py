"""Public gait simulation: one patient → one :class:`GaitSimulation`.

Self-selected speed comes from the physics: without ``speed_m_s`` the patient is
solved at three speeds around 1.2 m/s × height/1.75 m (×0.8, ×1.0, ×1.2), a
parabola is fitted to cost of transport against speed, and its minimum (clipped
to the solved range) is the self-selected speed; measures and curves are
interpolated linearly between the two solved speeds around it. When the minimum
lies at the slowest or fastest solved speed, one more speed (×0.8 or ×1.2 beyond
it) is solved and the fit repeated. A free-speed
formulation was not used: with the weak reference tracking the duration would be
driven by the reference timing rather than by energetics, and every free-time
solve costs as much as a fixed-speed one.
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
            "speed_selection": self.speed_selection,
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
    timeout_s: float = DEFAULT_TIMEOUT_S,
    mesh_intervals: int = 25,
    tolerance: float = 1e-3,
    threads: int = 1,
    guess: str | None = None,
    retrack_on_failure: bool = True,
    max_iterations: int = 1000,
    save_solution: str | None = None,
) -> GaitSimulation:
    """Simulate a patient's walking with OpenSim Moco (predictive, warm-started).

    Parameters
    ----------
    params
        Musculoskeletal parameters (see :mod:`trialsim.physiology.parameters`);
        unnamed ones are nominal.
    speed_m_s
        Average walking speed to impose; ``None`` selects the speed of minimum
        cost of transport from three solves (see the module docstring).
    timeout_s
        Hard wall-clock limit per solve (the worker process is killed).
    mesh_intervals, tolerance, threads, max_iterations
        Direct-collocation mesh, IPOPT tolerance, CasADi threads and iteration cap per solve.
    guess
        Path of a Moco ``.sto`` to warm-start from (default: the shipped nominal solution).
    retrack_on_failure
        When the warm-started solve fails, track the reference with the patient's
        model and retry from that.
    save_solution
        With ``speed_m_s`` given: write the Moco solution (``.sto``) to this path.

    Examples
    --------
    >>> sim = simulate_gait({"strength_plantarflexors": 0.6}, speed_m_s=1.1)  # doctest: +SKIP
    >>> sim.measures["stride_length_m"]  # doctest: +SKIP
    """
    try:
        resolved = resolve_parameters(params)
    except (KeyError, ValueError) as exc:
        raise SimulationError(f"invalid physics parameters: {exc}") from exc
    overrides = {k: float(v) for k, v in params.items()}
    settings = {"mesh_intervals": mesh_intervals, "tolerance": tolerance, "threads": threads,
                "max_iterations": max_iterations}
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
    return chosen


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
