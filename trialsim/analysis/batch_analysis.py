"""The analysis result of a batch of simulated trials."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["BatchAnalysis"]


@dataclass(frozen=True)
class BatchAnalysis:
    """Per-replicate estimates and decisions of one design in one scenario.

    Every array has shape ``(R,)`` (dimension ``replicate``).

    Attributes
    ----------
    effect_mean, effect_sd
        Posterior mean and SD (frequentist: estimate and standard error) of the
        treatment effect at the primary visit.
    ci_low, ci_high
        Equal-tailed 95 % credible (frequentist: confidence) interval.
    prob_success
        ``P(effect > decision.threshold | data)``; frequentist methods report
        ``1 − p`` of the one-sided test of ``effect ≤ threshold``.
    prob_cid
        ``P(effect > clinically_important_difference | data)`` (frequentist: ``1 − p``).
    success
        The decision: ``prob_success ≥ decision.probability`` (Bayesian) or
        ``p < decision.alpha`` (frequentist).
    standardized_effect_mean
        Posterior mean of ``effect / σ`` (σ: residual SD at the primary visit).
    ess_borrowed
        Effective number of synthetic patients borrowed (0 without borrowing).
    pooled_sd
        Pooled within-arm SD of the unadjusted change at the primary visit among
        concurrent completers (for closed-form sample sizes); NaN if not computed.
    method
        ``"<analysis method>[+procova][+<borrowing>]/<engine>"``.
    true_effect
        The batch's data-generating effect, carried for operating characteristics.
    inference_data
        One ArviZ ``InferenceData`` per replicate from the PyMC engine (empty for the
        fast engine, which draws no samples).
    """

    effect_mean: np.ndarray
    effect_sd: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    prob_success: np.ndarray
    prob_cid: np.ndarray
    success: np.ndarray
    standardized_effect_mean: np.ndarray
    ess_borrowed: np.ndarray
    method: str
    true_effect: float = float("nan")
    pooled_sd: np.ndarray = field(default_factory=lambda: np.full(0, np.nan))
    inference_data: tuple[Any, ...] = ()

    def __post_init__(self) -> None:
        if self.pooled_sd.shape != self.effect_mean.shape:
            object.__setattr__(self, "pooled_sd", np.full(self.effect_mean.shape, np.nan))

    @property
    def n_replicates(self) -> int:
        return int(self.effect_mean.shape[0])

    def subset(self, index: np.ndarray | slice) -> BatchAnalysis:
        """The analysis of the replicates ``index``."""
        return BatchAnalysis(
            effect_mean=self.effect_mean[index], effect_sd=self.effect_sd[index],
            ci_low=self.ci_low[index], ci_high=self.ci_high[index],
            prob_success=self.prob_success[index], prob_cid=self.prob_cid[index],
            success=self.success[index],
            standardized_effect_mean=self.standardized_effect_mean[index],
            ess_borrowed=self.ess_borrowed[index], method=self.method, true_effect=self.true_effect,
            pooled_sd=self.pooled_sd[index],
        )

    @staticmethod
    def concatenate(parts: list[BatchAnalysis]) -> BatchAnalysis:
        """Join analyses of consecutive replicate chunks of one batch."""
        if not parts:
            raise ValueError("nothing to concatenate")

        def cat(name: str) -> np.ndarray:
            return np.concatenate([getattr(p, name) for p in parts])

        return BatchAnalysis(
            effect_mean=cat("effect_mean"), effect_sd=cat("effect_sd"), ci_low=cat("ci_low"),
            ci_high=cat("ci_high"), prob_success=cat("prob_success"), prob_cid=cat("prob_cid"),
            success=cat("success"), standardized_effect_mean=cat("standardized_effect_mean"),
            ess_borrowed=cat("ess_borrowed"), method=parts[0].method, true_effect=parts[0].true_effect,
            pooled_sd=cat("pooled_sd"),
        )
