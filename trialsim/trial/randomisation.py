"""Stratified permuted-block randomisation of one enrolment sequence.

Patients arrive in enrolment order; each is placed in a stratum (the cross of the
study's stratification factors, each cut at its cutpoints) and takes the next slot
of that stratum's sequence of permuted blocks. Block *b* of stratum *s* is a
permutation of ``control_units`` zeros and ``treatment_units`` ones drawn from its
own stream (``stream(seed, *key, "block", s, b)``), so patient *j*'s arm never
depends on how many patients come after: arms stay prefix-stable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from trialsim.seeding import stream
from trialsim.spec.study import StratumSpec

#: levels of a factor without cutpoints: its value on a half-unit grid (sex 0/1,
#: GMFCS I–V, Hoehn & Yahr 1–5 in half stages), capped
DISCRETE_LEVELS = 32
#: the variables that may be stratified on without cutpoints
DISCRETE_VARIABLES = ("sex", "hoehn_yahr", "gmfcs_level")


def stratum_index(variables: Mapping[str, np.ndarray], strata: Sequence[StratumSpec]) -> np.ndarray:
    """Stratum number of each patient: a fixed mixed-radix code of its factor levels.

    The code depends only on the patient's own values, never on the other patients,
    so strata (and the randomisation streams keyed by them) are prefix-stable.

    Examples
    --------
    >>> stratum_index({"sex": np.array([0.0, 1.0, 1.0]), "age_years": np.array([60.0, 80.0, 60.0])},
    ...               [StratumSpec(variable="sex"), StratumSpec(variable="age_years", cutpoints=[75.0])]).tolist()
    [0, 5, 4]
    """
    n = len(next(iter(variables.values())))
    index = np.zeros(n, dtype=np.int64)
    for factor in strata:
        values = np.asarray(variables[factor.variable], dtype=float)
        if not factor.cutpoints:
            level = np.clip(np.rint(2.0 * values), 0, DISCRETE_LEVELS - 1).astype(np.int64)
            radix = DISCRETE_LEVELS
        else:
            level = np.searchsorted(np.asarray(factor.cutpoints, dtype=float), values, side="right")
            radix = len(factor.cutpoints) + 1
        index = index * radix + level
    return index


def assign_arms(
    stratum: np.ndarray, *, control_units: int, treatment_units: int, seed: int, key: tuple[object, ...],
) -> np.ndarray:
    """``True`` where the patient is randomised to treatment (permuted blocks within strata).

    Examples
    --------
    >>> treated = assign_arms(np.zeros(6, dtype=np.int64), control_units=1, treatment_units=2, seed=0, key=("x",))
    >>> int(treated.sum())
    4
    """
    block = np.r_[np.zeros(control_units, dtype=bool), np.ones(treatment_units, dtype=bool)]
    size = len(block)
    treated = np.zeros(len(stratum), dtype=bool)
    for s in np.unique(stratum):
        members = np.flatnonzero(stratum == s)
        n_blocks = -(-len(members) // size)
        sequence = np.concatenate([stream(seed, *key, "block", int(s), b).permutation(block) for b in range(n_blocks)])
        treated[members] = sequence[: len(members)]
    return treated

