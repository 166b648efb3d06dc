"""How a simulated trial is analysed and decided."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from trialsim.spec.base import Spec


class BorrowingSpec(Spec):
    """Borrowing from the synthetic (external) control arm: the prior of ``drift``.

    ``drift`` is the synthetic controls' mean change minus the concurrent controls'.
    ``none`` ignores the synthetic arm; ``full`` pools it (``drift = 0``);
    ``commensurate`` gives ``drift ~ N(0, commensurate_sd²)`` (Hobbs 2011, fixed
    commensurability, endpoint units); ``robust_mixture`` is a robust meta-analytic-
    predictive prior as RBesT builds it (Neuenschwander 2010, Schmidli 2014):
    with weight ``1 − robust_weight`` an informative component ``N(0, τ²)`` with
    between-source heterogeneity ``τ = tau_sigma_fraction × σ`` (``0``: fixed-weight
    pooling, no heterogeneity), with weight ``robust_weight`` a vague component of
    unit information, ``N(0, σ²)`` — one patient's worth — unless ``vague_sd`` fixes
    its SD in endpoint units. σ is the outcome's residual SD (integrated over, not
    plugged in).
    """

    method: Literal["none", "full", "commensurate", "robust_mixture"] = "none"
    commensurate_sd: float = Field(0.05, gt=0, le=10, description="SD of the drift between external and concurrent control mean change (endpoint units)")
    robust_weight: float = Field(0.2, ge=0, le=1, description="prior weight of the vague component in the robust mixture")
    vague_sd: float | None = Field(None, gt=0, le=100, description="SD of the vague component (endpoint units); default: unit information (σ, one patient)")
    tau_sigma_fraction: float = Field(
        0.125, ge=0, le=2,
        description="between-source heterogeneity τ of the informative component as a fraction of σ "
                    "(Neuenschwander 2010: 1/16 small, 1/8 moderate, 1/4 substantial, 1/2 large); 0 = fixed-weight pooling",
    )


class DecisionSpec(Spec):
    """Success if P(effect > threshold | data) >= probability (Bayesian), or one-sided p < alpha (frequentist)."""

    threshold: float = Field(0.0, description="effect (endpoint units) that must be exceeded; 0 for superiority")
    probability: float = Field(0.975, gt=0.5, lt=1.0, description="posterior probability required for success")
    alpha: float = Field(0.025, gt=0, lt=0.5, description="one-sided alpha for frequentist references and type I error targets")
    clinically_important_difference: float = Field(0.1, ge=0, description="CID reported as P(effect > CID)")


class AnalysisSpec(Spec):
    """The analysis model of the primary endpoint."""

    method: Literal["bayesian_ancova", "mmrm", "frequentist_ancova", "frequentist_mmrm"] = "bayesian_ancova"
    prognostic_adjustment: bool = Field(False, description="PROCOVA: digital-twin prediction as a covariate")
    prognostic_model: Literal["typical_patient", "digital_twin"] = Field(
        "typical_patient",
        description="typical_patient: control change predicted from covariates and severity alone; digital_twin: "
                    "each patient's physiology inferred from their measured baseline gait by the generator's inverse model",
    )
    borrowing: BorrowingSpec = BorrowingSpec()
    residual_correlation: Literal["unstructured", "ar1"] = "unstructured"
    effect_prior_sd: float = Field(1.0, gt=0, description="SD of the normal prior on the treatment effect (endpoint units)")
    nuisance_prior_sd: float = Field(10.0, gt=0, description="SD of the normal priors on control means and covariate slopes (endpoint units)")
    residual_sd_prior_scale: float = Field(1.0, gt=0, description="scale of the half-normal prior on the residual SD (endpoint units)")
    engine: Literal["fast", "pymc"] = Field("fast", description="fast: exact conjugate/Laplace posteriors; pymc: NUTS per replicate (slow, for verification)")

    @model_validator(mode="after")
    def _borrowing_needs_bayes(self) -> AnalysisSpec:
        if self.borrowing.method != "none" and self.method.startswith("frequentist"):
            raise ValueError("borrowing needs a Bayesian method (allowed: bayesian_ancova, mmrm)")
        return self


class DesignSearchSpec(Spec):
    """Candidate designs and the operating characteristics the recommended one must meet."""

    n_per_arm: list[int] = Field(default_factory=lambda: [20, 30, 40, 60], min_length=1, description="concurrent patients per arm (control size; treatment size follows the allocation ratio)")
    allocation_ratios: list[float] | None = Field(None, min_length=1, description="treatment:control ratios to try (default: the arms' allocation)")
    synthetic_control_n: list[int] = Field(default_factory=lambda: [0], min_length=1, description="synthetic control sizes to try (0 = no borrowing)")
    target_power: float = Field(0.8, gt=0, lt=1)
    max_type1_error: float | None = Field(None, gt=0, lt=0.5, description="the one type I error budget of every design and of the conventional comparator, over every null scenario and the whole drift range; default: the decision's alpha")
    confidence_z: float = Field(1.645, ge=0, le=5, description="one-sided z of the Monte Carlo confidence bounds a design must clear (power lower bound ≥ target, type I upper bound ≤ budget)")
    calibrate_threshold: bool = Field(False, description="also try each borrowing design with its posterior-probability threshold calibrated by simulation so its type I error upper bound stays within the budget over the whole drift sweep (FDA draft guidance on Bayesian methods, Jan 2026)")
    max_replicates: int | None = Field(None, ge=1, le=10**7, description="add replicates (doubling, up to this many) while a design that could change the recommendation is undecided by Monte Carlo noise; default: never")
    bootstrap_resamples: int = Field(200, ge=0, le=5000, description="bootstrap resamples of the replicates for the uncertainty of the saving and of the choice")
    design_prior_sd_fraction: float = Field(0.5, gt=0, le=5, description="assurance: SD of the normal design prior on the effect, as a fraction of the expected effect (the effect at effect_scale 1)")

    @model_validator(mode="after")
    def _check(self) -> DesignSearchSpec:
        for n in self.n_per_arm:
            if n < 2 or n > 100_000:
                raise ValueError(f"n_per_arm value {n} outside 2..100000")
        for r in self.allocation_ratios or []:
            if not 0.1 <= r <= 10:
                raise ValueError(f"allocation ratio {r} outside 0.1..10")
        for m in self.synthetic_control_n:
            if m < 0 or m > 100_000:
                raise ValueError(f"synthetic_control_n value {m} outside 0..100000")
        return self
