"""Section 4: the data-generating model, the source of each part, and its credibility (V&V 40)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from trialsim.report.blocks import Bullets, Heading, Paragraph, Section, fmt, table
from trialsim.report.context import RunData
from trialsim.report.credibility import (
    MODEL_MODULES,
    PHYSICS_SOURCES,
    PUBLISHED_BASELINE,
    VALIDATED_MEASURES,
    VALIDATION,
    VERIFICATION,
    documented_sources,
    generator_fidelity,
    model_risk,
)

REFERENCE_NOTICE = (
    "This run used the statistical **reference** simulator: a closed-form mapping from musculoskeletal "
    "parameters to gait measures calibrated to published norms. It is not physics. The physics-generator "
    "fidelity figures (generator against held-out OpenSim/Moco solves) are **not applicable to this run**; "
    "the credibility evidence below is that of the reference model and the trial machinery."
)


def _shipped_fidelity(report: dict[str, Any], why: str, section: Section) -> None:
    section.add(Paragraph(
        f"Fidelity against physics solves the generator never saw: {why}. {report.get('method', '')}: "
        f"{report.get('n_simulations', '?')} solves, {report.get('folds', '?')} folds; classifier two-sample AUC "
        f"{fmt(report.get('c2st_auc'))} (0.5 = indistinguishable from physics); mean coverage of 90 % predictive "
        f"intervals {fmt(report.get('coverage_90_mean'))}."))
    rows = {k: v for k, v in (report.get("measures") or {}).items() if not _exact_by_construction(k, v)}
    measures = pd.DataFrame([{"measure": k, **v} for k, v in rows.items()])
    if len(measures):
        section.add(table("generator_fidelity_measures", "Generator against held-out physics: gait measures at the "
                          "solves' imposed speeds (the speed itself is an input there, so it is not listed).", measures))
    _self_selected_speed(report.get("self_selected_speed_vs_physics") or {}, section)
    curves = pd.DataFrame([{"curve": k, **v} for k, v in (report.get("curves") or {}).items()])
    if len(curves):
        section.add(table("generator_fidelity_curves", "Generator against held-out physics: RMSE over the gait cycle.", curves))


def _exact_by_construction(measure: str, figures: dict[str, Any]) -> bool:
    """The imposed speed (an input of the held-out evaluation), or any row that is exact by construction."""
    return measure == "gait_speed_m_s" or (figures.get("mae") == 0.0 and figures.get("r2") == 1.0)


#: rows of the self-selected-speed table: (label, key in fidelity.json, unit)
SPEED_ROWS = (
    ("bodies with a physics self-selected speed", "n_bodies", ""), ("source of the physics speed", "source", ""),
    ("physics mean", "physics_mean_m_s", "m/s"), ("physics SD", "physics_sd_m_s", "m/s"),
    ("generator mean (typical body)", "generator_mean_m_s", "m/s"),
    ("MAE, generator", "mae_m_s", "m/s"), ("MAE, constant predictor", "constant_mae_m_s", "m/s"),
    ("MAE ratio vs constant (target ≤ 0.7)", "mae_ratio_vs_constant", ""),
    ("correlation r (target ≥ 0.7)", "correlation", ""),
    ("SD of sampled held-out bodies / physics SD (target ≥ 0.8)", "sampled_sd_ratio", ""),
)


def _self_selected_speed(speed: dict[str, Any], section: Section) -> None:
    """The figure that decides credibility: the speed a held-out body chooses, generator vs physics."""
    present = [(label, str(speed[key]) if key in ("n_bodies", "source") else speed[key], unit)
               for label, key, unit in SPEED_ROWS if key in speed]
    if speed.get("n_bodies", 0) < 3 or len(present) < 3:
        section.add(Paragraph("The generator's self-selected speed has not been scored against the physics' "
                              "(too few bodies with a physics self-selected speed).", "warning"))
        return
    frame = pd.DataFrame({"figure": [p[0] for p in present], "value": [p[1] for p in present],
                          "unit": [p[2] for p in present]})
    section.add(table("generator_fidelity_self_selected_speed", "Self-selected speed of held-out bodies (grouped "
                      "folds: a body never trains its own prediction), generator against physics.", frame))


def _simulator_part(data: RunData, section: Section) -> None:
    section.add(Heading("4.3 Gait simulator used in this run"))
    sim = {k: v for k, v in data.attrs.items() if k.startswith("simulator")}
    if data.simulator == "reference":
        section.add(Paragraph(REFERENCE_NOTICE, "warning"))
        section.add(Bullets(tuple(documented_sources("trialsim.generative.reference"))))
    else:
        section.add(Paragraph(
            f"This run used the **{data.simulator}** simulator: a generative model trained on the physics "
            "simulation library (musculoskeletal model and Moco solves above), as in Yamada et al. 2025."))
        recorded = {k: v for k, v in sim.items() if "fidelity" in k}
        shipped, why = generator_fidelity(sim.get("simulator_checkpoint_sha256"))
        if recorded:
            frame = pd.DataFrame({"fidelity figure": list(recorded), "value": list(recorded.values())})
            section.add(table("generator_fidelity", "Fidelity of the generator against held-out physics solves "
                              "(as recorded in the results' provenance).", frame))
        if shipped is not None:
            _shipped_fidelity(shipped, why, section)
        elif not recorded:
            section.add(Paragraph(f"Generator fidelity figures are not available: {why}. The generator's fidelity "
                                  "must be documented before these results are used.", "warning"))
    frame = pd.DataFrame({"provenance": list(sim), "value": list(sim.values())})
    section.add(table("simulator_provenance", "Simulator provenance recorded in results.nc.", frame))


def _applied_effect(data: RunData) -> str:
    """How this run's patients got their speed preference, from the results' provenance."""
    recorded = data.attrs.get("simulator_speed_effect")
    if data.simulator != "generator":
        return (f"the generator, not this run's simulator ({data.simulator}), which has no per-body speed effect: "
                "this run's patients were not drawn with it; shown as the cross-check of the same cohort")
    if recorded == "calibrated":
        return (f"this run's patients were drawn with it: each patient keeps one z ~ N(0, 1) at screening and every "
                f"visit, u = {fmt(float(data.attrs['simulator_speed_effect_shift']))} + "
                f"{fmt(float(data.attrs['simulator_speed_effect_scale']))}·z (as recorded in the results' provenance)")
    if recorded == "uncalibrated":
        return ("not applied: this run's patients were drawn with the physics-trained, uncalibrated effect "
                "u ~ N(0, 1) (as recorded in the results' provenance)")
    return ("not applied: the results record no per-body speed effect, so this run's patients walk at the typical "
            "speed of their parameters (a run made before the effect reached the trial, or a checkpoint without a "
            "speed head)")


def _fitted_population(cohort: dict) -> str:
    if (cohort.get("calibration") or {}).get("population") == "healthy_controls":
        return ("a population of healthy controls with the cohort's age, sex and body size (the fit is then "
                "carried over to the patients, whose slowing is the physics' own)")
    return "the cohort"


def _calibration_part(data: RunData, section: Section) -> None:
    """The per-body speed effect this run's patients were drawn with; with the cohort's calibration
    targets, the generator's fit and its residuals (Allen 2016; Rieger 2018)."""
    if not (data.cohort or {}).get("calibration"):
        if data.simulator == "generator":
            section.add(Heading("4.3.1 Between-patient speed preference of the generator"))
            section.add(Paragraph(
                "The cohort names no calibration targets. Calibrated model: " + _applied_effect(data) + "."))
        return
    from trialsim.errors import TrialsimError
    from trialsim.spec.cohort import CohortSpec

    section.add(Heading("4.3.1 Virtual-population calibration of the generator"))
    try:
        from trialsim.generative.loader import load_default_generator
        from trialsim.population.calibration import calibrate

        fit = calibrate(CohortSpec.model_validate(data.cohort), load_default_generator(), seed=0)
    except (TrialsimError, ValueError) as exc:
        section.add(Paragraph(f"The cohort names calibration targets, but they could not be fitted: {exc}. "
                              f"Calibrated model: {_applied_effect(data)}.", "warning"))
        return
    section.add(Paragraph(
        f"The between-patient speed preference the physics parameters do not explain (the generator's per-body "
        f"random effect, SD {fmt(fit.tau)} in log speed) is fitted so that {_fitted_population(data.cohort)} matches "
        f"the published figures the cohort names (Allen et al. 2016; Rieger et al. 2018): N({fmt(fit.shift)}, {fmt(fit.scale)}²) "
        f"in units of that SD. Calibrated model: {_applied_effect(data)}. Residual = fitted − published."))
    warning = _refit_differs(data, fit, installed_sha256=load_default_generator().bundle.sha256)
    if warning:
        section.add(Paragraph(warning, "warning"))
    section.add(table("calibration_targets", "Calibration targets, fit and residuals (speed in m/s).",
                      fit.table(), label_columns=2, digits={"n_virtual": 0}))


