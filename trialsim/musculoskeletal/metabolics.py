"""Muscle metabolic cost of a saved Moco gait solution (Bhargava et al. 2004).

The patient's model is rebuilt exactly as the solve built it
(:func:`trialsim.musculoskeletal.gait.model_processor` of the resolved parameters),
OpenSim's ``Bhargava2004SmoothedMuscleMetabolics`` is added with every muscle, and
its total rate (activation + maintenance + shortening heat + mechanical work) is
evaluated at every time point of the solution with ``MocoStudy.analyze``. The
cycle average is the time integral (trapezoid) over the solved duration divided by
that duration; a half-cycle solution is left/right symmetric, so its average is the
full-cycle average.

Settings: the piecewise (unsmoothed) Bhargava 2004 model, negative mechanical work
included, total power kept non-negative and the per-muscle heat floor of 1 W/kg
muscle (OpenSim defaults; Umberger 2003). Muscle mass follows from maximum
isometric force (specific tension 0.25 MPa, density 1059.7 kg/m³) and optimal
fibre length, so weakened or contracted muscles are also lighter. Reserve
actuators are not costed.

The component's own basal term is switched off; the gross rate adds the resting
rate :data:`BASAL_METABOLIC_RATE_W_KG` = 1.2 W/kg (Waters & Mulroy 1999, Gait
Posture 9:207; also the ``basal_coefficient`` default of OpenSim's Bhargava model),
the same value as the joint-work proxy in :mod:`.measures`.

Published comparison: healthy adults' gross cost of transport is lowest,
≈ 3.3–3.5 J/kg/m, near 1.2–1.4 m/s (Ralston 1958; Bastien et al. 2005, Eur J Appl
Physiol 94:76), net ≈ 2.0–2.5 J/kg/m.
"""

from __future__ import annotations

import gzip
import math
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.integrate import trapezoid

from trialsim.errors import SimulationError
from trialsim.musculoskeletal.measures import BASAL_METABOLIC_RATE_W_KG

COMPONENT_NAME = "metabolics"
PELVIS_TX = "/jointset/ground_pelvis/pelvis_tx/value"


@dataclass(frozen=True)
class MetabolicCost:
    """Cycle-average metabolic cost of one gait solution (per kg of body mass)."""

    muscle_power_w_kg: float
    basal_power_w_kg: float
    speed_m_s: float
    duration_s: float

    @property
    def metabolic_power_w_kg(self) -> float:
        """Gross metabolic power: muscles + basal."""
        return self.muscle_power_w_kg + self.basal_power_w_kg

    @property
    def cost_of_transport_j_kg_m(self) -> float:
        """Gross cost of transport: gross power / speed."""
        return self.metabolic_power_w_kg / self.speed_m_s

    @property
    def net_cost_of_transport_j_kg_m(self) -> float:
        """Net (muscle-only) cost of transport."""
        return self.muscle_power_w_kg / self.speed_m_s

    def to_dict(self) -> dict[str, float]:
        return {"muscle_metabolic_power_w_kg": self.muscle_power_w_kg,
                "basal_metabolic_power_w_kg": self.basal_power_w_kg,
                "metabolic_power_w_kg": self.metabolic_power_w_kg,
                "metabolic_cost_of_transport_j_kg_m": self.cost_of_transport_j_kg_m,
                "net_metabolic_cost_of_transport_j_kg_m": self.net_cost_of_transport_j_kg_m,
                "speed_m_s": self.speed_m_s, "duration_s": self.duration_s}


