"""A strength shift adds the same fraction of their own strength to women and men (physiology/disease.py
gives women 0.73 × men's strength); the reference model, which divides that factor out, is unchanged by it."""

from __future__ import annotations

import numpy as np

from trialsim.generative.reference import ReferenceGaitModel
from trialsim.physiology.disease import FEMALE_STRENGTH_FACTOR, map_to_parameters
from trialsim.trial.mechanisms import apply_shifts

SHIFTS = {"strength_plantarflexors": 0.12, "strength_knee_extensors": 0.10}


def _params(female: float) -> dict[str, np.ndarray]:
    cov = {"age_years": np.array([70.0]), "sex": np.array([female]), "height_m": np.array([1.70]),
           "body_mass_kg": np.array([72.0])}
    return map_to_parameters(cov, condition="healthy", severity={})


def test_women_gain_the_same_fraction_of_their_strength():
    man, woman = (apply_shifts(_params(f), SHIFTS, np.array(1.0)) for f in (0.0, 1.0))
    gain_man = man["strength_plantarflexors"] / _params(0.0)["strength_plantarflexors"]
    gain_woman = woman["strength_plantarflexors"] / _params(1.0)["strength_plantarflexors"]
    np.testing.assert_allclose(gain_woman, gain_man)
    np.testing.assert_allclose(woman["strength_plantarflexors"], FEMALE_STRENGTH_FACTOR * man["strength_plantarflexors"])


def test_reference_model_sees_the_same_shift_in_women_and_men():
    ref = ReferenceGaitModel()
    speeds = {f: (ref.simulate(_params(f))["gait_speed_m_s"][0], ref.simulate(apply_shifts(_params(f), SHIFTS, np.array(1.0)))["gait_speed_m_s"][0])
              for f in (0.0, 1.0)}
    np.testing.assert_allclose(speeds[1.0], speeds[0.0])
    assert speeds[0.0][1] > speeds[0.0][0]
