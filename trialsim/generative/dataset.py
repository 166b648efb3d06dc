"""The simulation library as training arrays for the generator (numpy only).

One row per converged simulation whose stride time is not pinned to a bound of the
solve (``stride_time_at_bound``: such a gait's timing was forced, not chosen):

- ``features``: the musculoskeletal parameters, each as ``(value − nominal) / (high − low)``
  over the registry range (fixed scaling, so a model extrapolates sanely and parameters
  the library never varied stay exactly 0), plus ``log(speed / (1.2 m/s × H / 1.75 m))``,
  the imposed speed relative to the library's centre speed for that height;
- ``targets``: the *independent* spatiotemporal outputs of a solve at that speed
  (``log stride_time_s``, ``stance_pct``, ``double_support_pct``,
  ``peak_knee_flexion_swing_deg``, ``log work_rate_w_kg``). Everything else follows
  exactly from them and the speed (stride length = speed × stride time, cadence,
  step length, swing), so generated gaits are internally consistent. The work rate
  is the metabolic rate of joint work, ``cost_of_transport × speed − basal``
  (:func:`trialsim.musculoskeletal.measures.cost_of_transport`: J/kg/m with a basal
  1.2 W/kg), so the cost of transport at any speed is ``(work_rate + basal) / speed``;
- ``curves``: ``(n, points, channels)`` joint angles, moments, activations and ground
  reaction forces over the gait cycle, as recorded by the physics.

``self_selected`` marks rows whose speed the physics chose (library v2's
``speed_source == "self_selected"``; the others were solved at an imposed speed). Every
row trains the gait at its speed; the self-selected ones also train the speed a body
chooses (:mod:`trialsim.generative.speed_model`).

``bodies`` labels the rows that show the same body (identical parameters) at different
speeds — the library's speed siblings — so that cross-validation holds a body out
whole (:func:`group_folds`): a held-out body's other speeds never train its predictor.

``motor_noise`` is not a feature: optimal-control gaits are deterministic and the
physics never sees it; the generator uses it only for variability.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from trialsim.errors import InputFileError
from trialsim.physiology.parameters import PARAMETERS, PHYSICS_V2_PARAMETERS, centre_speed_m_s

#: parameters the physics uses (features of the generator); motor_noise only drives variability.
#: The physics-v2 parameters (vigour, joint rigidity) are nominal throughout the v1 library the
#: shipped checkpoint learned from; they join the features when it is retrained on library v2.
FEATURE_PARAMETERS: tuple[str, ...] = tuple(
    name for name in PARAMETERS if name != "motor_noise" and name not in PHYSICS_V2_PARAMETERS
)
SPEED_FEATURE = "log_relative_speed"
TARGETS: tuple[str, ...] = (
    "log_stride_time_s", "stance_pct", "double_support_pct", "peak_knee_flexion_swing_deg", "log_work_rate_w_kg",
)
def library_feature_names(params: dict[str, np.ndarray]) -> tuple[str, ...]:
    """The generator's inputs for a library: :data:`FEATURE_PARAMETERS`, plus any other physics
    parameter (``motor_noise`` aside) the library varies — physics v2's vigour and joint
    rigidity join the features when a v2 library is trained on, with no code change."""
    extra = [name for name in PARAMETERS if name not in FEATURE_PARAMETERS and name != "motor_noise"
             and name in params and np.ptp(np.asarray(params[name], dtype=float)) > 1e-12]
    return (*FEATURE_PARAMETERS, *extra)


def parameter_features(params: dict[str, np.ndarray], n: int, names: tuple[str, ...] = FEATURE_PARAMETERS) -> np.ndarray:
    """``(n, len(names))`` scaled parameter features; missing names are nominal."""
    out = np.empty((n, len(names)))
    for j, name in enumerate(names):
        p = PARAMETERS[name]
        value = params.get(name)
        v = np.full(n, p.nominal) if value is None else np.broadcast_to(np.asarray(value, dtype=float), (n,))
        out[:, j] = (v - p.nominal) / (p.high - p.low)
    return out


@dataclass(frozen=True)
class TrainingData:
    """Arrays of one library (converged simulations only)."""

    sim_ids: list[str]
    phenotypes: list[str]
    params: dict[str, np.ndarray]
    speed_m_s: np.ndarray
    features: np.ndarray
    targets: np.ndarray
    curves: np.ndarray
    curve_names: tuple[str, ...]
    gait_cycle_pct: np.ndarray
    basal_rate_w_kg: float
    library_sha256: str
    #: body label of each row (0, 1, … by first appearance); rows with equal labels share parameters
    bodies: np.ndarray
    #: True for a speed sibling (a design body's extra speed, ``library.SIBLING_INDEX_BASE`` on)
    siblings: np.ndarray
    #: True where the physics chose the speed (library v2: ``speed_source == "self_selected"``);
    #: all False for a library of imposed speeds only (v1)
    self_selected: np.ndarray
    #: the parameters behind ``features[:, :-1]`` (:func:`library_feature_names`)
    feature_names: tuple[str, ...] = FEATURE_PARAMETERS

    @property
    def n(self) -> int:
        return len(self.sim_ids)

    def subset(self, index: np.ndarray) -> TrainingData:
        """The rows ``index`` (same library hash: it names the source, not the subset)."""
        idx = np.asarray(index)
        return TrainingData(
            [self.sim_ids[i] for i in idx], [self.phenotypes[i] for i in idx],
            {k: v[idx] for k, v in self.params.items()}, self.speed_m_s[idx], self.features[idx],
            self.targets[idx], self.curves[idx], self.curve_names, self.gait_cycle_pct,
            self.basal_rate_w_kg, self.library_sha256, _relabel(self.bodies[idx]), self.siblings[idx],
            self.self_selected[idx], self.feature_names,
        )

    def measures(self) -> dict[str, np.ndarray]:
        """Physics gait measures of each row (the GAIT_MEASURES names, no stride-time CV)."""
        return derived_measures(self.speed_m_s, self.targets)


def _relabel(labels: np.ndarray) -> np.ndarray:
    """Labels renumbered 0, 1, … in order of first appearance."""
    _, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
    rank = np.empty(len(first), int)
    rank[np.argsort(first, kind="stable")] = np.arange(len(first))
    return rank[inverse.ravel()]


def group_folds(groups: np.ndarray, k: int, rng: np.random.Generator) -> list[np.ndarray]:
    """``k`` folds of row indices that never split a group (labels 0…G−1 by first appearance).

    The groups are shuffled by ``rng`` and dealt round-robin; a fold lists its rows group by
    group in shuffled order. With one row per group this is ``rng.permutation(n)[i::k]``.

    Examples
    --------
    >>> folds = group_folds(np.array([0, 1, 1, 2]), 2, np.random.default_rng(0))
    >>> sorted(sorted(f.tolist()) for f in folds)
    [[0, 3], [1, 2]]
    """
    groups = np.asarray(groups)
    order = rng.permutation(int(groups.max()) + 1 if len(groups) else 0)
    members = [np.flatnonzero(groups == g) for g in range(len(order))]
    return [np.concatenate([members[g] for g in order[i::k]] or [np.empty(0, int)]).astype(int)
            for i in range(k)]


def derived_measures(speed_m_s: np.ndarray, targets: np.ndarray) -> dict[str, np.ndarray]:
    """Spatiotemporal measures implied by a speed and the independent targets."""
    stride_time = np.exp(targets[..., 0])
    stride = speed_m_s * stride_time
    stance = targets[..., 1]
    return {
        "gait_speed_m_s": np.asarray(speed_m_s, dtype=float),
        "step_length_m": stride / 2.0,
        "stride_length_m": stride,
        "cadence_steps_min": 120.0 / stride_time,
        "stride_time_s": stride_time,
        "stance_pct": stance,
        "swing_pct": 100.0 - stance,
        "double_support_pct": targets[..., 2],
        "peak_knee_flexion_swing_deg": targets[..., 3],
    }


def library_sha256(simulations: Any, curves: Any) -> str:
    """Content hash of a consolidated library (row order and parquet encoding do not matter)."""
    import pandas as pd

    h = hashlib.sha256()
    for frame, keys in ((simulations, ["sim_id"]), (curves, ["sim_id", "gait_cycle_pct"])):
        if len(frame) == 0:
            h.update(b"empty")
            continue
        f = frame.sort_values(keys, kind="stable").reset_index(drop=True)
        f = f[sorted(f.columns)]
        h.update(",".join(f.columns).encode())
        h.update(pd.util.hash_pandas_object(f.round(9) if hasattr(f, "round") else f, index=False).values.tobytes())
    return h.hexdigest()


def load_training_data(library_dir: str | Path) -> TrainingData:
    """Read a library directory into :class:`TrainingData` (converged, complete rows only).

    Examples
    --------
    >>> data = load_training_data("trialsim/data/library")  # doctest: +SKIP
    >>> data.targets.shape  # doctest: +SKIP
    (40, 5)
    """
    from trialsim.musculoskeletal.library import SIBLING_INDEX_BASE, load_library

    lib = load_library(library_dir)
    sims, curves = lib.simulations, lib.curves
    digest = library_sha256(sims, curves)
    if len(sims) == 0:
        raise InputFileError(f"{library_dir}: the library has no simulations yet; build some with `trialsim library build`")
    ok = sims[sims["success"].astype(bool)].copy()
    if "stride_time_at_bound" in ok:  # timing forced by the problem's bounds, not chosen by the body
        ok = ok[~ok["stride_time_at_bound"].astype(bool)]
    from trialsim.musculoskeletal.measures import BASAL_METABOLIC_RATE_W_KG as basal

    required = ["gait_speed_m_s", "stride_time_s", "stance_pct", "double_support_pct",
                "peak_knee_flexion_swing_deg", "cost_of_transport"]
    missing = [c for c in required if c not in ok.columns]
    if missing:
        raise InputFileError(f"{library_dir}: simulations.parquet lacks {', '.join(missing)}; rebuild the library with this trialsim")
    ok = ok.dropna(subset=required)
    work = ok["cost_of_transport"] * ok["gait_speed_m_s"] - basal
    ok = ok[(ok["stride_time_s"] > 0) & (work > 1e-6) & (ok["gait_speed_m_s"] > 0)]
    curve_names = tuple(c for c in curves.columns if c not in ("sim_id", "gait_cycle_pct"))
    by_sim = {sid: g.sort_values("gait_cycle_pct") for sid, g in curves.groupby("sim_id")} if len(curves) else {}
    lengths = {len(g) for sid, g in by_sim.items() if sid in set(ok["sim_id"])}
    points = max(lengths) if lengths else 0
    keep = [sid for sid in ok["sim_id"] if sid in by_sim and len(by_sim[sid]) == points
            and np.isfinite(by_sim[sid][list(curve_names)].to_numpy(float)).all()]
    ok = ok[ok["sim_id"].isin(keep)].sort_values("sim_id", kind="stable").reset_index(drop=True)
    if len(ok) < 2:
        raise InputFileError(f"{library_dir}: {len(ok)} converged simulation(s) with complete curves; at least 2 are needed to train")
    params = {name: ok[f"param_{name}"].to_numpy(float) if f"param_{name}" in ok else np.full(len(ok), p.nominal)
              for name, p in PARAMETERS.items()}
    speed = ok["gait_speed_m_s"].to_numpy(float)
    names = library_feature_names(params)
    features = np.column_stack([parameter_features(params, len(ok), names),
                                np.log(speed / centre_speed_m_s(params["height_m"]))])
    targets = np.column_stack([
        np.log(ok["stride_time_s"].to_numpy(float)), ok["stance_pct"].to_numpy(float),
        ok["double_support_pct"].to_numpy(float), ok["peak_knee_flexion_swing_deg"].to_numpy(float),
        np.log(ok["cost_of_transport"].to_numpy(float) * speed - basal),
    ])
    curve_arr = np.stack([by_sim[sid][list(curve_names)].to_numpy(float) for sid in ok["sim_id"]])
    body_keys = [tuple(np.round(values, 6)) for values in zip(*params.values(), strict=True)]
    labels: dict[tuple[float, ...], int] = {}
    pct = by_sim[ok["sim_id"].iloc[0]]["gait_cycle_pct"].to_numpy(float)
    return TrainingData(
        sim_ids=list(ok["sim_id"]), phenotypes=[str(p) for p in ok.get("phenotype", ["?"] * len(ok))],
        params=params, speed_m_s=speed, features=features, targets=targets, curves=curve_arr,
        curve_names=curve_names, gait_cycle_pct=pct,
        basal_rate_w_kg=float(basal), library_sha256=digest,
        bodies=np.array([labels.setdefault(key, len(labels)) for key in body_keys]),
        siblings=ok["design_index"].to_numpy(float) >= SIBLING_INDEX_BASE if "design_index" in ok
        else np.zeros(len(ok), bool),
        self_selected=ok["speed_source"].astype(str).to_numpy() == "self_selected" if "speed_source" in ok
        else np.zeros(len(ok), bool),
        feature_names=names,
    )
