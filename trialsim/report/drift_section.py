"""Report blocks for the drift curve, the prior's ESS and the levers (PROCOVA, variance).

Numbers come from ``summary.json`` (``drift``, ``procova``, ``variance``) and the
``/drift`` group of the results tree; nothing is simulated here.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from trialsim.analysis.prior_ess import normal_mixture_ess, synthetic_control_prior
from trialsim.plotting.figures import drift_curve
from trialsim.report.blocks import Block, Heading, Paragraph, figure, fmt, table
from trialsim.report.context import RunData

__all__ = ["drift_blocks", "lever_blocks", "prior_ess_blocks"]


def _side(value: float | None, half: float) -> str:
    return f"beyond ±{half:g}" if value is None else f"{value:+.3f}"


def drift_blocks(data: RunData) -> list[Block]:
    """Type I error and power against drift (figures with MC bands), tipping points, the range's source."""
    d = data.summary.get("drift")
    if not d or data.drift is None:
        return [Paragraph("The study does not borrow from synthetic controls: no drift curve.")]
    rec = data.summary["recommended_design"]
    highlight = rec.get("design") if rec.get("found") and rec.get("n_synthetic") else None
    half, budget = d["half_width"], d["type1_budget"]
    validated = d.get("validated")
    blocks: list[Block] = [Paragraph(
        f"Every borrowing design is traced over {len(d['values'])} drifts of the synthetic controls from "
        f"{-half:+g} to {half:+g} ({d['dimension']}; {d['range_source']}: clinically important difference "
        f"{d['clinically_important_difference']:g}, SD of change {fmt(d.get('sd_change') or float('nan'), 3)}), on the same "
        f"simulated patients ({d['replicates']} replicates per design; null scenario {d['null_scenario']}, alternative "
        f"{d['alternative_scenario']}). The design search holds type I error within the budget {budget:g} over this whole range.")]
    if validated:
        blocks.append(Paragraph(
            f"Validated range claimed by the study: {validated['low']:+g} to {validated['high']:+g} (source: "
            f"{validated['source']}). It is shaded in the figures; the search still uses the full range.", "note"))
    else:
        blocks.append(Paragraph("No validated drift range is claimed (none is cited in the study YAML).", "note"))
    vr = (validated["low"], validated["high"]) if validated else None
    if "type1" in data.drift:
        blocks.append(figure("type1_vs_drift", "Type I error against drift, 95 % MC bands; dotted: budget, dashed: "
                             "2 × budget" + (f"; bold: recommended {highlight}" if highlight else "") + ".",
                             drift_curve(data.drift, variable="type1", level=budget, extra_level=2 * budget,
                                         highlight=highlight, validated=vr)))
    if "power" in data.drift:
        blocks.append(figure("power_vs_drift", "Power against drift, 95 % MC bands; dotted: target power.",
                             drift_curve(data.drift, variable="power", level=d["target_power"], highlight=highlight,
                                         validated=vr)))
    rows = []
    for design, tip in d["tipping_points"].items():
        curve = d["curves"][design]
        row: dict[str, Any] = {"design": design}
        if "type1_above_alpha" in tip:
            m = curve["max_type1"]
            row.update({"max type I": m["value"], "MC SE": m["mcse"], "at drift": m["at"],
                        "type I > budget below": _side(tip["type1_above_alpha"]["negative"], half),
                        "type I > budget above": _side(tip["type1_above_alpha"]["positive"], half),
                        "type I > 2×budget below": _side(tip["type1_above_2alpha"]["negative"], half),
                        "type I > 2×budget above": _side(tip["type1_above_2alpha"]["positive"], half)})
        if "power_below_target" in tip:
            row.update({"power < target below": _side(tip["power_below_target"]["negative"], half),
                        "power < target above": _side(tip["power_below_target"]["positive"], half)})
        rows.append(row)
    if rows:
        blocks.append(table("drift_tipping_points", "Tipping points: the drift nearest 0 on each side where type I error "
                            f"crosses the budget {budget:g} or 2 × budget, or power falls below the target "
                            "(linear interpolation between swept drifts; 0 means already at no drift).",
                            pd.DataFrame(rows), digits={"max type I": 3, "MC SE": 3, "at drift": 3}))
    return blocks


def prior_ess_blocks(data: RunData) -> list[Block]:
    """Prior ESS of the synthetic-control prior (moment, Morita, ELIR as RBesT defines them)."""
    b = data.spec.analysis.borrowing
    sizes = sorted({int(n) for n in data.primary.n_synthetic if n > 0})
    if b.method != "robust_mixture" or not sizes:
        return []
    sd = (data.summary.get("variance") or {}).get("sd_change")
    vague = None if b.vague_sd is None else (b.vague_sd / sd if sd else None)
    if b.vague_sd is not None and vague is None:
        return []
    rows = []
    for m in sizes:
        w, mu, s = synthetic_control_prior(n_synthetic=m, robust_weight=b.robust_weight,
                                           tau_sigma_fraction=b.tau_sigma_fraction, vague_sd_in_sigma=vague)
        rows.append({"synthetic controls": m, **{k: normal_mixture_ess(w, mu, s, sigma=1.0, method=k)
                                                  for k in ("moment", "morita", "elir")}})
    return [table("prior_ess", "Prior effective sample size of the prior the synthetic controls imply for the concurrent "
                  "control mean (RBesT definitions: moment, Morita at the mode, ELIR); it never exceeds the synthetic "
                  "controls, and the per-trial borrowed ESS is capped at those in the likelihood.", pd.DataFrame(rows),
                  digits={"moment": 1, "morita": 1, "elir": 1})]


def lever_blocks(data: RunData) -> list[Block]:
    """What PROCOVA contributes, and the variance it works on, against published figures."""
    blocks: list[Block] = []
    p = data.summary.get("procova") or {}
    if p:
        blocks.append(Heading("8.2 What PROCOVA contributes"))
        text = p.get("statement", "")
        if "closed_form_power_with" in p:
            text += (f" Closed form at the conventional size ({p['closed_form_n_per_arm']} per arm): power "
                     f"{fmt(p['closed_form_power_without'])} without, {fmt(p['closed_form_power_with'])} with the score.")
        if "simulated_power_gain_mean" in p:
            text += (f" Simulated (primary vs unadjusted reference, designs without synthetic controls): mean power "
                     f"difference {p['simulated_power_gain_mean']:+.3f}.")
        blocks.append(Paragraph(text, "warning" if p.get("does_little") and p.get("used") else "text"))
    v = data.summary.get("variance") or {}
    if "sd_change" in v:
        blocks.append(Heading("8.3 Variance of the endpoint against published figures"))
        text = (f"Simulated SD of change at the primary visit (control patients, pilot of {int(v['n_completers'])} "
                f"completers): {fmt(v['sd_change'], 3)}; without measurement error {fmt(v['sd_true_change'], 3)}; "
                f"measurement part {fmt(v['sd_measurement'], 3)}.")
        if "published_low" in v:
            where = "within" if v["within_published_range"] else "OUTSIDE"
            text += (f" Published SD of a test–retest difference: {v['published_low']:g}–{v['published_high']:g} "
                     f"({v['published_note']}); the simulated SD lies {where} that range. Sources: "
                     + "; ".join(v["published_sources"]) + ".")
        blocks.append(Paragraph(text, "text" if v.get("within_published_range", True) else "warning"))
    return blocks
