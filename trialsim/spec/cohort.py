"""Cohort YAML: who the virtual patients are."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from trialsim.spec.base import Spec
from trialsim.spec.names import GAIT_MEASURES

HOEHN_YAHR_STAGES = (1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0)
GMFCS_LEVELS = (1, 2, 3, 4, 5)


class NormalCovariate(Spec):
    """Normal distribution truncated to ``[low, high]``."""

    distribution: Literal["normal"] = "normal"
    mean: float
    sd: float = Field(gt=0)
    low: float
    high: float

    @model_validator(mode="after")
    def _bounds(self) -> NormalCovariate:
        if not self.low < self.high:
            raise ValueError("low must be below high")
        if not self.low <= self.mean <= self.high:
            raise ValueError("mean must lie within [low, high]")
        return self


class UniformCovariate(Spec):
    distribution: Literal["uniform"] = "uniform"
    low: float
    high: float

    @model_validator(mode="after")
    def _bounds(self) -> UniformCovariate:
        if not self.low < self.high:
            raise ValueError("low must be below high")
        return self


AgeDistribution = Annotated[NormalCovariate | UniformCovariate, Field(discriminator="distribution")]


class SexSpec(Spec):
    female_fraction: float = Field(ge=0, le=1, description="fraction of women in the cohort")


class HeightSpec(Spec):
    """Height by sex (normal, truncated); height–sex correlation comes from the two means."""

    distribution: Literal["normal"] = "normal"
    mean_female: float = Field(gt=0.5, lt=2.5)
    mean_male: float = Field(gt=0.5, lt=2.5)
    sd: float = Field(gt=0, lt=0.5)
    low: float = Field(gt=0.5)
    high: float = Field(lt=2.5)


class BodyMassSpec(Spec):
    """Body mass from a log-normal BMI, so mass correlates with height squared."""

    distribution: Literal["bmi_lognormal"] = "bmi_lognormal"
    bmi_mean: float = Field(gt=10, lt=60)
    bmi_sd: float = Field(gt=0, lt=20)
    low: float = Field(gt=10)
    high: float = Field(lt=250)


class CovariatesSpec(Spec):
    age_years: AgeDistribution
    sex: SexSpec
    height_m: HeightSpec
    body_mass_kg: BodyMassSpec

    @model_validator(mode="after")
    def _ages(self) -> CovariatesSpec:
        if self.age_years.low < 3 or self.age_years.high > 110:
            raise ValueError("age_years bounds must lie within 3..110")
        return self


class HoehnYahrSeverity(Spec):
    """Parkinson's disease: probability of each Hoehn & Yahr stage."""

    scale: Literal["hoehn_yahr"] = "hoehn_yahr"
    probabilities: dict[float, float]
    age_correlation: float = Field(0.3, ge=-1, le=1, description="rank correlation of severity with age")

    @model_validator(mode="after")
    def _check(self) -> HoehnYahrSeverity:
        _check_probabilities(self.probabilities, HOEHN_YAHR_STAGES, "Hoehn & Yahr stage")
        return self


class GmfcsSeverity(Spec):
    """Cerebral palsy: probability of each GMFCS level (I–III walk)."""

    scale: Literal["gmfcs_level"] = "gmfcs_level"
    probabilities: dict[int, float]
    age_correlation: float = Field(0.0, ge=-1, le=1)

    @model_validator(mode="after")
    def _check(self) -> GmfcsSeverity:
        _check_probabilities(self.probabilities, GMFCS_LEVELS, "GMFCS level")
        if any(level > 3 and p > 0 for level, p in self.probabilities.items()):
            raise ValueError("GMFCS levels IV–V do not walk; gait cohorts allow levels 1..3")
        return self


class ContinuousSeverity(Spec):
    """A continuous clinical score, normal truncated to ``[low, high]``.

    ``fugl_meyer_le`` (stroke, lower-extremity Fugl-Meyer 0–34, lower = worse) or
    ``moca_score`` (MCI, Montreal Cognitive Assessment 0–30, lower = worse).
    """

    scale: Literal["fugl_meyer_le", "moca_score"]
    mean: float
    sd: float = Field(gt=0)
    low: float
    high: float
    age_correlation: float = Field(0.0, ge=-1, le=1)

    @model_validator(mode="after")
    def _check(self) -> ContinuousSeverity:
        top = 34 if self.scale == "fugl_meyer_le" else 30
        if not (0 <= self.low < self.high <= top):
            raise ValueError(f"{self.scale} bounds must satisfy 0 <= low < high <= {top}")
        if not self.low <= self.mean <= self.high:
            raise ValueError("mean must lie within [low, high]")
        return self


SeveritySpec = Annotated[
    HoehnYahrSeverity | GmfcsSeverity | ContinuousSeverity, Field(discriminator="scale")
]

CRITERION_VARIABLES = (
    "age_years", "sex", "height_m", "body_mass_kg", "hoehn_yahr", "updrs_iii",
    "gmfcs_level", "fugl_meyer_le", "moca_score", *GAIT_MEASURES,
)
CriterionVariable = Literal[
    "age_years", "sex", "height_m", "body_mass_kg", "hoehn_yahr", "updrs_iii",
    "gmfcs_level", "fugl_meyer_le", "moca_score",
    "gait_speed_m_s", "step_length_m", "stride_length_m", "cadence_steps_min",
    "stride_time_s", "stride_time_cv_pct", "stance_pct", "swing_pct",
    "double_support_pct", "peak_knee_flexion_swing_deg",
]


