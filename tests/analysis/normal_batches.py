"""A simple normal data model for analysis tests (data generation is not the analysis layer).

Change from baseline at post-baseline visit t of patient i::

    y_it = f_t (control_change + effect · treated_i + drift · synthetic_i) + sd · e_it

with ``f_t`` the fraction of the primary visit's time, ``e_i ~ N(0, AR1(visit_corr))``
over visits, and a prognostic score whose correlation with the primary-visit change
(within arm) is ``rho``.
"""

from __future__ import annotations

import numpy as np

from trialsim.trial.batch import TrialBatch


def _patients(rng, r, n, t, *, sd, rho, visit_corr, dropout, frac, mean):
    lag = np.abs(np.arange(t)[:, None] - np.arange(t)[None, :])
    chol = np.linalg.cholesky(visit_corr**lag)
    e = rng.standard_normal((r, n, t)) @ chol.T
    xi = rng.standard_normal((r, n))
    s = rho * e[:, :, -1] + np.sqrt(1 - rho**2) * xi
    change = mean[..., None] * frac + sd * e
    baseline = 1.0 + 0.2 * rng.standard_normal((r, n))
    outcome = np.concatenate([baseline[..., None], baseline[..., None] + change], axis=2)
    if dropout > 0:
        drops = rng.random((r, n)) < dropout
        first_missing = rng.integers(1, t + 1, size=(r, n))
        visit = np.arange(t + 1)
        missing = drops[..., None] & (visit[None, None, :] >= first_missing[..., None])
        outcome = np.where(missing, np.nan, outcome)
    return outcome, s


def make_normal_batch(
    *, rng: np.random.Generator, n_replicates: int, n_control: int, n_treatment: int,
    effect: float, sd: float = 0.2, rho: float = 0.0, n_external: int = 0, drift: float = 0.0,
    visits_weeks: tuple[float, ...] = (0.0, 12.0), visit_corr: float = 0.6, dropout: float = 0.0,
    control_change: float = 0.05,
) -> TrialBatch:
    r, t = n_replicates, len(visits_weeks) - 1
    weeks = np.asarray(visits_weeks, dtype=float)
    frac = weeks[1:] / weeks[-1]
    arm = np.tile(np.repeat([0, 1], [n_control, n_treatment]), (r, 1))
    mean = control_change + effect * arm
    outcome, s = _patients(rng, r, n_control + n_treatment, t, sd=sd, rho=rho,
                           visit_corr=visit_corr, dropout=dropout, frac=frac, mean=mean)
    score = control_change + rho * sd * s
    ext_out = ext_score = None
    if n_external > 0:
        ext_mean = np.full((r, n_external), control_change + drift)
        ext_out, ext_s = _patients(rng, r, n_external, t, sd=sd, rho=rho, visit_corr=visit_corr,
                                   dropout=0.0, frac=frac, mean=ext_mean)
        ext_score = control_change + rho * sd * ext_s
    return TrialBatch(
        visits_weeks=weeks, primary_visit=t, arm=arm, outcome=outcome, prognostic_score=score,
        true_effect=effect, external_outcome=ext_out, external_prognostic_score=ext_score,
    )
