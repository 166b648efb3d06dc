"""Each virtual patient's persistent speed preference: the generator's per-body speed effect.

The generator's speed head (:mod:`trialsim.generative.speed_model`) chooses
``log v = log v_body(θ) + τ·u``: ``u`` is the between-body speed preference that the
physics parameters do not explain, one value per body. In a trial every patient keeps
one ``u`` for life — the same at screening and at every visit — so it is drawn once,
as a standard-normal ``z`` from the patient's block-stable candidate stream
(:func:`trialsim.population.sampling.draw_candidates`, variable ``speed_effect``):
candidate *i*'s ``z`` never depends on how many patients are drawn or on the workers.

``u`` is then:

- **calibrated** — ``shift + scale·z`` — when the cohort names ``calibration.targets``:
  the virtual-population fit of :func:`trialsim.population.calibration.calibrate`
  (Allen, Rieger & Musante 2016, CPT Pharmacometrics Syst Pharmacol 5:140), seed 0,
  deterministic, fitted once per cohort content and checkpoint in each process;
- **uncalibrated** — ``z`` itself, the ``N(0, 1)`` the physics trained — without targets;
- **absent** for a simulator without a per-body speed effect (the reference model, a
  generator checkpoint without a speed head): nothing is added to its parameters, so
  its results are exactly what they were.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal

import numpy as np

from trialsim.generative.protocol import GaitSimulator
from trialsim.generative.simulator import SPEED_EFFECT_KEY, GeneratorSimulator
from trialsim.population.calibration import calibrate
from trialsim.spec.cohort import CohortSpec

__all__ = ["SPEED_EFFECT_KEY", "SpeedEffect", "speed_effect_for", "speed_effect_provenance"]

#: the fit's seed (the calibration is part of the cohort, not of the study's seed)
CALIBRATION_SEED = 0


@dataclass(frozen=True)
class SpeedEffect:
    """``u = shift + scale·z`` for a cohort on a simulator with a per-body speed effect."""

    source: Literal["calibrated", "uncalibrated"]
    shift: float
    scale: float

    def of(self, z: np.ndarray | float) -> np.ndarray:
        """The speed effect ``u`` (units of the speed head's τ) of standard-normal draws ``z``."""
        return self.shift + self.scale * np.asarray(z, dtype=float)

    def provenance(self) -> dict[str, str]:
        """What the run's patients were drawn with (``simulator_speed_effect*`` in results)."""
        return {"speed_effect": self.source, "speed_effect_shift": repr(self.shift),
                "speed_effect_scale": repr(self.scale)}


_FITS: dict[tuple[str, str], SpeedEffect] = {}


def _cohort_sha256(cohort: CohortSpec) -> str:
    return hashlib.sha256(cohort.model_dump_json().encode()).hexdigest()


def speed_effect_for(cohort: CohortSpec, simulator: GaitSimulator) -> SpeedEffect | None:
    """The speed effect ``cohort``'s patients get on ``simulator`` (``None``: the simulator has none).

    Examples
    --------
    >>> from trialsim.generative.reference import ReferenceGaitModel
    >>> from trialsim.spec.loading import load_shipped_cohort
    >>> speed_effect_for(load_shipped_cohort("early_pd"), ReferenceGaitModel()) is None
    True
    """
    if not isinstance(simulator, GeneratorSimulator) or simulator.bundle.speed_head is None:
        return None
    if cohort.calibration is None:
        return SpeedEffect("uncalibrated", 0.0, 1.0)
    key = (_cohort_sha256(cohort), simulator.bundle.sha256)
    if key not in _FITS:
        fit = calibrate(cohort, simulator, seed=CALIBRATION_SEED, source=f"cohort {cohort.name}")
        _FITS[key] = SpeedEffect("calibrated", fit.shift, fit.scale)
    return _FITS[key]


def speed_effect_provenance(cohort: CohortSpec, simulator: GaitSimulator) -> dict[str, str]:
    """``speed_effect`` (calibrated or uncalibrated) with the shift and scale used; empty when the
    simulator has no per-body speed effect (a reference run's provenance stays as it was)."""
    effect = speed_effect_for(cohort, simulator)
    return {} if effect is None else effect.provenance()
