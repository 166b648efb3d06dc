"""ArviZ is used: PyMC fits are InferenceData; diagnostics and example-trial posterior plots come from ArviZ."""

from __future__ import annotations

from pathlib import Path

import arviz as az
import numpy as np
import pytest

from trialsim import Study, TrialResults
from trialsim.analysis.diagnostics import convergence
from trialsim.errors import TrialsimError

SMALL = Path(__file__).resolve().parents[2] / "tests" / "data" / "studies" / "small_pd.yaml"


def test_convergence_flags_chains_that_disagree() -> None:
    rng = np.random.default_rng(1)
    good = az.from_dict(posterior={"effect": rng.normal(size=(2, 800))},
                        sample_stats={"diverging": np.zeros((2, 800), bool)})
    stuck = az.from_dict(posterior={"effect": np.stack([rng.normal(0, 1, 800), rng.normal(3, 1, 800)])},
                         sample_stats={"diverging": rng.random((2, 800)) < 0.01})
    ok, bad = convergence(good, var_names=["effect"]), convergence(stuck, var_names=["effect"])
    assert ok["r_hat_max"] < 1.01
    assert ok["ess_bulk_min"] > 1000
    assert ok["divergences"] == 0
    assert bad["r_hat_max"] > 1.5
    assert bad["ess_bulk_min"] < 50
    assert bad["divergences"] > 0


@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    study = Study.from_yaml(SMALL).replace(n_per_arm=[20], synthetic_control_n=[0])
    return study.run(replicates=10, example_posteriors=True).save(tmp_path_factory.mktemp("nuts") / "run")


def test_example_trials_fitted_by_nuts_with_arviz_diagnostics_in_the_report(fitted: Path) -> None:
    opened = TrialResults.open(fitted)
    diag = opened.tree["diagnostics"].to_dataset()
    assert diag.sizes["trial"] == opened.examples.sizes["trial"]
    assert (diag.r_hat_max.values < 1.05).all()
    assert (diag.ess_bulk_min.values > 100).all()
    draws = opened.tree["posteriors"].to_dataset()
    assert draws.effect.dims == ("trial", "chain", "draw")
    assert draws.sizes["chain"] == 2
    # the posterior plots come from the saved draws through ArviZ
    fig = opened.plot.example_posteriors()
    assert len(fig.axes) == diag.sizes["trial"]
    assert all("95% HDI" in "".join(t.get_text() for t in ax.texts) for ax in fig.axes)
    page = (fitted / "report.html").read_text()
    assert "table-convergence_examples" in page
    assert "ArviZ" in page


def test_without_nuts_fits_the_plot_names_the_next_step(tmp_path: Path) -> None:
    results = Study.from_yaml(SMALL).replace(n_per_arm=[20], synthetic_control_n=[0]).run(replicates=5)
    with pytest.raises(TrialsimError, match="example_posteriors=True"):
        results.plot.example_posteriors()


@pytest.mark.slow
def test_pymc_engine_returns_inference_data_and_diagnostics_per_replicate() -> None:
    study = Study.from_yaml(SMALL).replace(n_per_arm=[20], synthetic_control_n=[0], engine="pymc",
                                           fields={"scenarios": [{"name": "expected", "effect_scale": 1.0}]})
    results = study.run(replicates=2)
    rep = results.tree["replicates"].to_dataset().sel(analysis="primary")
    assert np.isfinite(rep.r_hat_max.values).all()
    assert (rep.r_hat_max.values < 1.05).all()
    assert (rep.divergences.values >= 0).all()
