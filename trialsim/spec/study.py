"""Study YAML: a trial design, its hypotheses and the scenarios it is judged under."""

from __future__ import annotations

import math
from itertools import pairwise
from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from trialsim.physiology.parameters import CORE_PARAMETERS
from trialsim.spec.analysis import AnalysisSpec, DecisionSpec, DesignSearchSpec
from trialsim.spec.base import Spec
from trialsim.spec.cohort import CohortSpec

GaitMeasure = Literal[
    "gait_speed_m_s", "step_length_m", "stride_length_m", "cadence_steps_min",
    "stride_time_s", "stride_time_cv_pct", "stance_pct", "swing_pct",
    "double_support_pct", "peak_knee_flexion_swing_deg",
]
Device = Literal["stopwatch_10mwt", "walkway", "insoles", "imu_ankle", "imu_lumbar", "phone_video"]
SHIFTABLE = tuple(p for p in CORE_PARAMETERS if p not in ("height_m", "body_mass_kg", "age_years"))
#: the continuous severity score each condition's physiology is mapped from (physiology/disease.py),
#: and the span of that score (a symptomatic ``severity_shift`` is bounded by it)
SEVERITY_SCORE: dict[str, str] = {"parkinsons": "updrs_iii", "cerebral_palsy": "gmfcs_level",
                                  "stroke": "fugl_meyer_le", "mci": "moca_score"}
SEVERITY_SPAN: dict[str, float] = {"updrs_iii": 132.0, "gmfcs_level": 4.0, "fugl_meyer_le": 34.0, "moca_score": 30.0}


class ArmSpec(Spec):
    name: str = Field(min_length=1, max_length=50, pattern=r"^[A-Za-z0-9_\-]+$")
    role: Literal["control", "treatment"]
    allocation: float = Field(gt=0, le=1, description="fraction of concurrent patients randomised to this arm")


class StratumSpec(Spec):
    """A stratification factor: a patient variable, cut into levels at ``cutpoints``.

    ``variable`` is a covariate (``sex``, ``age_years``, ``height_m``, ``body_mass_kg``)
    or the cohort's severity score (e.g. ``updrs_iii``, ``hoehn_yahr``, ``gmfcs_level``);
    ``sex``, ``hoehn_yahr`` and ``gmfcs_level`` may go without cutpoints (one level per
    value); continuous variables need them. Values below the first cutpoint form level 0.
    """

    variable: str = Field(min_length=1, max_length=50, pattern=r"^[a-z][a-z0-9_]*$")
    cutpoints: list[Annotated[float, Field(allow_inf_nan=False)]] = Field(default_factory=list, max_length=5)

    @field_validator("cutpoints")
    @classmethod
    def _increasing(cls, value: list[float]) -> list[float]:
        if any(b <= a for a, b in pairwise(value)):
            raise ValueError("cutpoints must be strictly increasing")
        return value


class RandomisationSpec(Spec):
    """How concurrent patients are allocated to arms.

    ``simple``: each arm is its own sequence of screened patients (allocation by the
    arm sizes, no balancing). ``stratified_blocks``: one enrolment sequence per
    replicate, randomised in permuted blocks of ``block_size`` within each stratum
    (the cross of the ``strata`` levels), with block composition given by the arms'
    allocation. Designs of the grid take the first patients of each arm, so a design
    whose ``allocation_ratios`` entry differs from the arms' allocation is balanced
    within strata only approximately.
    """

    method: Literal["simple", "stratified_blocks"] = "simple"
    strata: list[StratumSpec] = Field(default_factory=list, max_length=4)
    block_size: int = Field(4, ge=2, le=24, description="patients per permuted block (a multiple of the allocation ratio)")

    @model_validator(mode="after")
    def _strata(self) -> RandomisationSpec:
        if self.method == "stratified_blocks" and not self.strata:
            raise ValueError("stratified_blocks needs at least one stratum (e.g. strata: [{variable: sex}])")
        if self.method == "simple" and self.strata:
            raise ValueError("strata given but method is simple (use method: stratified_blocks)")
        if len({s.variable for s in self.strata}) != len(self.strata):
            raise ValueError("strata: each variable at most once")
        return self


