"""The report's sections, in the order of REFERENCE §5 (FDA CID 2020, ICH M15, ASME V&V 40).

1 design and estimand · 2 simulated trials walked through the rule · 3 scenario grid ·
4 data-generating model and credibility · 5 replicates and Monte Carlo error ·
6 operating characteristics · 7 Bayesian items · 8 recommended design and patients
saved · 9 reproducibility.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from trialsim.plotting import prepare, static
from trialsim.plotting.figures import (
    bias_coverage,
    example_trajectories,
)
from trialsim.report.bayes_section import bayes_section
from trialsim.report.blocks import (
    Bullets,
    Heading,
    Paragraph,
    Report,
    Section,
    Table,
    Verbatim,
    figure,
    fmt,
    table,
)
from trialsim.report.context import RunData, null_rows, read_run, walkthrough
from trialsim.report.crosscheck_section import crosscheck_blocks
from trialsim.report.drift_section import lever_blocks
from trialsim.report.model_section import REFERENCE_NOTICE, model_section

ANALYSIS_NAMES = {
    "bayesian_ancova": "Bayesian ANCOVA of the change from baseline at the primary visit, adjusted for baseline",
    "mmrm": "Bayesian mixed model for repeated measures over all visits",
    "frequentist_ancova": "ANCOVA (least squares) of the change from baseline at the primary visit, adjusted for baseline",
    "frequentist_mmrm": "mixed model for repeated measures (REML) over all visits",
}


def _decision_text(data: RunData) -> str:
    d = data.spec.decision
    if data.spec.analysis.method.startswith("frequentist"):
        return f"success if the one-sided p-value for effect > {d.threshold:g} is < {d.alpha:g}"
    return f"success if P(effect > {d.threshold:g} | data) ≥ {d.probability:g}"


def design_section(data: RunData) -> Section:
    spec = data.spec
    a, ep = spec.analysis, spec.endpoint
    control, treatment = spec.control_arm, spec.treatment_arm
    sym = spec.treatment.symptomatic
    mechanism = ", ".join([*(f"{k} {v:+g}" for k, v in (sym.shifts if sym else {}).items()),
                           *(f"{k} {v:+g} points (through the severity mapping)"
                             for k, v in (sym.severity_shift if sym else {}).items())]) or "none"
    borrowing = a.borrowing.method if a.borrowing.method != "none" else "none"
    missing = ("complete cases at the primary visit (valid under MCAR)" if a.method.endswith("ancova")
               else "all observed visits (valid under MAR)")
    rows = [
        ("population", f"cohort {data.cohort.get('name', '?')} ({data.cohort.get('condition', '?')}), see section 4.1"),
        ("arms", f"{control.name} (control, allocation {control.allocation:g}); {treatment.name} (treatment, allocation {treatment.allocation:g})"),
        ("visits", "weeks " + ", ".join(f"{w:g}" for w in spec.visits_weeks)),
        ("endpoint", f"change from baseline in {ep.measure} at week {ep.visit_week:g}, measured by {ep.device}; higher is {'better' if ep.better == 'higher' else 'worse'}"),
        ("simulated treatment", (f"symptomatic shifts {mechanism} (onset {sym.onset_weeks:g} weeks)" if sym else "no symptomatic effect")
         + f"; disease-modifying fraction {spec.treatment.disease_modifying_fraction:g}; responders {spec.treatment.responder_fraction:.0%}"),
        ("analysis model", f"{ANALYSIS_NAMES.get(a.method, a.method)}; prognostic score (PROCOVA) {'yes' if a.prognostic_adjustment else 'no'}; borrowing from synthetic controls: {borrowing}; engine {a.engine}"),
        ("decision rule", _decision_text(data)),
        ("frequentist reference", f"ANCOVA without borrowing or prognostic score, one-sided p < {spec.decision.alpha:g}, on the same replicates"),
        ("adaptations", "none: fixed design, no interim analysis, no sample-size re-estimation"),
        ("candidate designs", f"n per arm {spec.design.n_per_arm}, allocation ratios {spec.design.allocation_ratios}, synthetic controls {spec.design.synthetic_control_n}"),
        ("design criteria", f"power lower bound ≥ {spec.design.target_power:g} in every alternative scenario; type I error upper bound ≤ {spec.type1_budget:g} (one budget for every design and the comparator) in every null scenario and over the drift sweep"),
    ]
    section = Section("design", "1. Design overview and estimand")
    section.add(Paragraph(spec.description or f"Study {spec.name}."))
    section.add(table("design_overview", "Design.", pd.DataFrame(rows, columns=["item", "value"]), label_columns=2))
    section.add(Paragraph("**Estimand** (ICH E9(R1) attributes):"))
    section.add(Bullets((
        f"population: patients meeting the cohort's inclusion criteria ({data.cohort.get('name', '?')});",
        f"treatment condition: {treatment.name} versus {control.name}" + (", with synthetic controls borrowed as prior information on the control arm" if data.borrowing else ""),
        f"variable: change from baseline in {ep.measure} at week {ep.visit_week:g};",
        f"intercurrent event, dropout before week {ep.visit_week:g}: hypothetical strategy (the outcome had the patient completed); the analysis uses {missing};",
        "population-level summary: difference in mean change, treatment − control.",
    )))
    return section


def walk_section(data: RunData) -> Section:
    section = Section("walk", "2. Individual simulated trials through the decision rule")
    ex = data.examples
    if ex.sizes.get("trial", 0) == 0:
        return section.add(Paragraph("The results hold no example trials.", "warning"))
    walk = walkthrough(data)
    scenario, design = ex.attrs.get("scenario"), ex.attrs.get("design")
    d = data.spec.decision
    section.add(Paragraph(
        f"Replicates 0–{len(walk) - 1} of scenario **{scenario}**, design **{design}**: the same virtual patients "
        "the operating characteristics count. Rule: " + _decision_text(data) + "."))
    items = []
    for w in walk.itertuples():
        syn = "" if math.isnan(w.mean_change_synthetic) else f"; synthetic controls {fmt(w.mean_change_synthetic)}"
        verdict = "success" if w.primary_success else "no success"
        compare = "≥" if w.primary_prob_success >= d.probability else "<"
        items.append(
            f"Trial {w.trial}: {w.n_control} control ({w.dropped_control} dropped out), mean change "
            f"{fmt(w.mean_change_control)}; {w.n_treatment} treatment ({w.dropped_treatment} dropped out), mean change "
            f"{fmt(w.mean_change_treatment)}{syn}. Posterior effect {fmt(w.primary_effect_mean)} "
            f"[{fmt(w.primary_ci_low)}, {fmt(w.primary_ci_high)}], ESS borrowed {fmt(w.primary_ess, 1)}; "
            f"P(effect > {d.threshold:g}) = {fmt(w.primary_prob_success)} {compare} {d.probability:g} → **{verdict}** "
            f"(frequentist reference: {'success' if w.reference_success else 'no success'}).")
    section.add(Bullets(tuple(items)))
    frame = walk[["trial", "mean_change_control", "mean_change_treatment", "mean_change_synthetic", "primary_effect_mean",
                  "primary_ci_low", "primary_ci_high", "primary_prob_success", "primary_ess", "primary_success", "reference_success"]]
    section.add(table("example_trials", "Example trials (change from baseline, endpoint units).",
                      frame.assign(primary_success=frame.primary_success.map({True: "success", False: "no success"}),
                                   reference_success=frame.reference_success.map({True: "success", False: "no success"})),
                      digits={"primary_ess": 1}, data=walk))
    section.add(figure("example_trials", "Observed endpoint of each patient by arm (thin) and arm means (thick).",
                       example_trajectories(ex, endpoint=str(ex.attrs.get("endpoint")))))
    return section


def scenario_section(data: RunData) -> Section:
    spec, sc = data.spec, data.scenarios
    section = Section("scenarios", "3. Scenario grid and its adequacy")
    section.add(table("scenarios", "Scenarios: true effect is the population effect the simulator implies at week "
                      f"{spec.endpoint.visit_week:g}; drift is added to synthetic controls only.", sc,
                      digits={"effect_scale": 2, "true_effect": 4, "drift_outcome_offset": 3, "drift_age_shift_years": 1}, label_columns=2))
    sf = data.baseline.attrs.get("screen_failure_rate")
    section.add(Paragraph("Nuisance parameters, the same in every scenario:"))
    section.add(Bullets((
        f"enrolment: cohort sampling with inclusion criteria (screen-failure rate {fmt(100 * float(sf), 1) if sf is not None else '–'} %);",
        f"dropout: {spec.dropout.mechanism}, {spec.dropout.rate:.0%} by the last visit;",
        f"control-arm outcome: disease progression {spec.progression.rate_per_year:g} ± {spec.progression.rate_sd_per_year:g} severity points/year "
        f"through physiology; placebo shifts {dict(spec.placebo.shifts) or 'none'};",
        f"measurement error of the {spec.endpoint.device} (section 4.2).",
    )))
    nulls, alts = sc[sc.effect_scale == 0], sc[sc.effect_scale > 0]
    offsets = sc.drift_outcome_offset[sc.effect_scale == 0]
    checks = [
        ("null scenario (type I error)", len(nulls) > 0, f"{len(nulls)} null scenario(s)"),
        ("alternatives (power)", len(alts) > 0, "effect scales " + ", ".join(f"{v:g}" for v in alts.effect_scale)),
        ("effect smaller than expected", bool((alts.effect_scale < 1).any()), "an alternative with effect scale < 1 checks robustness of power"),
    ]
    if data.borrowing:
        checks.append(("drift of synthetic controls under the null", bool((offsets != 0).any()),
                       "drifts tested: " + ", ".join(f"{v:+g}" if v else "0" for v in sorted(set(offsets)))))
        checks.append(("drift in both directions", bool((offsets > 0).any() and (offsets < 0).any()), "favourable and unfavourable drift"))
    items = [f"{'covered' if ok else '**gap**'}: {what} — {detail}" for what, ok, detail in checks]
    section.add(Paragraph("Why the grid is adequate, item by item (gaps are stated, not hidden):"))
    section.add(Bullets(tuple(items)))
    if any(not ok for _, ok, _ in checks):
        section.add(Paragraph("The grid has gaps: conclusions hold only for the scenarios simulated; add scenarios "
                              "to close them (study YAML, scenarios).", "warning"))
    return section


def mc_section(data: RunData) -> Section:
    spec, r = data.spec, int(data.summary["replicates"])
    bound, target = spec.type1_budget, spec.design.target_power
    se_bound, se_target = math.sqrt(bound * (1 - bound) / r), math.sqrt(target * (1 - target) / r)
    needed = math.ceil(bound * (1 - bound) * (1.96 / 0.005) ** 2)
    rows = [
        ("replicates per scenario × design", str(r)),
        ("Monte Carlo SE of a rate p", "√(p(1 − p)/R)"),
        (f"MC SE at the type I bound {bound:g}", fmt(se_bound, 4)),
        (f"MC SE at the target power {target:g}", fmt(se_target, 4)),
        ("largest MC SE of any success rate in this run", fmt(float(np.nanmax(data.primary.power_mc_se)), 4)),
        (f"replicates for ±0.005 (95 %) at the bound {bound:g}", str(needed)),
    ]
    section = Section("replicates", "5. Replicates and Monte Carlo error")
    section.add(table("monte_carlo_error", "Monte Carlo error.", pd.DataFrame(rows, columns=["quantity", "value"]), label_columns=2))
    rec = data.summary["recommended_design"]
    if rec.get("found"):
        margin_p = (rec["power"] - target) / max(rec["power_mc_se"], 1e-12)
        margin_t = (bound - rec["max_type1_error"]) / se_bound
        text = (f"Recommended design {rec['design']}: power exceeds the target by {fmt(margin_p, 1)} MC SE and type I error "
                f"lies {fmt(margin_t, 1)} MC SE (at the bound) below the bound.")
        if min(margin_p, margin_t) < 2:
            section.add(Paragraph(text + " A margin under 2 MC SE is within simulation noise: re-run with more replicates "
                                  "(--replicates) before relying on it.", "warning"))
        else:
            section.add(Paragraph(text))
    section.add(Paragraph("Bias carries its own MC SE (SD of the estimates / √R) in tables/operating_characteristics.csv."))
    return section


def oc_section(data: RunData) -> Section:
    spec = data.spec
    section = Section("oc", "6. Operating characteristics per scenario and design")
    highlight = prepare.recommended_or_largest(data.tree, data.summary)
    section.add(figure("power_curves", "Success rate against concurrent sample size with 95 % MC bands (scenarios "
                       "without drift; drift below); dashed: target power (alternatives) or type I bound (nulls); "
                       "circled: the recommended design (or the largest).",
                       static.power(prepare.power_data(data.tree, scenario=None, design=highlight,
                                                       target_power=spec.design.target_power,
                                                       max_type1_error=spec.type1_budget))))
    p = data.primary
    keep = p.assign(n_total=p.n_total)[["scenario", "scenario_kind", "design", "n_control", "n_treatment", "n_synthetic", "n_total",
                                        "power", "power_mc_se", "type1_error", "bias", "rmse", "coverage", "mean_ess_borrowed"]]
    section.add(table("operating_characteristics_primary",
                      "Primary analysis (numbers as in summary.json). P(success) is power in alternatives and type I "
                      "error in nulls. Fixed design: expected sample size = n total; about "
                      f"{1 - spec.dropout.rate:.0%} complete the primary visit.",
                      keep.rename(columns={"power": "P(success)", "power_mc_se": "MC SE", "mean_ess_borrowed": "ESS borrowed"}),
                      digits={"bias": 4, "rmse": 4, "ESS borrowed": 1}, label_columns=3, data=keep))
    nulls = null_rows(data)
    section.add(Paragraph(f"**Type I error across drift** (bound {spec.type1_budget:g}):"))
    if len(nulls):
        section.add(figure("type1_across_drift", "Type I error of the primary analysis against drift of the synthetic "
                           "controls, 95 % MC bars; at most 8 designs with synthetic controls (the recommended one "
                           "included; every design is in the table below).",
                           static.type1_vs_drift(prepare.type1_drift_data(data.tree, designs=None, highlight=highlight,
                                                                          max_type1_error=spec.type1_budget))))
        shown = nulls.assign(within_bound=np.where(nulls.type1_error <= spec.type1_budget, "yes", "NO"))
        section.add(table("type1_error_across_drift", "Type I error per null scenario, drift and design.",
                          shown, digits={"drift_outcome_offset": 3, "drift_age_shift_years": 1}, label_columns=3))
        if not (nulls.drift_outcome_offset != 0).any():
            section.add(Paragraph("No null scenario has drift between synthetic and concurrent controls: type I error "
                                  "across drift is not assessed by this run.", "warning"))
    else:
        section.add(Paragraph("No null scenario in the grid: type I error is not assessed.", "warning"))
    rows = data.oc[data.oc.analysis == "primary"].set_index(["scenario", "design"]).loc[list(zip(p.scenario, p.design, strict=True))].reset_index()
    section.add(figure("bias_coverage", "Bias (±1.96 MC SE) and coverage of the 95 % interval, primary analysis.", bias_coverage(rows)))
    section.add(*crosscheck_blocks(data))
    return section


def recommendation_section(data: RunData) -> Section:
    rec = data.summary["recommended_design"]
    section = Section("recommendation", "8. Recommended design and patients saved")
    crit = rec.get("criteria", {})
    section.add(Heading("8.1 The recommendation"))
    section.add(Paragraph(f"Rule: {crit.get('rule', '')} (z = {crit.get('confidence_z', '')}; one type I budget "
                          f"{crit.get('type1_budget', crit.get('max_type1_error'))} for every design and the comparator)."))
    conv = rec.get("conventional_n_total")
    conv_text = (f"The conventional 1:1 trial (no borrowing, no prognostic score) needs {conv} patients "
                 f"({rec.get('conventional_n_per_arm')} per arm; {str(rec.get('conventional_source')).replace('_', ' ')} sample size of the t test at "
                 f"one-sided α {crit.get('type1_budget')}, power {crit.get('target_power')}, effect "
                 f"{fmt(rec.get('conventional_delta') or float('nan'), 4)} and simulated SD of change "
                 f"{fmt(rec.get('conventional_sd') or float('nan'), 4)}; the grid's smallest qualifying conventional design: "
                 f"{rec.get('conventional_grid_n_total') or 'none'}).") if conv is not None else ""
    if not rec.get("found"):
        section.add(Paragraph(f"No design meets the criteria: {rec.get('reason')}.", "warning"))
        if conv_text:
            section.add(Paragraph(conv_text))
    else:
        smallest = (f"**{rec['design']}**: {rec['n_control']} control + {rec['n_treatment']} treatment concurrent patients"
                    + (f" + {rec['n_synthetic']} synthetic controls" if rec.get("n_synthetic") else "")
                    + f" ({rec['n_total']} concurrent), analysed by {rec.get('method')}; minimum power {fmt(rec['power'])} "
                    f"(MC SE {fmt(rec['power_mc_se'])}, lower bound {fmt(rec['power_lower_bound'])}); maximum type I error "
                    f"{fmt(rec['max_type1_error'])} (upper bound {fmt(rec['type1_upper_bound'])}) over the null scenarios"
                    + (" and the drift sweep" if rec.get("n_synthetic") else ""))
        if rec.get("saves_patients"):
            section.add(Paragraph(f"Recommended: {smallest}."))
            section.add(Paragraph(conv_text + f" **{rec['patients_saved']} patients saved.**"))
        else:
            section.add(Paragraph(f"**No candidate design saves patients.** The smallest design that clears the rule is "
                                  f"{smallest}: {rec.get('excess_patients', 0)} patients more than the conventional trial. "
                                  "Recommended: the conventional trial.", "warning"))
            section.add(Paragraph(conv_text))
        u = rec.get("uncertainty") or {}
        if u.get("resamples"):
            text = (f"Uncertainty ({u['resamples']} bootstrap resamples of the replicates, same patients for every design): "
                    f"this design is chosen in {u['chosen_fraction']:.0%} of resamples; no design qualifies in "
                    f"{u['none_qualifies_fraction']:.0%}.")
            if "patients_saved_mean" in u:
                text += (f" Patients saved: {u['patients_saved_mean']:.1f} ± {u['patients_saved_sd']:.1f} (5–95 %: "
                         f"{u['patients_saved_p05']:.0f}–{u['patients_saved_p95']:.0f}); a saving in "
                         f"{u['saves_patients_fraction']:.0%} of resamples.")
            section.add(Paragraph(text, "warning" if u.get("choice_uncertain") else "text"))
    unclear = rec.get("unclear_designs") or []
    if unclear:
        rows = pd.DataFrame(unclear)
        keep = [c for c in ("method", "n_per_arm_control", "n_per_arm_treatment", "n_synthetic", "total_n", "min_power",
                            "max_type1_error", "replicates_to_decide_power") if c in rows]
        section.add(table("unclear_designs", "Smaller designs Monte Carlo noise leaves undecided (power or type I "
                          "bounds straddle the target); the replicates that would decide power are given.", rows[keep]))
    for block in lever_blocks(data):
        section.add(block)
    return section


def repro_section(data: RunData) -> Section:
    attrs = data.attrs
    section = Section("repro", "9. Reproducibility")
    hashes = {k: v for k, v in attrs.items() if k.startswith("simulator") or "sha256" in k or "checkpoint" in k or "library" in k}
    rows = [("seed", str(data.summary["seed"])), ("config sha256", attrs.get("config_sha256", "")),
            ("study file", attrs.get("study_source", "")), ("re-run", attrs.get("command", "")),
            ("re-render", "trialsim report <results dir> --format html|pdf"),
            *((k, v) for k, v in hashes.items() if k != "config_sha256")]
    section.add(table("provenance", "Provenance (results.nc attributes). The re-run command reproduces every number of "
                      "this report exactly (same seed, same streams; workers do not change results).",
                      pd.DataFrame(rows, columns=["item", "value"]), label_columns=2))
    versions = data.versions()
    section.add(table("package_versions", "Software versions.", pd.DataFrame({"package": list(versions), "version": list(versions.values())}), label_columns=2))
    section.add(Verbatim("Study YAML (verbatim)", attrs.get("study_yaml", "")))
    section.add(Verbatim("Cohort YAML (verbatim)", attrs.get("cohort_yaml", "")))
    return section


def _preamble(data: RunData) -> list[Paragraph | Table]:
    s, rec = data.summary, data.summary["recommended_design"]
    blocks: list[Paragraph | Table] = [Paragraph(
        f"Generated by trialsim from study {data.attrs.get('study_source', s['study'])}: seed {s['seed']}, config sha256 "
        f"{s['config_sha256'][:16]}…, {s['replicates']} replicates per scenario and design, simulator **{data.simulator}**.")]
    blocks.append(Paragraph(str(rec.get("statement", "")).capitalize() + ".", "note"))
    if data.simulator == "reference":
        blocks.append(Paragraph(REFERENCE_NOTICE, "warning"))
    elif data.crosscheck is not None:
        ref = data.summary.get("simulator_crosscheck", {}).get("recommended_design", {})
        blocks.append(Paragraph(f"Cross-check: the same study on the closed-form **reference** simulator recommends "
                                f"{ref.get('design') or 'no design in the grid'} (section 6.1, side by side)."))
    return blocks


def build_report(tree: object, summary: dict[str, object]) -> Report:
    """The whole report from a results tree and its ``summary.json`` (figures rendered in memory)."""
    data = read_run(tree, summary)  # type: ignore[arg-type]
    sections = [design_section(data), walk_section(data), scenario_section(data), model_section(data),
                mc_section(data), oc_section(data), bayes_section(data), recommendation_section(data), repro_section(data)]
    return Report(f"Simulation report: {summary['study']}", list(_preamble(data)), sections)
