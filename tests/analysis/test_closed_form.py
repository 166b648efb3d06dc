"""Closed-form references against REFERENCE.md §4's worked numbers."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from trialsim.analysis import (
    assurance,
    closed_form_assurance,
    closed_form_n_per_arm,
    closed_form_power,
)


def test_power_of_the_worked_example_is_80_percent():
    assert closed_form_power(0.1, sd=0.2, n_per_arm=64, alpha_two_sided=0.05) == pytest.approx(0.80, abs=0.005)


def test_sample_size_of_the_worked_example_is_64_per_arm():
    assert closed_form_n_per_arm(0.1, sd=0.2, power=0.8, alpha_two_sided=0.05) == 64


def test_prognostic_adjustment_shrinks_sample_size_by_one_minus_rho_squared():
    n0 = closed_form_n_per_arm(0.1, sd=0.2, power=0.8, alpha_two_sided=0.05)
    n7 = closed_form_n_per_arm(0.1, sd=0.2, power=0.8, alpha_two_sided=0.05, rho=0.7)
    assert n7 in (33, 34)
    assert n7 / n0 == pytest.approx(1 - 0.7**2, abs=0.03)


def test_sample_size_is_the_smallest_meeting_power():
    n = closed_form_n_per_arm(0.15, sd=0.3, power=0.9, alpha_two_sided=0.05)
    assert closed_form_power(0.15, sd=0.3, n_per_arm=n) >= 0.9 > closed_form_power(0.15, sd=0.3, n_per_arm=n - 1)


def test_assurance_from_a_power_grid_matches_the_closed_form():
    se = 0.2 * np.sqrt(2 / 64)
    effects = np.linspace(-0.3, 0.5, 161)
    power = stats.norm.sf(stats.norm.ppf(0.975) - effects / se)  # z-test power curve
    got = assurance(effects=effects, power=power, prior_mean=0.1, prior_sd=0.05,
                    power_mc_se=np.full(effects.size, 0.01))
    want = closed_form_assurance(0.1, prior_sd=0.05, sd=0.2, n_per_arm=64, alpha_one_sided=0.025)
    assert got["assurance"] == pytest.approx(want, abs=1e-3)
    assert got["prior_mass_outside_grid"] < 1e-6
    assert 0 < got["assurance_mc_se"] < 0.01


def test_assurance_is_below_power_at_the_prior_mean_for_a_powered_design():
    assert closed_form_assurance(0.1, prior_sd=0.05, sd=0.2, n_per_arm=64) < closed_form_assurance(
        0.1, prior_sd=1e-9, sd=0.2, n_per_arm=64)
