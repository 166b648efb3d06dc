"""Section 6.1: the simulator cross-check — this run's operating characteristics beside the ``reference`` simulator's.

Issue #15 keeps the closed-form ``reference`` simulator as a cross-check of the
physics-trained generator: the run stage simulated the same study (seed, scenarios,
designs, replicates, analysis) on both and stored both in ``/simulator_crosscheck``.
This module only lays those numbers out side by side; it computes nothing but their
differences. The tables (:func:`side_by_side`, :func:`recommendations`) and the verdict
(:func:`agreement`) take the ``/simulator_crosscheck`` dataset itself, so the dashboard
shows the same frames as the report.
"""

from __future__ import annotations

import math

import pandas as pd
import xarray as xr

from trialsim.report.blocks import Block, Heading, Paragraph, fmt, table
from trialsim.report.context import RunData

HEADING = "6.1 Simulator cross-check"


def side_by_side(ds: xr.Dataset) -> pd.DataFrame:
    """One row per scenario × design: P(success), its MC SE, bias and the true effect of each simulator.

    ``ds`` is the ``/simulator_crosscheck`` group; columns are labelled by simulator
    (``P(success), generator``), ``difference`` is primary − reference and ``beyond MC noise``
    says whether ``|difference| > 1.96 × hypot(MC SEs)``.

    Examples
    --------
    >>> side_by_side(results.tree["simulator_crosscheck"].to_dataset())  # doctest: +SKIP
    """
    own, ref = (str(s) for s in ds.simulator.values)
    rows = []
    for scenario in ds.scenario.values:
        for design in ds.design.values:
            at = ds.sel(scenario=scenario, design=design)
            p = [float(at.power.sel(simulator=s)) for s in (own, ref)]
            se = [float(at.power_mc_se.sel(simulator=s)) for s in (own, ref)]
            diff = p[0] - p[1]
            noise = math.hypot(se[0], se[1])
            rows.append({
                "scenario": str(scenario), "kind": "null" if bool(at.is_null) else "alternative", "design": str(design),
                "n_total": int(at.n_control) + int(at.n_treatment), "n_synthetic": int(at.n_synthetic),
                f"P(success), {own}": p[0], f"P(success), {ref}": p[1], "difference": diff,
                f"MC SE, {own}": se[0], f"MC SE, {ref}": se[1],
                "beyond MC noise": "yes" if abs(diff) > 1.96 * noise else "no",
                f"bias, {own}": float(at.bias.sel(simulator=own)), f"bias, {ref}": float(at.bias.sel(simulator=ref)),
                f"true effect, {own}": float(at.true_effect.sel(simulator=own)),
                f"true effect, {ref}": float(at.true_effect.sel(simulator=ref)),
            })
    return pd.DataFrame(rows)


def recommendations(ds: xr.Dataset) -> pd.DataFrame:
    """One row per simulator of the ``/simulator_crosscheck`` group: its recommended design, power,
    type I error and the conventional trial's size."""
    rows = []
    for s in ds.simulator.values:
        at = ds.sel(simulator=s)
        design = str(at.recommended_design.values)
        rows.append({
            "simulator": str(s), "role": str(at.role.values), "recommended design": design or "none qualifies",
            "n total": fmt(float(at.recommended_n_total), 0), "min power": float(at.recommended_power),
            "max type I error": float(at.recommended_max_type1_error),
            "patients saved": fmt(float(at.recommended_patients_saved), 0),
            "conventional n total": fmt(float(at.conventional_n_total), 0), "SD of change": float(at.sd_change),
        })
    return pd.DataFrame(rows)


def crosscheck_blocks(data: RunData) -> list[Block]:
    """The cross-check subsection: what ran, the side-by-side table, both recommendations."""
    blocks: list[Block] = [Heading(HEADING)]
    ds = data.crosscheck
    if ds is None:
        if data.simulator == "reference":
            blocks.append(Paragraph("This run used the **reference** simulator, the cross-check simulator itself: "
                                    "there is no second simulator to compare."))
        else:
            blocks.append(Paragraph(f"This run on the **{data.simulator}** simulator was made without the reference "
                                    "cross-check (run with it to see both simulators side by side).", "warning"))
        return blocks
    own, ref = (str(s) for s in ds.simulator.values)
    sha = ds.attrs.get("primary_checkpoint_sha256") or data.attrs.get("simulator_checkpoint_sha256", "")
    blocks.append(Paragraph(
        f"The same study — seed {ds.attrs.get('seed')}, scenarios, designs, {ds.attrs.get('replicates')} replicates, "
        f"analysis and decision rule — was also simulated on the closed-form **{ref}** simulator (statistical model "
        f"calibrated to published norms; not physics). Only the gait simulator differs. Every other number in this "
        f"report is the **{own}**'s (checkpoint sha256 {sha}). The simulators' true effects differ: each scenario's "
        "effect is what its simulator implies, so power is compared at each simulator's own effect."))
    frame = side_by_side(ds)
    digits = {c: 4 for c in frame.columns if c.startswith(("bias", "true effect"))}
    blocks.append(table("simulator_crosscheck", f"Primary analysis on the {own} (this run) and on the {ref} simulator "
                        "(cross-check), per scenario and design. P(success) is power in alternatives and type I error "
                        "in nulls; difference = " + f"{own} − {ref}; beyond MC noise: |difference| > 1.96 × the two MC SEs "
                        "combined as if independent.", frame, digits=digits, label_columns=3))
    recs = recommendations(ds)
    blocks.append(table("simulator_crosscheck_recommendation", "Recommended design by simulator (same rule, same "
                        "grid). SD of change: control-arm SD of the change at the primary visit.", recs,
                        digits={"SD of change": 4}, label_columns=3))
    text, consistent = agreement(frame, recs)
    blocks.append(Paragraph(text, "text" if consistent else "warning"))
    return blocks


def agreement(frame: pd.DataFrame, recs: pd.DataFrame) -> tuple[str, bool]:
    """One sentence on whether the simulators agree, and whether they do (same recommendation, no
    success rate beyond Monte Carlo noise), from :func:`side_by_side` and :func:`recommendations`."""
    own = str(recs["simulator"].iloc[0])
    chosen = dict(zip(recs["simulator"], recs["recommended design"], strict=True))
    same = len(set(chosen.values())) == 1
    beyond = int((frame["beyond MC noise"] == "yes").sum())
    agree = (f"Both simulators recommend {chosen[own]}" if same and chosen[own] != "none qualifies" else
             "Neither simulator finds a qualifying design in the grid" if same else
             "The simulators recommend different designs (" + "; ".join(f"{k}: {v}" for k, v in chosen.items()) + ")")
    return (f"{agree}; {beyond} of {len(frame)} scenario × design success rates differ beyond Monte Carlo noise.",
            same and beyond == 0)