class EndpointSpec(Spec):
    measure: GaitMeasure = "gait_speed_m_s"
    summary: Literal["change_from_baseline"] = "change_from_baseline"
    visit_week: float = Field(ge=0, description="primary visit (must be in visits_weeks)")
    device: Device = "walkway"
    better: Literal["higher", "lower"] = "higher"


class ParameterShifts(Spec):
    """Additive shifts of musculoskeletal parameters (ratios; see ``trialsim physics params``)."""

    shifts: dict[str, float] = Field(default_factory=dict)

    @field_validator("shifts")
    @classmethod
    def _known(cls, value: dict[str, float]) -> dict[str, float]:
        for name, shift in value.items():
            if name not in SHIFTABLE:
                raise ValueError(f"unknown parameter {name!r} (allowed: {', '.join(SHIFTABLE)})")
            if not math.isfinite(shift):
                raise ValueError(f"shift of {name} is {shift}; give a finite number")
            if abs(shift) > 2:
                raise ValueError(f"shift of {name} is {shift}, beyond ±2")
        return value


class SymptomaticEffect(ParameterShifts):
    """Shifts physiology while the drug acts: linear onset, exponential wash-out after ``stop_week``.

    Two ways to say what the drug does, combinable: ``shifts`` of named musculoskeletal
    parameters, and ``severity_shift`` — a change of the condition's clinical score while the
    drug acts (``{updrs_iii: -17}``: patients move as if 17 MDS-UPDRS III points less
    severe). The second goes through the same severity → physiology mapping as the cohort,
    so every simulator sees it through the parameters it reads (the reference model reads
    neural drive, stiffness and activation time; physics v2 and its generator read vigour
    and joint rigidity too).
    """

    severity_shift: dict[str, float] = Field(
        default_factory=dict, description="change of the cohort condition's severity score while the drug acts, e.g. {updrs_iii: -17}")
    onset_weeks: float = Field(4.0, ge=0, le=104)
    stop_week: float | None = Field(None, ge=0, description="week the treatment stops (None: never)")
    washout_weeks: float = Field(2.0, gt=0, le=104)

    @field_validator("severity_shift")
    @classmethod
    def _known_score(cls, value: dict[str, float]) -> dict[str, float]:
        for name, shift in value.items():
            if name not in SEVERITY_SPAN:
                raise ValueError(f"unknown severity score {name!r} (allowed: {', '.join(SEVERITY_SPAN)})")
            if not math.isfinite(shift):
                raise ValueError(f"severity shift of {name} is {shift}; give a finite number of score points")
            if abs(shift) > SEVERITY_SPAN[name]:
                raise ValueError(f"severity shift of {name} is {shift:g}, beyond the score's span ±{SEVERITY_SPAN[name]:g}")
        return value


def severity_shift_problems(spec: StudySpec, condition: str) -> list[str]:
    """One-line problems where ``treatment.symptomatic.severity_shift`` names a score the cohort's condition lacks."""
    sym = spec.treatment.symptomatic
    allowed = SEVERITY_SCORE.get(condition)
    return [
        f"treatment.symptomatic.severity_shift: {name} does not apply to a {condition} cohort "
        f"(allowed: {allowed or 'none: a healthy cohort has no severity score'})"
        for name in (sym.severity_shift if sym else {}) if name != allowed
    ]


class TreatmentSpec(Spec):
    """Mechanisms a study's drug acts through; scenarios scale them by ``effect_scale``."""

    symptomatic: SymptomaticEffect | None = None
    disease_modifying_fraction: float = Field(0.0, ge=0, le=1, description="fraction by which progression is slowed")
    responder_fraction: float = Field(1.0, ge=0, le=1, description="fraction of treated patients who respond at all")


class PlaceboSpec(ParameterShifts):
    """Placebo response in every arm (same shift), with the same onset as the drug."""

    onset_weeks: float = Field(2.0, ge=0, le=104)