def _refit_differs(data: RunData, fit: Any, *, installed_sha256: str) -> str:
    """Why the fit recomputed now is not the one the run used ('' when it is): the run's checkpoint
    is not the installed one, or (same checkpoint) the cohort, the mapping or the calibration code changed."""
    recorded = data.attrs.get("simulator_speed_effect_shift")
    if data.simulator != "generator" or recorded is None:
        return ""
    run_sha256 = str(data.attrs.get("simulator_checkpoint_sha256", ""))
    if run_sha256 and run_sha256 != installed_sha256:
        return (f"The fit shown is recomputed with the installed generator (checkpoint {installed_sha256[:12]}…), not "
                f"the one this run used ({run_sha256[:12]}…): the run's patients were drawn with "
                f"N({fmt(float(recorded))}, {fmt(float(data.attrs['simulator_speed_effect_scale']))}²).")
    if abs(float(recorded) - fit.shift) > 1e-9 or abs(float(data.attrs["simulator_speed_effect_scale"]) - fit.scale) > 1e-9:
        return (f"The fit recomputed now, N({fmt(fit.shift)}, {fmt(fit.scale)}²), differs from the one this run recorded, "
                f"N({fmt(float(recorded))}, {fmt(float(data.attrs['simulator_speed_effect_scale']))}²), on the same "
                "checkpoint: the cohort, the severity → physiology mapping or the calibration code changed since the run.")
    return ""


