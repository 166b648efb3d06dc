"""Section 7: Bayesian items (FDA draft guidance on Bayesian methods, Jan 2026; FDA CID 2020).

Prior construction, design prior vs analysis prior, effective sample size borrowed,
prior sensitivity (primary analysis against the frequentist reference on the same
replicates), the tipping point in drift, the success criterion and convergence.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from trialsim.analysis.borrowing import borrowing_label
from trialsim.plotting.figures import ess_borrowed
from trialsim.plotting.prepare import MAX_SERIES, evenly
from trialsim.report.blocks import Bullets, Heading, Paragraph, Section, fmt, table
from trialsim.report.context import RunData, primary_vs_reference, tipping_points
from trialsim.report.convergence import convergence_blocks
from trialsim.report.drift_section import drift_blocks, prior_ess_blocks

BORROWING_TEXT = {
    "none": "no borrowing: synthetic controls, if simulated, are ignored by the primary analysis",
    "full": "full pooling: synthetic controls are analysed as concurrent controls",
    "commensurate": "commensurate prior (Hobbs 2011): the synthetic-control mean shrinks toward the concurrent control "
                    "mean with commensurability SD {commensurate_sd:g}",
    "robust_mixture": "robust MAP prior on the drift (Neuenschwander 2010, Schmidli 2014, as RBesT builds it): {label}",
}


def _ess_frame(data: RunData) -> pd.DataFrame:
    rep = data.replicates.sel(analysis="primary")
    rows: list[dict[str, object]] = []
    for design in rep.design.values:
        n_syn = int(rep.n_synthetic.sel(design=design))
        if n_syn == 0:
            continue
        for scenario in rep.scenario.values:
            values = rep.ess_borrowed.sel(design=design, scenario=scenario).values
            rows.extend({"scenario": str(scenario), "design": str(design), "n_synthetic": n_syn, "ess": float(v)}
                        for v in values[np.isfinite(values)])
    return pd.DataFrame(rows)


def bayes_section(data: RunData) -> Section:
    """Section 7 of the report."""
    spec, a = data.spec, data.spec.analysis
    b = a.borrowing
    section = Section("bayes", "7. Bayesian items")
    if a.method.startswith("frequentist"):
        section.add(Paragraph("The primary analysis is frequentist: no prior, no borrowing. The items below are "
                              "reported for completeness.", "note"))
    section.add(Heading("7.1 Prior construction"))
    section.add(Bullets((
        f"treatment effect: N(0, {a.effect_prior_sd:g}²) in endpoint units — centred on no effect, so the prior does "
        "not favour efficacy;",
        f"control mean, baseline slope{' and prognostic-score slope' if a.prognostic_adjustment else ''}: "
        f"N(0, {a.nuisance_prior_sd:g}²) (weakly informative);",
        f"residual SD: half-normal with scale {a.residual_sd_prior_scale:g};",
        "borrowing: " + BORROWING_TEXT[b.method].format(commensurate_sd=b.commensurate_sd, label=borrowing_label(b))
        + "; designs without synthetic controls use no borrowing.",
    )))
    section.add(Heading("7.2 Design prior and analysis prior"))
    effects = ", ".join(f"{r.scenario}: {fmt(r.true_effect, 4)}" for r in data.scenarios.itertuples())
    section.add(Paragraph(
        f"The design prior is the scenario grid: point masses at the true effects the simulator implies ({effects}); "
        "operating characteristics are reported per scenario, not averaged over a design prior (no assurance). The "
        "analysis prior is the one above; it is the same in every scenario."))
    section.add(Heading("7.3 Success criterion"))
    d = spec.decision
    section.add(Paragraph(
        f"Success if P(effect > {d.threshold:g} | data) ≥ {d.probability:g}; P(effect > {d.clinically_important_difference:g}) "
        "(clinically important difference) is recorded per replicate. The frequentist reference decides on one-sided "
        f"p < {d.alpha:g}."))
    section.add(Heading("7.4 Effective sample size borrowed"))
    ess = _ess_frame(data)
    if len(ess):
        from trialsim.report.blocks import figure

        summary = ess.groupby(["scenario", "design"], sort=False).ess.agg(["mean", "min", "max"]).reset_index()
        summary.insert(2, "n_synthetic", ess.groupby(["scenario", "design"], sort=False).n_synthetic.first().to_numpy())
        section.add(table("ess_borrowed", "Effective number of synthetic controls borrowed per replicate.", summary,
                          digits={"mean": 1, "min": 1, "max": 1}, label_columns=2))
        groups = list(dict.fromkeys(zip(ess.scenario, ess.design, strict=True)))
        first = [g for g in groups if g[0] == groups[0][0]]
        shown = groups if len(groups) <= MAX_SERIES else evenly(first, MAX_SERIES)
        keep = ess.set_index(["scenario", "design"]).index.isin(shown)
        note = "" if len(shown) == len(groups) else f" Scenario '{groups[0][0]}' only ({len(shown)} designs; all in the table)."
        section.add(figure("ess_borrowed", "ESS borrowed per replicate; dashed: synthetic controls available." + note,
                           ess_borrowed(ess[keep])))
        for block in prior_ess_blocks(data):
            section.add(block)
    else:
        section.add(Paragraph("No design borrows synthetic controls: ESS borrowed is 0 throughout."))
    section.add(Heading("7.5 Prior sensitivity: primary analysis against the frequentist reference"))
    comparison = primary_vs_reference(data)
    section.add(table("prior_sensitivity", "Success rate, coverage and RMSE of the primary (Bayesian) analysis and of the "
                      "frequentist reference on the same replicates; a large difference in a null scenario is the prior's "
                      "(or borrowing's) doing.", comparison, digits={"primary_rmse": 4, "reference_rmse": 4}, label_columns=3))
    section.add(Heading("7.6 Type I error and power against drift"))
    for block in drift_blocks(data):
        section.add(block)
    section.add(Heading("7.7 Tipping point in the drift scenarios of the grid"))
    tips = tipping_points(data)
    bound = spec.type1_budget
    if len(tips):
        shown = tips.assign(tipping_drift=[("beyond grid" if t is None or t != t else f"{t:+g}") for t in tips.tipping_drift])
        section.add(table("tipping_points", f"Smallest drift (synthetic controls' outcome offset, by size) at which type I "
                          f"error exceeds the bound {bound:g}; 'beyond grid' when the bound held at every drift tested.",
                          shown, digits={"max_type1_error": 3}, label_columns=2))
        if len(set(data.scenarios.drift_outcome_offset[data.scenarios.effect_scale == 0])) < 2:
            section.add(Paragraph("Only one drift value is simulated under the null: the tipping point cannot be located. "
                                  "Add null scenarios with drift.", "warning"))
    else:
        section.add(Paragraph("No null scenario: the tipping point is not assessed.", "warning"))
    section.add(Heading("7.8 Convergence diagnostics"))
    for block in convergence_blocks(data):
        section.add(block)
    return section
