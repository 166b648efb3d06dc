"""Virtual-population calibration to published marginals (Allen, Rieger & Musante 2016,
CPT Pharmacometrics Syst Pharmacol 5:140; Rieger et al. 2018, Prog Biophys Mol Biol 139:15).

What is fitted: the distribution of the between-patient speed preference that the physics
parameters do not explain — the generator's per-body random effect ``u``
(:mod:`trialsim.generative.speed_model`), ``log v = log v_body(θ) + τ·u``. The physics
trains ``u ~ N(0, 1)``; real people also weigh the cost of time (vigour; Carlisle & Kuo
2023, REFERENCE §6), which the v1 physics (cost of transport only) leaves out, so the
population distribution of ``u`` is fitted as ``N(shift, scale²)`` such that the virtual
cohort's speed mean and SD in each target stratum match the published ones (least
squares on standardised residuals, common random numbers, Nelder–Mead from (0, 1):
deterministic). The physiological parameters and their between-patient variability
(``physiology/disease.py``) stay as they are, so a fit on healthy strata carries over
unchanged to disease: the PD–control gap, the H&Y gradient and the stride-time CV are
then checks, not fits.

The cohort names its targets (``calibration.targets`` in the cohort YAML); a disease cohort
can name healthy targets with ``population: healthy_controls``: the fit runs on healthy
people with the cohort's covariates and is applied to its patients (the carry-over above,
used by trials too);
:func:`calibrate` returns the fit and a table of targets, fitted figures and residuals.
Trials and cohort samples on the generator draw their patients with it
(:mod:`trialsim.trial.speed_effect`); :func:`calibrated_gait` is the unscreened check.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from trialsim.errors import InputFileError
from trialsim.physiology.parameters import centre_speed_m_s
from trialsim.population.sampling import draw_candidates
from trialsim.seeding import stream
from trialsim.spec.cohort import CalibrationTarget, CohortSpec

#: virtual patients per fit (common random numbers across the optimiser's steps)
CALIBRATION_PATIENTS = 20_000


@dataclass(frozen=True)
class VirtualPopulation:
    """Candidates of a cohort (before screening): covariates, severity, parameters, speed-effect draws."""

    covariates: dict[str, np.ndarray]
    severity: dict[str, np.ndarray]
    params: dict[str, np.ndarray]
    effect_z: np.ndarray


@dataclass(frozen=True)
class CalibrationFit:
    """``u ~ N(shift, scale²)`` and how the calibrated cohort meets each target."""

    cohort: str
    shift: float
    scale: float
    tau: float
    rows: list[dict[str, Any]]

    def table(self) -> Any:
        """Targets, fitted figures and residuals (one row per target; pandas)."""
        import pandas as pd

        return pd.DataFrame(self.rows)

    def effect(self, z: np.ndarray) -> np.ndarray:
        """The calibrated speed effect of standard-normal draws ``z``."""
        return self.shift + self.scale * np.asarray(z, dtype=float)


def virtual_population(cohort: CohortSpec, *, n: int, seed: int) -> VirtualPopulation:
    """``n`` candidates of ``cohort`` with between-patient parameter noise (block-stable streams)."""
    from trialsim.physiology.disease import map_to_parameters

    c = draw_candidates(cohort, seed=seed, key=("calibration", cohort.name), start=0, count=n)
    params = map_to_parameters(c.covariates, condition=cohort.condition, severity=c.severity,
                               patient_noise=c.noise, paretic_side=c.paretic_side)
    z = stream(seed, "calibration", cohort.name, "speed_effect").standard_normal(n)
    return VirtualPopulation(c.covariates, c.severity, params, z)


def _stratum(pop: VirtualPopulation, target: CalibrationTarget) -> np.ndarray:
    keep = np.ones(len(pop.effect_z), bool)
    if target.age_years is not None:
        age = pop.covariates["age_years"]
        keep &= (age >= target.age_years[0]) & (age < target.age_years[1])
    if target.sex != "all":
        keep &= pop.covariates["sex"] == (1.0 if target.sex == "female" else 0.0)
    if target.hoehn_yahr is not None:
        keep &= pop.severity.get("hoehn_yahr", np.full(len(keep), np.nan)) == target.hoehn_yahr
    return keep


def _describe(target: CalibrationTarget) -> str:
    parts: list[str] = [str(target.sex)]
    if target.age_years is not None:
        parts.append(f"{target.age_years[0]:g}–{target.age_years[1]:g} y")
    if target.hoehn_yahr is not None:
        parts.append(f"H&Y {target.hoehn_yahr:g}")
    return ", ".join(parts)


def calibrate(cohort: CohortSpec, simulator: Any, *, seed: int = 0, n: int = CALIBRATION_PATIENTS,
              source: str = "cohort") -> CalibrationFit:
    """Fit the speed-effect distribution of ``cohort`` to its ``calibration.targets``.

    ``simulator`` is a :class:`~trialsim.generative.simulator.GeneratorSimulator` whose
    checkpoint has a learned speed (a per-body random effect to calibrate).

    Examples
    --------
    >>> from trialsim.spec.loading import load_shipped_cohort
    >>> from trialsim.generative.loader import load_default_generator
    >>> fit = calibrate(load_shipped_cohort("healthy_older"), load_default_generator())  # doctest: +SKIP
    >>> fit.table()  # doctest: +SKIP
    """
    from scipy.optimize import minimize

    if cohort.calibration is None:
        raise InputFileError(f"{source}: calibration: cohort {cohort.name} names no calibration targets; "
                             "add calibration: {targets: [{mean, sd, age_years, sex, source}]}")
    head = getattr(getattr(simulator, "bundle", None), "speed_head", None)
    if head is None:
        raise InputFileError(f"{source}: calibration: simulator {getattr(simulator, 'name', '?')} has no learned "
                             "per-body speed effect to calibrate; use simulator: generator with a current checkpoint")
    fitted_on = healthy_controls_of(cohort) if cohort.calibration.population == "healthy_controls" else cohort
    pop = virtual_population(fitted_on, n=n, seed=seed)
    targets = cohort.calibration.targets
    strata = [_stratum(pop, t) for t in targets]
    for i, (t, keep) in enumerate(zip(targets, strata, strict=True)):
        if keep.sum() < 30:
            raise InputFileError(f"{source}: calibration.targets[{i}]: only {int(keep.sum())} of {n} virtual patients of "
                                 f"cohort {cohort.name} fall in the stratum ({_describe(t)}); widen the cohort's "
                                 "covariates or drop the target")
    rows = np.flatnonzero(np.any(strata, axis=0))
    params = {k: v[rows] for k, v in pop.params.items()}
    z = pop.effect_z[rows]
    local = [keep[rows] for keep in strata]
    typical = simulator.self_selected_speed_m_s(params, 0.0)
    # the effect only shifts log speed (then the generator's speed-range clip): computed once
    height = params["height_m"]
    base = np.log(typical / centre_speed_m_s(height))

    def speeds(shift: float, scale: float) -> np.ndarray:
        return centre_speed_m_s(height) * np.exp(simulator.clip_log_relative_speed(base + head.tau * (shift + scale * z)))

    def loss(theta: np.ndarray) -> float:
        v = speeds(float(theta[0]), float(np.exp(theta[1])))
        total = 0.0
        for t, keep in zip(targets, local, strict=True):
            total += ((v[keep].mean() - t.mean) / t.sd) ** 2 + ((v[keep].std() - t.sd) / t.sd) ** 2
        return total

    res = minimize(loss, np.array([0.0, 0.0]), method="Nelder-Mead",
                   options={"xatol": 1e-4, "fatol": 1e-8, "maxiter": 400})
    shift, scale = float(res.x[0]), float(np.exp(res.x[1]))
    v = speeds(shift, scale)
    out = []
    for t, keep in zip(targets, local, strict=True):
        m, s = float(v[keep].mean()), float(v[keep].std())
        out.append({"stratum": _describe(t), "measure": t.measure, "n_virtual": int(keep.sum()),
                    "target_mean": t.mean, "fitted_mean": m, "residual_mean": m - t.mean,
                    "target_sd": t.sd, "fitted_sd": s, "sd_ratio": s / t.sd, "source": t.source})
    return CalibrationFit(cohort.name, shift, scale, float(head.tau), out)


def calibrated_gait(cohort: CohortSpec, simulator: Any, fit: CalibrationFit, *, n: int, seed: int) -> Any:
    """One day's gait of ``n`` virtual patients of ``cohort`` (unscreened) with the calibrated
    speed effect: covariates, severity and the gait measures as a pandas frame."""
    import pandas as pd

    pop = virtual_population(cohort, n=n, seed=seed)
    params = {**pop.params, "speed_effect_z": fit.effect(pop.effect_z)}
    gait = simulator.generate(params, rng=stream(seed, "calibration", cohort.name, "day"), with_curves=False)
    return pd.DataFrame({**pop.covariates, **pop.severity, **gait.measures})


def healthy_controls_of(cohort: CohortSpec) -> CohortSpec:
    """Healthy people with ``cohort``'s covariates (age, sex, height, mass), unscreened, without
    calibration: the population a ``calibration.population: healthy_controls`` fit runs on."""
    return _healthy_unscreened(cohort.model_dump(), name=f"healthy_controls_of_{cohort.name}")


def matched_controls(cohort: CohortSpec, template: CohortSpec) -> CohortSpec:
    """Healthy controls with ``cohort``'s age and sex distributions, ``template``'s body size,
    unscreened and without calibration targets (for disease-vs-control checks)."""
    data = template.model_dump()
    data["covariates"]["age_years"] = cohort.covariates.age_years.model_dump()
    data["covariates"]["sex"] = {"female_fraction": cohort.covariates.sex.female_fraction}
    return _healthy_unscreened(data, name=f"controls_for_{cohort.name}")


def _healthy_unscreened(data: dict[str, Any], *, name: str) -> CohortSpec:
    """A cohort's fields as healthy people: no disease, no screening, no calibration targets."""
    data.update(name=name, condition="healthy", severity=None, inclusion=[], exclusion=[], calibration=None,
                affected_side="random")
    return CohortSpec.model_validate(data)
