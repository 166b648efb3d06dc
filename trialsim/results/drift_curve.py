"""The drift curve: type I error and power of every design against the synthetic controls' drift.

Built from :attr:`StudyRun.drift_prob` (P(success) per design × replicate × drift, on
the same simulated patients). Stored as the DataTree group ``/drift`` with dims
``(design, drift_<unit>)`` — ``drift_m_s`` for gait speed — and variables ``type1``,
``type1_mcse``, ``power``, ``power_mcse``; tipping points go to ``summary.json``.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import numpy as np
import xarray as xr

from trialsim.results.run import StudyRun

__all__ = ["budget", "drift_dataset", "drift_dim", "drift_summary", "sweep_pair", "tipping_point"]

def drift_dim(measure: str) -> str:
    """Name of the drift dimension, with the endpoint's unit: ``gait_speed_m_s`` → ``drift_m_s``."""
    units = {"gait_speed_m_s": "m_s", "step_length_m": "m", "stride_length_m": "m", "cadence_steps_min": "steps_min",
             "stride_time_s": "s", "stride_time_cv_pct": "pct", "stance_pct": "pct", "swing_pct": "pct",
             "double_support_pct": "pct", "peak_knee_flexion_swing_deg": "deg"}
    return f"drift_{units.get(measure, 'units')}"


def sweep_pair(run: StudyRun) -> tuple[str | None, str | None]:
    """(null scenario, alternative scenario) the curves are computed from."""
    swept = [s for s in run.scenarios if s.name in run.drift_prob]
    null = next((s.name for s in swept if s.is_null), None)
    alt = next((s.name for s in swept if s.effect_scale == 1.0), None)
    alt = alt or next((s.name for s in swept if not s.is_null), None)
    return null, alt


