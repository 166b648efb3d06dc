"""Simulation-based calibration of the PyMC ANCOVA endpoint model (Talts et al. 2018)."""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pytest
from scipy import stats

from trialsim.analysis import build_ancova_model
from trialsim.seeding import stream, stream_int


@pytest.mark.slow
def test_rank_statistics_of_the_effect_are_uniform():
    import pymc as pm

    logging.getLogger("pymc").setLevel(logging.ERROR)
    rng = stream(51, "sbc-nuts")
    n_sets, n, thin = 80, 20, 20
    prior_sd = np.array([0.5, 0.3, 0.5])  # control mean, effect, baseline slope
    columns = ("control_mean", "effect", "baseline")
    ranks = []
    for k in range(n_sets):
        beta = rng.normal(0.0, prior_sd)
        sigma = abs(rng.normal(0.0, 0.3))
        x = np.column_stack([np.ones(n), np.repeat([0.0, 1.0], n // 2), rng.normal(0, 0.2, n)])
        y = x @ beta + sigma * rng.standard_normal(n)
        model = build_ancova_model(y=y, x=x, columns=columns, prior_sd=prior_sd, sigma_prior_scale=0.3)
        with model, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            idata = pm.sample(draws=1000, tune=1000, chains=2, cores=1, progressbar=False,
                              random_seed=stream_int(51, "sbc", k), compute_convergence_checks=False)
        draws = idata.posterior["effect"].values.reshape(-1)[::thin]  # 100 roughly independent draws
        ranks.append(int(np.sum(draws < beta[1])))
    counts = np.histogram(ranks, bins=5, range=(0, draws.size + 1))[0]
    assert stats.chisquare(counts).pvalue > 0.001, counts
