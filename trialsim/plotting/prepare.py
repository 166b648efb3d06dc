"""The data behind every results figure, as tidy frames: one preparation, two renderers.

Both the matplotlib figures of the report (:mod:`.static`) and the plotly figures of
the dashboard (:mod:`.interactive_results`) draw these frames, so they show the same
numbers. Everything is read from the results tree (fresh or reopened); what a
scenario or an analysis is comes from coordinates (``is_null``,
``drift_outcome_offset``, ``borrowing``, ``prognostic_adjustment``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from trialsim.errors import TrialsimError

#: most series drawn in one panel (more would hide the data under the legend)
MAX_SERIES = 8
REFERENCE_SERIES = "frequentist reference (no borrowing)"


def oc_frame(tree: xr.DataTree) -> pd.DataFrame:
    """The OC table as a tidy frame, coordinates included as columns."""
    frame = tree["oc"].to_dataset().to_dataframe().reset_index()
    for column in ("is_null", "prognostic_adjustment"):
        if column in frame:
            frame[column] = frame[column].astype(bool)
    return frame


def _choose(name: str, value: str | None, allowed: Sequence[str]) -> str:
    if value is None:
        return allowed[0]
    if value not in allowed:
        raise TrialsimError(f"{name}: {value!r} not in these results (allowed: {', '.join(map(str, allowed))})")
    return value


def evenly(items: Sequence[object], k: int) -> list[object]:
    """At most ``k`` items, evenly spaced, first and last kept."""
    if len(items) <= k:
        return list(items)
    index = np.unique(np.round(np.linspace(0, len(items) - 1, k)).astype(int))
    return [items[i] for i in index]


def recommended_or_largest(tree: xr.DataTree, summary: dict[str, object]) -> str:
    rec = summary.get("recommended_design") or {}
    if isinstance(rec, dict) and rec.get("found"):
        return str(rec["design"])
    return str(tree["oc"].design.values[-1])


# --------------------------------------------------------------------------- power


@dataclass(frozen=True)
class PowerData:
    """Success rate against concurrent sample size: one panel per scenario, ≤ 8 series each."""

    frame: pd.DataFrame  # scenario, is_null, series, analysis, n_synthetic, design, n_total, power, power_mc_se
    bounds: dict[str, float]  # scenario -> reference line (type I bound or target power)
    highlight: str | None  # design marked on the curves


def power_data(tree: xr.DataTree, *, scenario: str | Sequence[str] | None, design: str | None,
               target_power: float, max_type1_error: float) -> PowerData:
    oc = oc_frame(tree)
    scenarios = list(dict.fromkeys(oc.scenario))
    if scenario is None:
        plain = oc[(oc.drift_outcome_offset == 0) & (oc.drift_age_shift_years == 0)]
        chosen = list(dict.fromkeys(plain.scenario)) or scenarios
    else:
        chosen = [_choose("scenario", s, scenarios) for s in ([scenario] if isinstance(scenario, str) else scenario)]
    if design is not None:
        _choose("design", design, list(oc.design.unique()))
    sub = oc[oc.scenario.isin(chosen) & ~((oc.analysis == "reference") & (oc.n_synthetic > 0))].copy()
    primary_m = sorted(sub[sub.analysis == "primary"].n_synthetic.unique())
    kept = evenly(primary_m, MAX_SERIES - 1)
    sub = sub[(sub.analysis == "reference") | sub.n_synthetic.isin(kept)]
    sub["series"] = [REFERENCE_SERIES if a == "reference" else (
        f"primary + {int(m)} synthetic controls" if m else "primary analysis, no synthetic controls")
        for a, m in zip(sub.analysis, sub.n_synthetic, strict=True)]
    sub["scenario"] = pd.Categorical(sub.scenario, categories=chosen, ordered=True)
    sub = sub.sort_values(["scenario", "analysis", "n_synthetic", "n_total"])
    sub["scenario"] = sub.scenario.astype(str)
    nulls = dict(zip(sub.scenario, sub.is_null, strict=False))
    bounds = {s: max_type1_error if nulls[s] else target_power for s in chosen}
    columns = ["scenario", "is_null", "series", "analysis", "n_synthetic", "design", "n_total", "power", "power_mc_se"]
    return PowerData(sub[columns].reset_index(drop=True), bounds, design)


# --------------------------------------------------------------------------- drift


def drift_frame(tree: xr.DataTree) -> pd.DataFrame:
    """Type I error and power against drift of the synthetic controls, per design (primary analysis).

    From ``/drift`` (a dense sweep, dims ``design`` × ``drift_m_s``) when present; else
    from the scenarios: null scenarios give type I error, scenarios with the full
    effect (``effect_scale`` 1) give power, at each ``drift_outcome_offset``.
    """
    columns = ["design", "n_synthetic", "drift", "type1_error", "type1_mc_se", "power", "power_mc_se"]
    if "drift" in tree.children:
        ds = tree["drift"].to_dataset()
        dim = "drift_m_s" if "drift_m_s" in ds.dims else next(d for d in ds.dims if d != "design")
        names: dict[str, str] = {"type1": "type1_error", "type1_mcse": "type1_mc_se", "power": "power", "power_mcse": "power_mc_se"}
        frame = ds[[v for v in names if v in ds]].to_dataframe().reset_index().rename(columns={**names, str(dim): "drift"})
        n_syn = tree["oc"].to_dataset().n_synthetic
        n_syn = n_syn.isel(analysis=0, scenario=0) if "scenario" in n_syn.dims else n_syn
        lookup = dict(zip(map(str, tree["oc"].design.values), np.asarray(n_syn.values).astype(int), strict=True))
        frame["n_synthetic"] = frame.design.astype(str).map(lookup)
        for c in columns:
            if c not in frame:
                frame[c] = np.nan
        return frame[columns]
    oc = oc_frame(tree)
    oc = oc[(oc.analysis == "primary") & (oc.drift_age_shift_years == 0)]
    nulls = oc[oc.is_null].groupby(["design", "drift_outcome_offset"], sort=False).agg(
        n_synthetic=("n_synthetic", "first"), type1_error=("power", "mean"), type1_mc_se=("power_mc_se", "max"))
    alts = oc[oc.effect_scale == 1.0].groupby(["design", "drift_outcome_offset"], sort=False).agg(
        n_synthetic_alt=("n_synthetic", "first"), power=("power", "mean"), power_mc_se=("power_mc_se", "max"))
    frame = nulls.join(alts, how="outer").reset_index().rename(columns={"drift_outcome_offset": "drift"})
    frame["n_synthetic"] = frame.n_synthetic.fillna(frame.n_synthetic_alt).astype(int)
    return frame.sort_values(["n_synthetic", "design", "drift"])[columns].reset_index(drop=True)


@dataclass(frozen=True)
class DriftData:
    frame: pd.DataFrame  # design, drift, type1_error, type1_mc_se
    bound: float


def type1_drift_data(tree: xr.DataTree, *, designs: Sequence[str] | None, highlight: str,
                     max_type1_error: float) -> DriftData:
    """≤ 8 designs with synthetic controls (the recommended one always among them)."""
    frame = drift_frame(tree).dropna(subset=["type1_error"])
    available = list(dict.fromkeys(frame.design))
    if designs is None:
        borrowing = list(dict.fromkeys(frame[frame.n_synthetic > 0].design)) or available
        chosen = [str(d) for d in evenly(borrowing, MAX_SERIES)]
        if highlight in available and highlight not in chosen:
            chosen = [*chosen[: MAX_SERIES - 1], highlight]
    else:
        chosen = [_choose("design", d, available) for d in designs]
        if len(chosen) > MAX_SERIES:
            raise TrialsimError(f"designs: {len(chosen)} given, at most {MAX_SERIES} per panel; pass fewer")
    return DriftData(frame[frame.design.isin(chosen)].reset_index(drop=True), max_type1_error)


# --------------------------------------------------------------------------- posteriors and trajectories


@dataclass(frozen=True)
class PosteriorData:
    frame: pd.DataFrame  # scenario, replicate, effect_mean, ci_low, ci_high, success (all scenarios)
    scenario: str
    design: str
    true_effects: dict[str, float]
    threshold: float


def posterior_data(tree: xr.DataTree, *, design: str, scenario: str | None, analysis: str,
                   threshold: float) -> PosteriorData:
    rep = tree["replicates"].to_dataset()
    design = _choose("design", design, [str(d) for d in rep.design.values])
    names = [str(s) for s in rep.scenario.values]
    default = next((s for s, null in zip(names, rep.is_null.values, strict=True) if not null), names[0]) \
        if "is_null" in rep.coords else names[0]
    scenario = _choose("scenario", scenario or default, names)
    analysis = _choose("analysis", analysis, [str(a) for a in rep.analysis.values])
    sel = rep.sel(design=design, analysis=analysis)[["effect_mean", "ci_low", "ci_high", "success"]]
    frame = sel.to_dataframe().reset_index()[["scenario", "replicate", "effect_mean", "ci_low", "ci_high", "success"]]
    frame["success"] = frame.success.astype(bool)
    truth = dict(zip(names, map(float, rep.true_effect.values), strict=True))
    return PosteriorData(frame, scenario, design, truth, threshold)


@dataclass(frozen=True)
class TrajectoryData:
    patients: pd.DataFrame  # arm, patient, week, value
    means: pd.DataFrame  # arm, week, value
    endpoint: str
    title: str
    change_from_baseline: bool


def trajectory_data(examples: xr.Dataset, *, trial: int, change_from_baseline: bool) -> TrajectoryData:
    n = examples.sizes["trial"]
    if not 0 <= trial < n:
        raise TrialsimError(f"trial: {trial} out of range (allowed: 0..{n - 1})")
    y = examples.outcome.isel(trial=trial).values
    if change_from_baseline:
        y = y - y[:, :1]
    arm = examples.arm.isel(trial=trial).values
    weeks = examples.visit.values
    rows: list[dict[str, object]] = []
    means: list[dict[str, object]] = []
    for a, label in ((0, "control"), (1, "treatment")):
        block = y[arm == a]
        for p, values in enumerate(block):
            rows.extend({"arm": label, "patient": p, "week": w, "value": v} for w, v in zip(weeks, values, strict=True))
        means.extend({"arm": label, "week": w, "value": v, "n": len(block)}
                     for w, v in zip(weeks, np.nanmean(block, axis=0), strict=True))
    title = (f"simulated trial {trial}: {examples.attrs.get('design')} under "
             f"'{examples.attrs.get('scenario')}' (dropouts are gaps)")
    return TrajectoryData(pd.DataFrame(rows), pd.DataFrame(means), str(examples.attrs.get("endpoint", "endpoint")),
                          title, change_from_baseline)


def axis_range(low: np.ndarray | pd.Series, high: np.ndarray | pd.Series, *, lines: Sequence[float] = (),
               clip: tuple[float, float] = (0.0, 1.0)) -> tuple[float, float]:
    """A y range scaled to the data and reference lines (not 0–1), with a small margin."""
    values = np.r_[np.asarray(low, float), np.asarray(high, float), np.asarray(lines, float)]
    values = values[np.isfinite(values)]
    if not len(values):
        return clip
    lo, hi = float(values.min()), float(values.max())
    pad = max(0.05 * (hi - lo), 0.005)
    return max(clip[0], lo - pad), min(clip[1], hi + pad)