class Criterion(Spec):
    """A structured screening rule: ``min <= variable <= max`` (either bound optional)."""

    variable: CriterionVariable
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _check(self) -> Criterion:
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min must not exceed max")
        return self


class CalibrationTarget(Spec):
    """A published marginal the virtual population must match: a measure's mean and SD in a
    stratum (age band ``[low, high)``, sex, Hoehn & Yahr stage) and where it comes from."""

    measure: Literal["gait_speed_m_s"] = Field("gait_speed_m_s", description="the calibrated measure")
    mean: float = Field(gt=0, lt=3, description="published mean (m/s)")
    sd: float = Field(gt=0, lt=1, description="published between-person SD (m/s)")
    age_years: tuple[float, float] | None = Field(None, description="age band [low, high) of the stratum")
    sex: Literal["female", "male", "all"] = "all"
    hoehn_yahr: float | None = Field(None, description="Parkinson's stratum: this Hoehn & Yahr stage only")
    source: str = Field(min_length=1, max_length=300, description="publication of the figure")

    @model_validator(mode="after")
    def _check(self) -> CalibrationTarget:
        if self.age_years is not None and not (3 <= self.age_years[0] < self.age_years[1] <= 110):
            raise ValueError("age_years must be [low, high] with 3 <= low < high <= 110")
        if self.hoehn_yahr is not None and self.hoehn_yahr not in HOEHN_YAHR_STAGES:
            raise ValueError(f"unknown Hoehn & Yahr stage {self.hoehn_yahr} (allowed: {', '.join(map(str, HOEHN_YAHR_STAGES))})")
        return self


class CalibrationSpec(Spec):
    """Virtual-population calibration (Allen et al. 2016; Rieger et al. 2018): the
    distribution of the between-patient speed preference the physics parameters do not
    explain (the generator's per-body random effect) is fitted so the cohort matches
    ``targets`` (:mod:`trialsim.population.calibration`).

    ``population: healthy_controls`` fits the targets on healthy controls with this cohort's
    covariates (age, sex, height, mass; no disease, no screening) and applies the fit to the
    cohort's patients: the preference is calibrated where published healthy figures exist and
    carried over unchanged to the disease, so the disease's slowing stays the physics' own."""

    targets: list[CalibrationTarget] = Field(min_length=1, max_length=50)
    population: Literal["cohort", "healthy_controls"] = Field(
        "cohort", description="fit on the cohort itself, or on healthy controls with its covariates (disease cohorts)")


class CohortSpec(Spec):
    """A population of virtual patients."""

    schema_version: Literal[1] = 1
    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_\-]+$")
    description: str = Field("", max_length=2000)
    condition: Literal["healthy", "parkinsons", "cerebral_palsy", "stroke", "mci"]
    covariates: CovariatesSpec
    severity: SeveritySpec | None = None
    inclusion: list[Criterion] = Field(default_factory=list, max_length=50)
    exclusion: list[Criterion] = Field(default_factory=list, max_length=50)
    affected_side: Literal["left", "right", "random"] = Field("random", description="stroke: the hemiparetic side")
    calibration: CalibrationSpec | None = Field(None, description="published targets the virtual population is calibrated to")

    @model_validator(mode="after")
    def _severity_matches_condition(self) -> CohortSpec:
        expected = {
            "healthy": None, "parkinsons": "hoehn_yahr", "cerebral_palsy": "gmfcs_level",
            "stroke": "fugl_meyer_le", "mci": "moca_score",
        }[self.condition]
        got = None if self.severity is None else self.severity.scale
        if got != expected:
            raise ValueError(
                f"condition {self.condition} needs severity scale {expected or 'none (omit severity)'}, got {got}"
            )
        controls = self.calibration is not None and self.calibration.population == "healthy_controls"
        for i, target in enumerate(self.calibration.targets if self.calibration else []):
            if target.hoehn_yahr is not None and self.condition != "parkinsons":
                raise ValueError(f"calibration.targets[{i}]: hoehn_yahr applies to condition parkinsons only")
            if target.hoehn_yahr is not None and controls:
                raise ValueError(f"calibration.targets[{i}]: hoehn_yahr cannot stratify healthy controls; "
                                 "drop it or use population: cohort")
        return self


def _check_probabilities(probabilities: dict, allowed: tuple, what: str) -> None:
    if not probabilities:
        raise ValueError(f"give at least one {what}")
    for key, p in probabilities.items():
        if key not in allowed:
            raise ValueError(f"unknown {what} {key} (allowed: {', '.join(str(a) for a in allowed)})")
        if not 0 <= p <= 1:
            raise ValueError(f"probability of {what} {key} is {p}, outside [0, 1]")
    total = sum(probabilities.values())
    if abs(total - 1) > 1e-6:
        raise ValueError(f"probabilities sum to {total:g}, must sum to 1")
