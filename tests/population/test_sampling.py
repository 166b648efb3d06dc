from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from trialsim.population.criteria import eligible
from trialsim.spec.cohort import Criterion
from trialsim.spec.loading import load_shipped_cohort
from trialsim.trial.enrolment import sample_cohort


def test_adding_patients_never_reshuffles(reference_simulator) -> None:
    cohort = load_shipped_cohort("early_pd")
    small = sample_cohort(cohort, n=7, seed=11, simulator=reference_simulator)
    large = sample_cohort(cohort, n=700, seed=11, simulator=reference_simulator)
    numeric = small.select_dtypes("number").columns
    np.testing.assert_array_equal(small[numeric].to_numpy(), large[numeric].head(7).to_numpy())


def test_same_seed_same_cohort_other_seed_differs(reference_simulator) -> None:
    cohort = load_shipped_cohort("healthy_older")
    a = sample_cohort(cohort, n=50, seed=1, simulator=reference_simulator)
    b = sample_cohort(cohort, n=50, seed=1, simulator=reference_simulator)
    c = sample_cohort(cohort, n=50, seed=2, simulator=reference_simulator)
    assert a.equals(b)
    assert not np.allclose(a.gait_speed_m_s, c.gait_speed_m_s)


def test_covariate_correlations(reference_simulator) -> None:
    df = sample_cohort(load_shipped_cohort("early_pd"), n=3000, seed=9, simulator=reference_simulator)
    assert df.loc[df.sex == 1, "height_m"].mean() < df.loc[df.sex == 0, "height_m"].mean() - 0.08
    assert np.corrcoef(df.height_m, df.body_mass_kg)[0, 1] > 0.2
    assert np.corrcoef(df.age_years, df.updrs_iii)[0, 1] > 0.1  # severity–age correlation 0.3 in the cohort


def test_same_covariates_differ_between_patients(reference_simulator) -> None:
    df = sample_cohort(load_shipped_cohort("healthy_older"), n=2000, seed=3, simulator=reference_simulator)
    assert df.strength_plantarflexors.std() > 0.05


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.floats(-100, 100, allow_nan=False), min_size=1, max_size=30),
    low=st.one_of(st.none(), st.floats(-50, 50)),
    width=st.floats(0, 100),
)
def test_criteria_match_plain_comparison(values: list[float], low: float | None, width: float) -> None:
    from trialsim.spec.loading import load_shipped_cohort

    high = None if low is None else low + width
    if low is None:
        high = width
    rule = Criterion(variable="age_years", min=low, max=high)
    cohort = load_shipped_cohort("healthy_older").model_copy(update={"inclusion": [rule], "exclusion": []})
    arr = np.array(values)
    expected = np.ones(len(arr), dtype=bool)
    if low is not None:
        expected &= arr >= low
    expected &= arr <= high
    np.testing.assert_array_equal(eligible({"age_years": arr}, cohort), expected)