class ProgressionSpec(Spec):
    """Latent disease progression per patient, in the condition's progression scale per year.

    Parkinson's: MDS-UPDRS III points/year (≈ +3, PPMI-based simulator, J Parkinsons Dis 2024);
    MCI: MoCA points/year (negative = decline); stroke (chronic) and CP: ≈ 0.
    """

    rate_per_year: float = Field(0.0, ge=-50, le=50)
    rate_sd_per_year: float = Field(0.0, ge=0, le=50)


class DropoutSpec(Spec):
    """Dropout by the final visit; ``mar`` depends on baseline severity, ``mnar`` on the unobserved outcome."""

    mechanism: Literal["none", "mcar", "mar", "mnar"] = "none"
    rate: float = Field(0.0, ge=0, le=0.9, description="expected fraction dropped out by the last visit")
    log_odds_per_sd: float = Field(0.8, ge=-5, le=5, description="mar/mnar: log-odds of dropout per SD of the driver")


class DriftSpec(Spec):
    """How the synthetic control population differs from the trial's concurrent controls."""

    age_shift_years: float = Field(0.0, ge=-30, le=30)
    outcome_offset: float = Field(0.0, ge=-5, le=5, description="added to synthetic controls' change from baseline (endpoint units)")


class DriftSweepSpec(Spec):
    """The drift range every borrowing design's type I error and power are traced over.

    Default half-width: the larger of the clinically important difference and half the
    SD of change at the primary visit (estimated from the simulator before the run).
    A narrower ``validated_range`` (the range the synthetic controls were shown to stay
    within) is allowed only with ``validated_source`` naming the evidence; the report then
    shows both, and the design search still judges type I error over the full range.
    """

    half_width: float | None = Field(None, gt=0, le=5, description="half-width of the drift range (endpoint units); default max(CID, 0.5 × SD of change)")
    n_values: int = Field(31, ge=3, le=201, description="drift values on the range (odd: 0 is one of them)")
    validated_range: list[Annotated[float, Field(allow_inf_nan=False)]] | None = Field(
        None, min_length=2, max_length=2, description="[low, high] drift the synthetic controls were validated to (needs validated_source)")
    validated_source: str | None = Field(None, min_length=3, max_length=500, description="citation of the validation (fidelity report, paper)")

    @model_validator(mode="after")
    def _source(self) -> DriftSweepSpec:
        if self.validated_range is not None:
            if not self.validated_source:
                raise ValueError("validated_range needs validated_source (cite the fidelity report or paper that validates it)")
            low, high = self.validated_range
            if not low <= 0 <= high:
                raise ValueError("validated_range must contain 0, as [low, high] with low <= 0 <= high")
        return self


class SyntheticControlSpec(Spec):
    enabled: bool = False
    drift: DriftSpec = DriftSpec()
    drift_sweep: DriftSweepSpec = DriftSweepSpec()


class ScenarioSpec(Spec):
    name: str = Field(min_length=1, max_length=50, pattern=r"^[A-Za-z0-9_\-]+$")
    effect_scale: float = Field(1.0, ge=0, le=10, description="multiplies every treatment mechanism; 0 = null")
    drift: DriftSpec | None = Field(None, description="overrides synthetic_control.drift")

    @property
    def is_null(self) -> bool:
        return self.effect_scale == 0


def _smallest_block(arms: list[ArmSpec]) -> int | None:
    """The smallest block size that holds every arm's allocation in whole patients (≤ 24)."""
    return next((k for k in range(2, 25) if all(abs(a.allocation * k - round(a.allocation * k)) < 1e-6 for a in arms)), None)


