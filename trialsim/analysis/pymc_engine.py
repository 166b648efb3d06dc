"""The verification engine: one NUTS fit per replicate (``AnalysisSpec(engine="pymc")``).

Each fit is an ArviZ ``InferenceData`` (:func:`fit_replicate_idata`); the batch result
keeps them (``BatchAnalysis.inference_data``) for convergence diagnostics
(:mod:`trialsim.analysis.diagnostics`).

Slow by design (seconds per trial); used on a handful of replicates to check the
fast engine and as the naive baseline of ``benchmarks/oc_engine.py``.
Frequentist methods take the statsmodels path, one replicate at a time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

from trialsim.analysis.batch_analysis import BatchAnalysis
from trialsim.analysis.borrowing import borrowing_components, borrowing_prior
from trialsim.analysis.engine import base_prior_var, slice_batch, summarize_wald
from trialsim.analysis.frequentist import WaldFit, frequentist_ancova, frequentist_mmrm
from trialsim.analysis.layout import ancova_layout
from trialsim.analysis.mmrm import estimate_covariance, mmrm_layout
from trialsim.analysis.pymc_models import build_borrowing_model, build_mmrm_model
from trialsim.errors import TrialsimError
from trialsim.seeding import stream_int
from trialsim.spec.analysis import AnalysisSpec, DecisionSpec
from trialsim.trial.batch import TrialBatch

__all__ = ["NutsSettings", "analyze_batch_pymc", "fit_replicate_idata", "fit_replicate_nuts"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class NutsSettings:
    """Sampler settings of the verification engine (2 chains × 1000 draws by default)."""

    draws: int = 1000
    tune: int = 1000
    chains: int = 2
    target_accept: float = 0.9


def fit_replicate_nuts(
    batch: TrialBatch, *, analysis: AnalysisSpec, n_external: int, seed: int,
    settings: NutsSettings | None = None,
) -> dict[str, np.ndarray]:
    """Draws of ``effect``, ``sigma`` and ``control_mean`` for the single replicate of ``batch``."""
    post = fit_replicate_idata(batch, analysis=analysis, n_external=n_external, seed=seed, settings=settings).posterior
    return {name: post[name].values.reshape(-1) for name in ("effect", "sigma", "control_mean")}


def fit_replicate_idata(
    batch: TrialBatch, *, analysis: AnalysisSpec, n_external: int, seed: int,
    settings: NutsSettings | None = None,
) -> Any:
    """The ArviZ ``InferenceData`` (posterior and sample stats) of one NUTS fit of the single replicate of ``batch``."""
    import pymc as pm

    settings = settings or NutsSettings()
    if batch.n_replicates != 1:
        raise ValueError("fit_replicate_nuts takes a batch of one replicate (TrialBatch.replicate)")
    borrowing = analysis.borrowing
    if analysis.method == "bayesian_ancova":
        lay = ancova_layout(batch, prognostic=analysis.prognostic_adjustment, n_external=n_external)
        drift = [lay.index("drift")] if n_external > 0 else []
        prior = borrowing_prior(borrowing, prior_var=base_prior_var(analysis, lay.columns), drift_indices=drift)
        used = lay.used[0]
        model = build_borrowing_model(
            y=lay.y[0, used], x=lay.x[0, used], columns=lay.columns, prior_var=prior.var,
            log_weight=prior.log_weight, sigma_prior_scale=analysis.residual_sd_prior_scale,
            prior_sigma_scale=prior.sigma_scale if prior.scaled else None,
        )
    elif analysis.method == "mmrm":
        lay_m = mmrm_layout(batch, prognostic=analysis.prognostic_adjustment, n_external=n_external)
        drift = [len(lay_m.covariates) - 1] if n_external > 0 else []
        var, _ = borrowing_components(borrowing, prior_var=base_prior_var(analysis, lay_m.covariates),
                                      drift_indices=drift)
        if var.shape[0] != 1 or borrowing_prior(borrowing, prior_var=var[0], drift_indices=drift).scaled:
            raise TrialsimError(
                "analysis: engine 'pymc' fits mmrm with borrowing 'none', 'full' or 'commensurate' only; "
                "use engine 'fast' for robust_mixture"
            )
        rows = lay_m.observed[0].any(axis=1)
        y = np.where(lay_m.observed[0], lay_m.y[0], np.nan)[rows]
        model = build_mmrm_model(
            y=y, z=lay_m.z[0, rows], covariates=lay_m.covariates, prior_sd=np.sqrt(var[0]),
            primary=lay_m.primary, structure=analysis.residual_correlation,
            sigma_prior_scale=analysis.residual_sd_prior_scale,
        )
    else:
        raise ValueError(f"no PyMC model for method {analysis.method!r}")
    with model:
        idata = pm.sample(
            draws=settings.draws, tune=settings.tune, chains=settings.chains, cores=1,
            target_accept=settings.target_accept, random_seed=seed, progressbar=False,
            compute_convergence_checks=False,
        )
    return idata


def analyze_batch_pymc(
    batch: TrialBatch, *, analysis: AnalysisSpec, decision: DecisionSpec, n_external: int,
    seed: int, label: str, settings: NutsSettings | None = None,
) -> BatchAnalysis:
    """Fit each replicate separately (NUTS, or statsmodels for frequentist methods).

    The effective number of synthetic patients uses the NUTS posterior variance of
    the control mean and the exact (conjugate) no-borrowing variance.
    """
    if analysis.method.startswith("frequentist"):
        return _frequentist_per_replicate(batch, analysis=analysis, decision=decision, label=label)
    rows: dict[str, list[float]] = {k: [] for k in (
        "effect_mean", "effect_sd", "ci_low", "ci_high", "prob_success", "prob_cid",
        "standardized_effect_mean", "ess_borrowed")}
    fits = []
    for r in range(batch.n_replicates):
        one = batch.replicate(r)
        idata = fit_replicate_idata(one, analysis=analysis, n_external=n_external,
                                    seed=stream_int(seed, "nuts", r), settings=settings)
        fits.append(idata)
        draws = {name: idata.posterior[name].values.reshape(-1) for name in ("effect", "sigma", "control_mean")}
        eff = draws["effect"]
        rows["effect_mean"].append(float(eff.mean()))
        rows["effect_sd"].append(float(eff.std(ddof=1)))
        rows["ci_low"].append(float(np.quantile(eff, 0.025)))
        rows["ci_high"].append(float(np.quantile(eff, 0.975)))
        rows["prob_success"].append(float(np.mean(eff > decision.threshold)))
        rows["prob_cid"].append(float(np.mean(eff > decision.clinically_important_difference)))
        rows["standardized_effect_mean"].append(float(np.mean(eff / draws["sigma"])))
        ess = 0.0 if n_external == 0 else float("nan")  # MMRM: no exact reference, reported as NaN
        if n_external > 0 and analysis.method == "bayesian_ancova":
            none = analysis.model_copy(update={"borrowing": analysis.borrowing.model_copy(update={"method": "none"})})
            ref_var, ref_sigma2 = _none_reference(one, analysis=none)
            ess = max(ref_sigma2 * (1 / draws["control_mean"].var() - 1 / ref_var), 0.0)
        rows["ess_borrowed"].append(ess)
        logger.info("NUTS replicate %d/%d done", r + 1, batch.n_replicates)
    arrays = {k: np.asarray(v) for k, v in rows.items()}
    return BatchAnalysis(**arrays, success=arrays["prob_success"] >= decision.probability,
                         method=label, true_effect=batch.true_effect, inference_data=tuple(fits))


def _none_reference(one: TrialBatch, *, analysis: AnalysisSpec) -> tuple[float, float]:
    """Exact posterior variance of the control mean and mean of σ² without borrowing."""
    from trialsim.analysis.bayes_ancova import linear_model_posterior

    lay = ancova_layout(one, prognostic=analysis.prognostic_adjustment, n_external=0)
    if analysis.method != "bayesian_ancova":
        raise TrialsimError("analysis: ESS under engine 'pymc' is computed for bayesian_ancova only")
    post = linear_model_posterior(
        lay.stats(), prior_var=base_prior_var(analysis, lay.columns)[None], log_weight=np.zeros(1),
        effect_index=lay.index("effect"), control_index=lay.index("control_mean"),
        sigma_prior_scale=analysis.residual_sd_prior_scale, drift_indices=[],
    )
    return float(post.control_var[0]), float(post.sigma2_mean[0])


def _frequentist_per_replicate(
    batch: TrialBatch, *, analysis: AnalysisSpec, decision: DecisionSpec, label: str,
) -> BatchAnalysis:
    fits: list[WaldFit] = []
    for r in range(batch.n_replicates):
        one = slice_batch(batch, slice(r, r + 1))
        if analysis.method == "frequentist_ancova":
            lay = ancova_layout(one, prognostic=analysis.prognostic_adjustment)
            used = lay.used[0]
            fits.append(frequentist_ancova(lay.y[0, used], lay.x[0, used], effect_index=lay.index("effect")))
        else:
            lay_m = mmrm_layout(one, prognostic=analysis.prognostic_adjustment)
            sigma = estimate_covariance(lay_m, structure=analysis.residual_correlation)[0]
            n_primary = int(lay_m.observed[0, :, lay_m.primary].sum())
            fits.append(frequentist_mmrm(
                lay_m.y[0], lay_m.z[0], lay_m.observed[0], sigma,
                effect_column=lay_m.column("effect", lay_m.primary),
                df=float(max(n_primary - len(lay_m.covariates), 1)),
            ))
    fit = WaldFit(*(np.concatenate([getattr(f, k) for f in fits]) for k in ("estimate", "se", "df", "sigma")))
    return summarize_wald(fit, decision=decision, label=label, true_effect=batch.true_effect)

