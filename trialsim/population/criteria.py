"""Inclusion/exclusion screening on structured criteria (never eval'd strings)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from trialsim.spec.cohort import CohortSpec, Criterion


def _satisfies(values: np.ndarray, criterion: Criterion) -> np.ndarray:
    ok = np.ones(values.shape, dtype=bool)
    if criterion.min is not None:
        ok &= values >= criterion.min
    if criterion.max is not None:
        ok &= values <= criterion.max
    return ok


def eligible(columns: Mapping[str, np.ndarray], cohort: CohortSpec) -> np.ndarray:
    """Boolean mask of patients meeting every inclusion and no exclusion criterion.

    A criterion on a variable the cohort does not have (e.g. ``hoehn_yahr`` in a
    healthy cohort) counts as not met for inclusion and not triggered for exclusion.

    Examples
    --------
    >>> from trialsim.spec.cohort import Criterion
    >>> bool(_satisfies(np.array([1.0]), Criterion(variable="age_years", min=0.5))[0])
    True
    """
    n = len(next(iter(columns.values())))
    mask = np.ones(n, dtype=bool)
    for rule in cohort.inclusion:
        values = columns.get(rule.variable)
        mask &= np.zeros(n, dtype=bool) if values is None else _satisfies(np.asarray(values, dtype=float), rule)
    for rule in cohort.exclusion:
        values = columns.get(rule.variable)
        if values is not None:
            mask &= ~_satisfies(np.asarray(values, dtype=float), rule)
    return mask