class StudySpec(Spec):
    """A trial design and the scenarios its operating characteristics are computed under."""

    schema_version: Literal[1] = 1
    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_\-]+$")
    description: str = Field("", max_length=5000)
    seed: int = Field(0, ge=0, le=2**32 - 1)
    cohort: str | CohortSpec = Field(description="cohort YAML path (relative to this file) or an inline cohort")
    simulator: Literal["reference", "generator"] = Field("reference", description="gait simulator: statistical reference model or the physics-trained generator")
    arms: list[ArmSpec] = Field(min_length=2, max_length=2)
    randomisation: RandomisationSpec = RandomisationSpec()
    visits_weeks: list[float] = Field(min_length=2, max_length=52)
    endpoint: EndpointSpec
    treatment: TreatmentSpec = TreatmentSpec()
    placebo: PlaceboSpec = PlaceboSpec()
    progression: ProgressionSpec = ProgressionSpec()
    dropout: DropoutSpec = DropoutSpec()
    synthetic_control: SyntheticControlSpec = SyntheticControlSpec()
    analysis: AnalysisSpec = AnalysisSpec()
    decision: DecisionSpec = DecisionSpec()
    design: DesignSearchSpec = DesignSearchSpec()
    scenarios: list[ScenarioSpec] = Field(min_length=1, max_length=50)
    replicates: int = Field(200, ge=1, le=10**15)

    @field_validator("cohort")
    @classmethod
    def _cohort_path(cls, value: str | CohortSpec) -> str | CohortSpec:
        if isinstance(value, str):
            if not value.endswith((".yaml", ".yml")):
                raise ValueError("cohort path must name a .yaml file")
            if value.startswith(("/", "~")) or "\x00" in value:
                raise ValueError("cohort path must be relative to the study file")
        return value

    @field_validator("randomisation")
    @classmethod
    def _blocks_fit_allocation(cls, value: RandomisationSpec, info: ValidationInfo) -> RandomisationSpec:
        arms = info.data.get("arms")
        if value.method != "stratified_blocks" or not arms:
            return value
        for arm in arms:
            units = arm.allocation * value.block_size
            if abs(units - round(units)) > 1e-6:
                unit = _smallest_block(arms)
                hint = f"a multiple of {unit} (e.g. {unit} or {2 * unit})" if unit else "a block size that fits the allocation"
                raise ValueError(
                    f"block_size: a block of {value.block_size} cannot hold {arm.allocation:g} of its patients "
                    f"in arm {arm.name}; use {hint}"
                )
        return value

    @model_validator(mode="after")
    def _consistency(self) -> StudySpec:
        roles = sorted(a.role for a in self.arms)
        if roles != ["control", "treatment"]:
            raise ValueError("arms: need exactly one control and one treatment arm")
        if len({a.name for a in self.arms}) != len(self.arms):
            raise ValueError("arms: names must be unique")
        total = sum(a.allocation for a in self.arms)
        if abs(total - 1) > 1e-6:
            raise ValueError(f"arms: allocations sum to {total:g}, must sum to 1")
        visits = self.visits_weeks
        if visits[0] != 0:
            raise ValueError("visits_weeks: the first visit must be baseline, week 0")
        if any(b <= a for a, b in pairwise(visits)):
            raise ValueError("visits_weeks: must be strictly increasing")
        if visits[-1] > 520:
            raise ValueError("visits_weeks: last visit beyond 520 weeks")
        if self.endpoint.visit_week not in visits or self.endpoint.visit_week == 0:
            raise ValueError(
                f"endpoint.visit_week {self.endpoint.visit_week:g} must be a post-baseline visit "
                f"(allowed: {', '.join(f'{v:g}' for v in visits[1:])})"
            )
        if len({s.name for s in self.scenarios}) != len(self.scenarios):
            raise ValueError("scenarios: names must be unique")
        if self.analysis.borrowing.method != "none" and not self.synthetic_control.enabled:
            raise ValueError("analysis.borrowing needs synthetic_control.enabled: true")
        return self

    @property
    def type1_budget(self) -> float:
        """The one type I error budget of every design and the comparator (default: the decision's α)."""
        bound = self.design.max_type1_error
        return float(self.decision.alpha if bound is None else bound)

    @property
    def control_arm(self) -> ArmSpec:
        return next(a for a in self.arms if a.role == "control")

    @property
    def treatment_arm(self) -> ArmSpec:
        return next(a for a in self.arms if a.role == "treatment")

    @property
    def primary_visit_index(self) -> int:
        return self.visits_weeks.index(self.endpoint.visit_week)
