"""The simulation library's design: which bodies and speeds are solved (see :mod:`.library`).

A scrambled Sobol sequence per phenotype, interleaved by a fixed 20-slot pattern so a
longer library extends a shorter one; speed siblings re-solve some bodies at two more
speeds. Split from :mod:`.library` (which re-exports these names) to keep modules small.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from typing import Any

import numpy as np

from trialsim.physiology.parameters import MUSCLE_GROUPS, PARAMETERS

LIBRARY_VERSION = 1
PATTERN = ("healthy", "parkinsons", "broad", "healthy", "cerebral_palsy", "stroke", "healthy", "parkinsons",
           "broad", "healthy", "cerebral_palsy", "stroke", "healthy", "parkinsons", "broad", "healthy",
           "cerebral_palsy", "stroke", "parkinsons", "broad")
_STRENGTH = [f"strength_{g}" for g in MUSCLE_GROUPS]

#: per phenotype: parameter → (low, high); "bmi" and "speed_factor" are design-only
PHENOTYPES: dict[str, dict[str, tuple[float, float]]] = {
    "healthy": {"height_m": (1.50, 1.95), "bmi": (19.0, 29.0), "age_years": (20.0, 80.0),
                "speed_factor": (0.75, 1.25), **{s: (0.8, 1.2) for s in _STRENGTH}},
    "parkinsons": {"height_m": (1.50, 1.90), "bmi": (20.0, 30.0), "age_years": (55.0, 85.0),
                   "speed_factor": (0.65, 1.1), "neural_drive": (0.6, 0.95), "passive_stiffness": (1.2, 2.5),
                   "activation_time_scale": (1.2, 2.2), "strength_all": (0.7, 1.0)},
    "cerebral_palsy": {"height_m": (1.20, 1.80), "bmi": (16.0, 25.0), "age_years": (8.0, 30.0),
                       "speed_factor": (0.7, 1.1), "fiber_length_knee_flexors": (0.7, 1.0),
                       "fiber_length_plantarflexors": (0.7, 1.0), "fiber_length_hip_flexors": (0.8, 1.0),
                       "strength_all": (0.4, 0.9), "passive_stiffness": (1.0, 2.0)},
    "stroke": {"height_m": (1.55, 1.90), "bmi": (20.0, 30.0), "age_years": (45.0, 85.0),
               "speed_factor": (0.6, 1.0), "strength_all_l": (0.3, 0.8), "neural_drive": (0.8, 1.0)},
    "broad": {"height_m": (1.30, 1.95), "bmi": (17.0, 30.0), "age_years": (10.0, 85.0),
              "speed_factor": (0.7, 1.3), "neural_drive": (0.6, 1.0), "passive_stiffness": (1.0, 2.5),
              "activation_time_scale": (1.0, 2.0), **{s: (0.5, 1.3) for s in _STRENGTH},
              **{f"fiber_length_{g}": (0.8, 1.05) for g in MUSCLE_GROUPS}},
}

#: phenotypes whose design samples get speed siblings (stroke's full-cycle solves cost twice as much,
#: ``broad`` fails 1 in 3 at the library's time limit)
SIBLING_PHENOTYPES = ("healthy", "parkinsons", "cerebral_palsy")
#: design index of the first speed sibling (a sibling's index is this + 2 × its body's rank + 0 or 1)
SIBLING_INDEX_BASE = 100_000


def design(n: int, *, seed: int = 0, speed_siblings: int = 0) -> list[dict[str, Any]]:
    """The first ``n`` samples of the library design, then the speed siblings of the first
    ``speed_siblings`` bodies of :data:`SIBLING_PHENOTYPES` among them.

    Each sample is ``{"index", "phenotype", "params", "speed_m_s", "id"}``; siblings add
    ``"sibling_of"`` (the index of the design sample whose body they share).
    """
    samples = _base_design(n, seed=seed)
    bodies = [s for s in samples if s["phenotype"] in SIBLING_PHENOTYPES][:max(0, speed_siblings)]
    return samples + [sib for rank, base in enumerate(bodies) for sib in _siblings(base, rank)]


def _siblings(base: dict[str, Any], rank: int) -> list[dict[str, Any]]:
    from trialsim.musculoskeletal.simulation import SPEED_FACTORS, default_speed_m_s

    centre = default_speed_m_s(base["params"]["height_m"])
    own = base["speed_m_s"] / centre
    nearest = min(SPEED_FACTORS, key=lambda f: abs(f - own))
    factors = [f for f in SPEED_FACTORS if f != nearest]
    out = []
    for j, f in enumerate(factors):
        speed = round(centre * f, 4)
        out.append({"index": SIBLING_INDEX_BASE + 2 * rank + j, "phenotype": base["phenotype"],
                    "params": base["params"], "speed_m_s": speed, "id": sample_id(base["params"], speed),
                    "sibling_of": base["index"]})
    return out


def _base_design(n: int, *, seed: int) -> list[dict[str, Any]]:
    from scipy.stats import qmc

    counts = Counter(PATTERN[i % len(PATTERN)] for i in range(n))
    points = {}
    for k, (name, ranges) in enumerate(PHENOTYPES.items()):
        if counts[name]:
            sobol = qmc.Sobol(len(ranges), scramble=True, seed=np.random.default_rng([seed, k]))
            m = max(1, math.ceil(math.log2(counts[name])))
            points[name] = sobol.random_base2(m)[: counts[name]]
    used: Counter[str] = Counter()
    samples: list[dict[str, Any]] = []
    for i in range(n):
        name = PATTERN[i % len(PATTERN)]
        u = points[name][used[name]]
        used[name] += 1
        values = {key: lo + float(x) * (hi - lo) for (key, (lo, hi)), x in zip(PHENOTYPES[name].items(), u, strict=True)}
        params, speed = _to_params(values)
        samples.append({"index": i, "phenotype": name, "params": params, "speed_m_s": speed,
                        "id": sample_id(params, speed)})
    return samples


def _to_params(values: dict[str, float]) -> tuple[dict[str, float], float]:
    factor = values.pop("speed_factor")
    params = body_params(values)
    return params, round(1.2 * params["height_m"] / 1.75 * factor, 4)


def body_params(values: dict[str, float]) -> dict[str, float]:
    """Design values (height, BMI, ``strength_all``/``strength_all_l`` shorthands, parameters)
    → clipped, rounded physics parameters (``values`` loses its ``height_m`` and ``bmi``)."""
    height = values.pop("height_m")
    bmi = values.pop("bmi")
    params = {"height_m": height, "body_mass_kg": float(np.clip(bmi * height**2, 20.0, 140.0))}
    for key, v in values.items():
        if key == "strength_all":
            params.update({s: v for s in _STRENGTH})
        elif key == "strength_all_l":
            params.update({f"{s}_l": v for s in _STRENGTH})
        else:
            params[key] = v
    return {k: round(float(np.clip(v, PARAMETERS[k].low, PARAMETERS[k].high)), 4) for k, v in params.items()}


def sample_id(params: dict[str, float], speed_m_s: float, settings: dict[str, Any] | None = None) -> str:
    """sha256 of a solve's inputs (parameters, speed, solver settings, library version)."""
    payload = {"params": {k: round(float(v), 6) for k, v in sorted(params.items())},
               "speed_m_s": round(float(speed_m_s), 6), "settings": settings or {}, "version": LIBRARY_VERSION}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:24]