def metabolic_cost(
    params: dict[str, float],
    *,
    solution_path: str | Path,
    speed_m_s: float | None = None,
) -> MetabolicCost:
    """Cycle-average gross metabolic power (W/kg) and cost of transport of a Moco solution.

    Parameters
    ----------
    params
        The patient's parameters as given to the solve (unnamed ones nominal).
    solution_path
        The saved Moco solution, ``.sto`` or gzipped ``.sto.gz``.
    speed_m_s
        Average walking speed; ``None`` takes the pelvis displacement over the duration.

    Examples
    --------
    >>> cost = metabolic_cost({}, solution_path="nominal_guess.sto")  # doctest: +SKIP
    >>> round(cost.cost_of_transport_j_kg_m, 1)  # doctest: +SKIP
    3.8
    """
    from trialsim.physiology.parameters import resolve_parameters

    p = resolve_parameters(params)
    solution = load_solution(solution_path)
    times_s, muscle_rate_w = muscle_metabolic_rate_w(p, solution)
    duration_s = float(times_s[-1] - times_s[0])
    mean_w = float(trapezoid(muscle_rate_w, times_s)) / duration_s
    if speed_m_s is None:
        x = np.asarray(solution.getStateMat(PELVIS_TX), float)
        speed_m_s = float((x[-1] - x[0]) / duration_s)
    if not (math.isfinite(speed_m_s) and speed_m_s > 0):
        raise SimulationError(f"{solution_path}: walking speed must be positive, got {speed_m_s}")
    return MetabolicCost(muscle_power_w_kg=mean_w / p["body_mass_kg"],
                         basal_power_w_kg=BASAL_METABOLIC_RATE_W_KG,
                         speed_m_s=float(speed_m_s), duration_s=duration_s)


def load_solution(path: str | Path) -> Any:
    """A saved Moco solution (``.sto`` or ``.sto.gz``) as an ``opensim.MocoTrajectory``."""
    import opensim as osim

    path = Path(path)
    if not path.exists():
        raise SimulationError(f"{path}: Moco solution not found")
    if path.suffix != ".gz":
        return osim.MocoTrajectory(str(path))
    with tempfile.TemporaryDirectory(prefix="trialsim-metabolics-") as tmp:
        plain = Path(tmp) / path.name.removesuffix(".gz")
        with gzip.open(path, "rb") as src, open(plain, "wb") as dst:
            shutil.copyfileobj(src, dst)
        return osim.MocoTrajectory(str(plain))


def muscle_metabolic_rate_w(params: dict[str, float], solution: Any) -> tuple[Any, Any]:
    """Times (s) and summed muscle metabolic rate (W, no basal) at every point of ``solution``.

    ``params`` must already be resolved (:func:`~trialsim.physiology.parameters.resolve_parameters`);
    ``solution`` is a ``MocoTrajectory`` of a solve with that patient's model.
    """
    import opensim as osim

    study = osim.MocoStudy()
    study.updProblem().setModelAsCopy(metabolics_model(params))
    output = f"/{COMPONENT_NAME}|total_metabolic_rate"
    table = study.analyze(solution, [output.replace("|", "\\|")])
    column = list(table.getColumnLabels()).index(output)  # columns come back sorted by name
    times_s = np.asarray(table.getIndependentColumn(), float)
    rate_w = np.asarray(table.getDependentColumnAtIndex(column).to_numpy(), float)
    if len(times_s) < 2 or not np.all(np.isfinite(rate_w)):
        raise SimulationError("metabolic rate not finite over the solution")
    return times_s, rate_w


def metabolics_model(params: dict[str, float]) -> Any:
    """The solve's processed model plus a Bhargava 2004 metabolics component on every muscle."""
    import opensim as osim

    from trialsim.musculoskeletal.gait import model_processor

    model = model_processor(params).process()
    add_bhargava_metabolics(osim, model, name=COMPONENT_NAME, smoothed=False, basal_w_kg=0.0)
    model.initSystem()
    return model


def add_bhargava_metabolics(osim: Any, model: Any, *, name: str, smoothed: bool, basal_w_kg: float) -> Any:
    """Add OpenSim's Bhargava 2004 component on every muscle of ``model``; its basal term is
    ``basal_w_kg`` × body mass (W). ``smoothed``: the tanh-smoothed form Moco can optimise."""
    metabolics = osim.Bhargava2004SmoothedMuscleMetabolics()
    metabolics.setName(name)
    metabolics.set_use_smoothing(smoothed)
    if smoothed:
        metabolics.set_smoothing_type("tanh")
        metabolics.set_velocity_smoothing(10.0)
        metabolics.set_power_smoothing(10.0)
        metabolics.set_heat_rate_smoothing(10.0)
    metabolics.set_basal_coefficient(basal_w_kg)
    metabolics.set_basal_exponent(1.0)
    muscles = model.getMuscles()
    for i in range(muscles.getSize()):
        metabolics.addMuscle(muscles.get(i).getName(), muscles.get(i))
    model.addComponent(metabolics)
    model.finalizeConnections()
    return metabolics
