"""``analyze_batch``: analyse every replicate of a :class:`TrialBatch` in one pass.

The fast engine evaluates exact conjugate posteriors (ANCOVA, integrating σ
numerically) or Gaussian posteriors given an EM estimate of the visit covariance
(MMRM), vectorised over the replicate axis with batched linear algebra; it never
samples. ``AnalysisSpec(engine="pymc")`` instead fits each replicate with NUTS
(:mod:`trialsim.analysis.pymc_engine`) — slow, for verification.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from scipy import stats as sps

from trialsim.analysis.batch_analysis import BatchAnalysis
from trialsim.analysis.bayes_ancova import LinearModelPosterior, linear_model_posterior
from trialsim.analysis.borrowing import borrowing_prior, effective_sample_size
from trialsim.analysis.conjugate import gaussian_posterior, normalize_log_weights
from trialsim.analysis.frequentist import WaldFit, batched_gls
from trialsim.analysis.layout import AncovaLayout, ancova_layout, external_size
from trialsim.analysis.mixture import EffectMixture
from trialsim.analysis.mmrm import MmrmLayout, estimate_covariance, gls_stats, mmrm_layout
from trialsim.spec.analysis import AnalysisSpec, DecisionSpec
from trialsim.trial.batch import TrialBatch

__all__ = ["analyze_batch", "method_label", "pooled_sd", "slice_batch"]

CHUNK_REPLICATES = 250


def method_label(analysis: AnalysisSpec, *, n_external: int) -> str:
    """Readable name of the analysis, e.g. ``bayesian_ancova+procova+robust_mixture/fast``."""
    label: str = str(analysis.method)
    if analysis.prognostic_adjustment:
        label += "+procova"
    if analysis.borrowing.method != "none" and n_external > 0:
        label += f"+{analysis.borrowing.method}"
    return f"{label}/{analysis.engine}"


def slice_batch(batch: TrialBatch, index: slice) -> TrialBatch:
    """The replicates ``index`` of ``batch`` (arrays are views, nothing is copied)."""
    ext = batch.external_outcome
    ext_score = batch.external_prognostic_score
    return TrialBatch(
        visits_weeks=batch.visits_weeks, primary_visit=batch.primary_visit, arm=batch.arm[index],
        outcome=batch.outcome[index], prognostic_score=batch.prognostic_score[index],
        true_effect=batch.true_effect, endpoint=batch.endpoint,
        covariates={k: v[index] for k, v in batch.covariates.items()},
        external_outcome=None if ext is None else ext[index],
        external_prognostic_score=None if ext_score is None else ext_score[index],
    )


def analyze_batch(
    batch: TrialBatch,
    *,
    analysis: AnalysisSpec,
    decision: DecisionSpec,
    n_external: int | None = None,
    seed: int = 0,
) -> BatchAnalysis:
    """Analyse and decide every replicate of ``batch``.

    Parameters
    ----------
    batch
        R simulated trials of one design.
    analysis
        Model, covariate adjustment, borrowing and engine.
    decision
        Success rule and clinically important difference.
    n_external
        Synthetic controls to borrow (the first ``n_external`` of the batch's);
        ``None`` uses all. Ignored without borrowing.
    seed
        Unused by the fast engine (the signature is shared with the engines in
        :data:`trialsim.analysis.engines.ANALYSIS_ENGINES`).

    Returns
    -------
    BatchAnalysis
        ``(R,)`` arrays of estimates and decisions.

    Examples
    --------
    >>> import numpy as np
    >>> from trialsim.spec.analysis import AnalysisSpec, DecisionSpec
    >>> rng = np.random.default_rng(0)
    >>> arm = np.tile(np.repeat([0, 1], 50), (4, 1))
    >>> out = np.zeros((4, 100, 2)); out[:, :, 1] = 0.3 * arm + rng.normal(0, 0.2, (4, 100))
    >>> b = TrialBatch(visits_weeks=np.array([0.0, 12.0]), primary_visit=1, arm=arm,
    ...                outcome=out, prognostic_score=np.zeros((4, 100)), true_effect=0.3)
    >>> res = analyze_batch(b, analysis=AnalysisSpec(), decision=DecisionSpec())
    >>> bool(res.success.all())
    True
    """
    m = external_size(batch, n_external) if analysis.borrowing.method != "none" else 0
    label = method_label(analysis, n_external=m)
    parts = []
    for start in range(0, batch.n_replicates, CHUNK_REPLICATES):
        sub = slice_batch(batch, slice(start, start + CHUNK_REPLICATES))
        parts.append(_analyze_chunk(sub, analysis=analysis, decision=decision, m=m, label=label))
    return replace(BatchAnalysis.concatenate(parts), pooled_sd=pooled_sd(batch))


def pooled_sd(batch: TrialBatch) -> np.ndarray:
    """``(R,)`` pooled within-arm SD of the primary-visit change among concurrent completers."""
    change = batch.change_from_baseline()
    ok = np.isfinite(change)
    ss = np.zeros(batch.n_replicates)
    dof = np.zeros(batch.n_replicates)
    for a in (0, 1):
        sel = ok & (batch.arm == a)
        n = sel.sum(axis=1)
        mean = np.where(sel, change, 0.0).sum(axis=1) / np.maximum(n, 1)
        ss += np.where(sel, (change - mean[:, None]) ** 2, 0.0).sum(axis=1)
        dof += np.maximum(n - 1, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.sqrt(ss / dof)


def _analyze_chunk(
    batch: TrialBatch, *, analysis: AnalysisSpec, decision: DecisionSpec, m: int, label: str,
) -> BatchAnalysis:
    if analysis.method in ("bayesian_ancova", "frequentist_ancova"):
        layout = ancova_layout(batch, prognostic=analysis.prognostic_adjustment, n_external=m)
        eff = layout.index("effect")
        if analysis.method == "frequentist_ancova":
            fit = batched_gls(layout.stats(), index=eff, known_scale=False)
            return summarize_wald(fit, decision=decision, label=label, true_effect=batch.true_effect)
        drift = [layout.index("drift")] if m > 0 else []
        post = ancova_posterior(layout, analysis=analysis, drift=drift)
        ess = np.zeros(batch.n_replicates)
        if m > 0 and post.ess_borrowed is not None:
            ess = np.minimum(post.ess_borrowed, n_synthetic_used(layout))
        return summarize_mixture(post.effect, standardized=post.standardized_mean, ess=ess,
                                 decision=decision, label=label, true_effect=batch.true_effect)
    layout_m = mmrm_layout(batch, prognostic=analysis.prognostic_adjustment, n_external=m)
    return _analyze_mmrm(layout_m, analysis=analysis, decision=decision, m=m, label=label,
                         true_effect=batch.true_effect)


def n_synthetic_used(layout: AncovaLayout) -> np.ndarray:
    """``(R,)`` synthetic controls in the likelihood (completers)."""
    return (layout.used & layout.external[None, :]).sum(axis=1).astype(float)


def ancova_posterior(layout: AncovaLayout, *, analysis: AnalysisSpec, drift: list[int],
                     stats: tuple[np.ndarray, ...] | None = None, with_ess: bool = True) -> LinearModelPosterior:
    """Exact Bayesian ANCOVA posterior of ``layout`` under the study's borrowing prior.

    ``stats`` overrides the layout's sufficient statistics (the drift sweep shifts them).
    """
    eff, ctl = layout.index("effect"), layout.index("control_mean")
    prior_var = base_prior_var(analysis, layout.columns)
    prior = borrowing_prior(analysis.borrowing, prior_var=prior_var, drift_indices=drift)
    reference = None
    if drift and with_ess:
        none_var = prior_var.copy()
        none_var[drift] = 0.0
        reference = (layout.stats(concurrent_only=True), none_var)
    return linear_model_posterior(
        layout.stats() if stats is None else stats, prior_var=prior.var, log_weight=prior.log_weight,
        prior_sigma_scale=prior.sigma_scale if prior.scaled else None, drift_indices=drift,
        effect_index=eff, control_index=ctl, sigma_prior_scale=analysis.residual_sd_prior_scale,
        reference=reference,
    )


def base_prior_var(analysis: AnalysisSpec, covariates: tuple[str, ...], *, n_visits: int = 1) -> np.ndarray:
    per_cov = [analysis.effect_prior_sd**2 if c == "effect" else analysis.nuisance_prior_sd**2
               for c in covariates]
    return np.repeat(np.asarray(per_cov, dtype=float), n_visits)


def _analyze_mmrm(
    layout: MmrmLayout, *, analysis: AnalysisSpec, decision: DecisionSpec, m: int, label: str,
    true_effect: float,
) -> BatchAnalysis:
    t = layout.n_visits
    k = len(layout.covariates)
    sigma = estimate_covariance(layout, structure=analysis.residual_correlation)
    eff = layout.column("effect", layout.primary)
    ctl = layout.column("control_mean", layout.primary)
    conc_primary = (layout.observed[:, :, layout.primary] & ~layout.external[None, :]).sum(axis=1)
    df = np.maximum(conc_primary - k, 1.0).astype(float)
    sigma_primary = np.sqrt(sigma[:, layout.primary, layout.primary])
    if analysis.method == "frequentist_mmrm":
        fit = batched_gls(gls_stats(layout, sigma), index=eff, known_scale=True, df=df)
        fit = WaldFit(estimate=fit.estimate, se=fit.se, df=fit.df, sigma=sigma_primary)
        return summarize_wald(fit, decision=decision, label=label, true_effect=true_effect)
    drift = [layout.column("drift", v) for v in range(t)] if m > 0 else []
    prior_var = base_prior_var(analysis, layout.covariates, n_visits=t)
    prior = borrowing_prior(analysis.borrowing, prior_var=prior_var, drift_indices=drift)
    visit_var = np.repeat(np.diagonal(sigma, axis1=-2, axis2=-1)[:, None, :], k, axis=1).reshape(sigma.shape[0], k * t)
    comp_var = prior.var[None] + prior.sigma_scale[None] * visit_var[:, None, :]  # (R, K, P): drift var in σ_v² units

    def posterior(stats: tuple[np.ndarray, ...], var: np.ndarray, logw: np.ndarray):
        xtx, xty, yty, n = stats
        post = gaussian_posterior(xtx[:, None], xty[:, None], yty[:, None], n[:, None], prior_var=var)
        w = normalize_log_weights(post.log_marginal + logw[None])
        cv = post.cov[..., ctl, ctl]
        mixture = EffectMixture(weight=w, mean=post.mean[..., eff],
                                scale=np.sqrt(post.cov[..., eff, eff]), df=df)
        return mixture, w, cv

    mixture, weight, control_var = posterior(gls_stats(layout, sigma), comp_var, prior.log_weight)
    ess = np.zeros(layout.z.shape[0])
    if m > 0:
        none_var = prior_var.copy()
        none_var[drift] = 0.0
        _, _, none_control_var = posterior(gls_stats(layout, sigma, concurrent_only=True),
                                           none_var[None, None, :], np.zeros(1))
        used = (layout.observed[:, :, layout.primary] & layout.external[None, :]).sum(axis=1)
        ess = effective_sample_size(var_borrow=control_var, var_none=none_control_var,
                                    sigma2=(sigma_primary**2)[:, None], weight=weight, n_available=used)
    return summarize_mixture(mixture, standardized=mixture.posterior_mean() / sigma_primary, ess=ess,
                             decision=decision, label=label, true_effect=true_effect)


def summarize_mixture(
    mixture: EffectMixture, *, standardized: np.ndarray, ess: np.ndarray, decision: DecisionSpec,
    label: str, true_effect: float,
) -> BatchAnalysis:
    """Bayesian summaries and decision from the effect posterior."""
    prob = mixture.sf(decision.threshold)
    return BatchAnalysis(
        effect_mean=mixture.posterior_mean(), effect_sd=mixture.posterior_sd(),
        ci_low=mixture.quantile(0.025), ci_high=mixture.quantile(0.975),
        prob_success=prob, prob_cid=mixture.sf(decision.clinically_important_difference),
        success=prob >= decision.probability, standardized_effect_mean=standardized,
        ess_borrowed=ess, method=label, true_effect=true_effect,
    )


def summarize_wald(fit: WaldFit, *, decision: DecisionSpec, label: str, true_effect: float) -> BatchAnalysis:
    """Frequentist summaries: t interval, ``1 − p`` of one-sided tests, success if ``p < α``."""
    q = sps.t.ppf(0.975, fit.df)
    one_minus_p = sps.t.cdf((fit.estimate - decision.threshold) / fit.se, fit.df)
    return BatchAnalysis(
        effect_mean=fit.estimate, effect_sd=fit.se, ci_low=fit.estimate - q * fit.se,
        ci_high=fit.estimate + q * fit.se, prob_success=one_minus_p,
        prob_cid=sps.t.cdf((fit.estimate - decision.clinically_important_difference) / fit.se, fit.df),
        success=(1.0 - one_minus_p) < decision.alpha, standardized_effect_mean=fit.estimate / fit.sigma,
        ess_borrowed=np.zeros_like(fit.estimate), method=label, true_effect=true_effect,
    )