def _baseline_part(data: RunData, section: Section) -> None:
    base = data.baseline
    frame = base.to_dataframe().describe().T[["mean", "std", "min", "max"]].reset_index(names="variable")
    section.add(Heading("4.1 Virtual patients"))
    inclusion = "; ".join(
        f"{c.get('variable')} {c.get('min', '–')}–{c.get('max', '–')}" for c in data.cohort.get("inclusion", []) or []
    )
    section.add(Paragraph(
        f"Cohort **{base.attrs.get('cohort', data.cohort.get('name', '?'))}** (condition "
        f"{base.attrs.get('condition', data.cohort.get('condition', '?'))}): {' '.join(str(data.cohort.get('description', '')).split())} "
        f"Inclusion: {inclusion or 'none'}. Screen-failure rate {100 * float(base.attrs.get('screen_failure_rate', np.nan)):.1f} %. "
        "The cohort YAML is reproduced verbatim in section 9."))
    section.add(table("baseline_summary", f"Baseline covariates and gait of {base.sizes['patient']} eligible virtual patients "
                      "(the run's baseline sample).", frame, digits={"mean": 3, "std": 3, "min": 3, "max": 3}))


def _sources_part(data: RunData, section: Section) -> None:
    section.add(Heading("4.2 Musculoskeletal physics, phenotype mappings and their sources"))
    section.add(Paragraph(
        "Covariates (age, sex, height, mass) and disease severity map to musculoskeletal parameters (strength per "
        "muscle group, neural drive, passive stiffness, activation time, contracture, motor noise); a gait "
        "simulator turns parameters into gait; a measurement device turns true gait into the observed endpoint. "
        "The physics behind the generator:"))
    section.add(Bullets(PHYSICS_SOURCES))
    for title, module in MODEL_MODULES.items():
        if module == "trialsim.generative.reference":
            continue
        section.add(Paragraph(f"**{title[0].upper() + title[1:]}** ({module}):"))
        section.add(Bullets(tuple(documented_sources(module))))
    from trialsim.sensors.devices import DEVICES

    device = DEVICES.get(data.spec.endpoint.device)
    error = device.errors.get(data.spec.endpoint.measure) if device else None
    if device and error:
        section.add(Paragraph(
            f"Device of this study: {device.description}; {data.spec.endpoint.measure} read with relative bias "
            f"{error.relative_bias:g} and measurement-noise SD {error.noise_sd:g} per test."))