def _rate(success: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ok = np.isfinite(success)
    n = np.maximum(ok.sum(axis=1), 1)
    p = np.where(ok, success, 0.0).sum(axis=1) / n
    return p, np.sqrt(p * (1 - p) / n)


def drift_dataset(run: StudyRun) -> xr.Dataset | None:
    """The ``/drift`` group, or ``None`` when the study does not borrow."""
    if not run.drift_offsets.size or not run.drift_prob:
        return None
    spec = run.loaded.spec
    dim = drift_dim(spec.endpoint.measure)
    null, alt = sweep_pair(run)
    coords = {"design": [d.label for d in run.designs], dim: run.drift_offsets,
              "n_control": ("design", [d.n_control for d in run.designs]),
              "n_treatment": ("design", [d.n_treatment for d in run.designs]),
              "n_synthetic": ("design", [d.n_synthetic for d in run.designs])}
    ds = xr.Dataset(coords=coords)
    threshold = spec.decision.probability
    for name, var in ((null, "type1"), (alt, "power")):
        if name is None:
            continue
        prob = run.drift_prob[name]
        success = np.where(np.isfinite(prob), prob >= threshold, np.nan)
        p, se = _rate(np.moveaxis(success, 1, 2).reshape(-1, prob.shape[1]))
        ds[var] = (("design", dim), p.reshape(prob.shape[0], prob.shape[2]))
        ds[f"{var}_mcse"] = (("design", dim), se.reshape(prob.shape[0], prob.shape[2]))
    sweep = spec.synthetic_control.drift_sweep
    ds[dim].attrs.update({"units": dim[len("drift_"):],
                          "long_name": "offset on the synthetic controls' change at the primary visit"})
    ds.attrs.update({
        "null_scenario": null or "", "alternative_scenario": alt or "",
        "budget": budget(run), "target_power": spec.design.target_power,
        "half_width": float(np.max(np.abs(run.drift_offsets))),
        "range_source": "study YAML (synthetic_control.drift_sweep.half_width)" if sweep.half_width else
                        "default: max(clinically important difference, 0.5 × SD of change)",
        "validated_low": float(sweep.validated_range[0]) if sweep.validated_range else np.nan,
        "validated_high": float(sweep.validated_range[1]) if sweep.validated_range else np.nan,
        "validated_source": sweep.validated_source or "",
        "replicates": run.replicates, "drift_dim": dim,
    })
    return ds


def budget(run: StudyRun) -> float:
    """The one type I error budget of every design and the comparator (default: the decision's α)."""
    return run.loaded.spec.type1_budget


def tipping_point(drift: np.ndarray, value: np.ndarray, level: float, *, above: bool) -> dict[str, float | None]:
    """Smallest |drift| on each side of 0 where ``value`` crosses ``level`` (linear interpolation).

    ``above``: crossing upward (type I error); otherwise downward (power). ``None``: the
    curve stays on the safe side over the whole range on that side.

    Examples
    --------
    >>> tipping_point(np.array([-0.2, -0.1, 0.0, 0.1]), np.array([0.3, 0.1, 0.02, 0.01]), 0.05, above=True)
    {'negative': -0.0625, 'positive': None}
    """
    out: dict[str, float | None] = {}
    zero = int(np.argmin(np.abs(drift)))
    for side, idx in (("negative", np.arange(zero, -1, -1)), ("positive", np.arange(zero, drift.size))):
        hit = None
        for a, b in pairwise(idx):
            va, vb = value[a], value[b]
            bad_a = va > level if above else va < level
            if bad_a and a == zero:
                hit = float(drift[a])
                break
            bad_b = vb > level if above else vb < level
            if bad_b:
                hit = float(drift[a] + (level - va) * (drift[b] - drift[a]) / (vb - va)) if vb != va else float(drift[b])
                break
        out[side] = None if hit is None else round(hit, 10)
    return out


def drift_summary(run: StudyRun, ds: xr.Dataset | None) -> dict[str, Any] | None:
    """The ``drift`` block of ``summary.json``: grid, curves with MC errors, tipping points."""
    if ds is None:
        return None
    dim = ds.attrs["drift_dim"]
    x = ds[dim].values
    alpha = ds.attrs["budget"]
    target = ds.attrs["target_power"]
    curves: dict[str, Any] = {}
    tips: dict[str, Any] = {}

    def num(v: float) -> float | None:
        return None if not np.isfinite(v) else round(float(v), 10)

    for i, label in enumerate(ds.design.values):
        if int(ds.n_synthetic.values[i]) == 0:
            continue
        entry: dict[str, Any] = {}
        tip: dict[str, Any] = {}
        if "type1" in ds:
            t1 = ds.type1.values[i]
            entry["type1"] = [num(v) for v in t1]
            entry["type1_mcse"] = [num(v) for v in ds.type1_mcse.values[i]]
            j = int(np.argmax(t1))
            entry["max_type1"] = {"value": num(t1[j]), "mcse": num(ds.type1_mcse.values[i][j]), "at": num(x[j])}
            tip["type1_above_alpha"] = tipping_point(x, t1, alpha, above=True)
            tip["type1_above_2alpha"] = tipping_point(x, t1, 2 * alpha, above=True)
        if "power" in ds:
            entry["power"] = [num(v) for v in ds.power.values[i]]
            entry["power_mcse"] = [num(v) for v in ds.power_mcse.values[i]]
            tip["power_below_target"] = tipping_point(x, ds.power.values[i], target, above=False)
        curves[str(label)] = entry
        tips[str(label)] = tip
    validated = None
    if ds.attrs["validated_source"]:
        validated = {"low": ds.attrs["validated_low"], "high": ds.attrs["validated_high"],
                     "source": ds.attrs["validated_source"]}
    return {
        "dimension": dim, "values": [round(float(v), 10) for v in x], "half_width": ds.attrs["half_width"],
        "range_source": ds.attrs["range_source"], "validated": validated,
        "sd_change": run.variance.get("sd_change"),
        "clinically_important_difference": run.loaded.spec.decision.clinically_important_difference,
        "null_scenario": ds.attrs["null_scenario"], "alternative_scenario": ds.attrs["alternative_scenario"],
        "type1_budget": alpha, "target_power": target, "replicates": run.replicates,
        "curves": curves, "tipping_points": tips,
    }