def _credibility_part(data: RunData, section: Section) -> None:
    spec = data.spec
    influence, consequence, risk = model_risk(borrowing=data.borrowing)
    section.add(Heading("4.4 Credibility evidence (ASME V&V 40-2018)"))
    section.add(Bullets((
        f"**Question of interest**: which design (sample size, allocation, number of synthetic controls) meets "
        f"power ≥ {spec.design.target_power:g} with type I error ≤ {spec.type1_budget:g} for "
        f"{spec.endpoint.measure} at week {spec.endpoint.visit_week:g}?",
        f"**Context of use**: simulated virtual patients of cohort {data.cohort.get('name', '?')} and a simulated "
        f"{spec.endpoint.device} measurement give the operating characteristics of candidate designs"
        + ("; synthetic controls drawn from the same model are borrowed in the primary analysis." if data.borrowing
           else "; the real trial is analysed on its own patients only."),
        f"**Model influence**: {influence}.",
        f"**Decision consequence**: {consequence}.",
        f"**Model risk**: {risk}.",
    )))
    section.add(Paragraph("**Verification** (code and calculation): the following tests of the suite hold; "
                          "Monte Carlo error of every rate is in section 5."))
    section.add(table("verification_evidence", "Verification evidence (test that holds it).",
                      pd.DataFrame(VERIFICATION, columns=["claim", "test"]), label_columns=2))
    section.add(Paragraph("**Validation** against published real-world figures (targets and tolerances of the "
                          "calibration tests):"))
    section.add(table("validation_evidence", "Validation targets, sources and tolerances.",
                      pd.DataFrame([(e.claim, e.published, e.source, e.tolerance, e.test) for e in VALIDATION],
                                   columns=["quantity", "published", "source", "tolerance", "test"]),
                      label_columns=5))
    published = PUBLISHED_BASELINE.get(str(data.baseline.attrs.get("condition", "")))
    if published and published[0] in data.baseline:
        measure, mean, sd, source = published
        values = data.baseline[measure].values
        section.add(Paragraph(
            f"This run's baseline sample: {measure} {fmt(np.mean(values), 2)} ± {fmt(np.std(values, ddof=1), 2)} "
            f"(mean ± SD) against {mean:g} ± {sd:g} published ({source}); the cohort's inclusion criteria "
            "truncate the distribution."))
    validated = spec.endpoint.measure in VALIDATED_MEASURES
    section.add(Paragraph("**Applicability** of the evidence to this context of use:"))
    section.add(Bullets((
        f"Endpoint {spec.endpoint.measure}: "
        + ("among the measures validated above." if validated else
           "**not** among the validated measures; its simulated values rest on the mapping's sources only."),
        f"Population: {data.baseline.attrs.get('condition', '?')}, ages "
        f"{fmt(float(data.baseline.age_years.min()), 0)}–{fmt(float(data.baseline.age_years.max()), 0)} years "
        "(validation covers healthy adults 20–99 years, Parkinson's disease against controls, chronic stroke).",
        "Treatment effect: an assumed mechanism (shifts of musculoskeletal parameters, section 1), not validated "
        "against trial data; the scenario grid varies its size instead.",
        f"Measurement: {spec.endpoint.device} error from the device literature (cited above), not re-estimated.",
        "Longitudinal course (progression, placebo response, dropout) follows the study settings; progression of "
        "MDS-UPDRS III ≈ 3 points/year (PPMI-based simulator, J Parkinsons Dis 2024) is the reference value.",
    )))


def model_section(data: RunData) -> Section:
    """Section 4 of the report."""
    section = Section("model", "4. Data-generating model and its credibility")
    _baseline_part(data, section)
    _sources_part(data, section)
    _simulator_part(data, section)
    _calibration_part(data, section)
    _credibility_part(data, section)
    return section
