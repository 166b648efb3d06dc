"""The gait a body chooses: self-selected speed as an output conditioned on the body.

A body's self-selected speed is learned directly from the library's self-selected rows:

- **library v2** (a ``speed_source`` column): the rows solved at a free speed
  (``speed_source == "self_selected"``) give each body's chosen speed;
- **library v1** (no such column): bodies solved at ≥ 3 imposed speeds (the speed
  siblings) give the physics' own choice, the minimum of the cost of transport through
  them (:func:`physics_self_selected_speeds`).

Model (:class:`SpeedHead`): ``log(v / v_centre(H)) = c(θ) + a + b·θ + τ·u``, ``u ~ N(0, 1)``
per body. ``c(θ)`` is the minimum of the flow's predicted cost of transport (``base =
"cost_minimum"``, the physics' own rule learned from every solve, which carries the
directions of weakness, stiffness and contracture) or 0 (``base = "none"``); ``a + b·θ`` is
a ridge regression on the scaled physics parameters ``θ`` whose coefficients
keep the physics' directions (more strength, neural drive or fibre length never slows
the chosen speed; more passive stiffness or activation time never speeds it up; the
same shape prior as the flow's, :func:`speed_direction`),
plus a **per-body random effect** ``τ·u``: the between-body variation the parameters do
not explain. The ridge strength is chosen from a grid by grouped cross-validation
inside the training bodies, and ``τ`` is the held-out RMS residual of that choice, so
sampled bodies keep the physics' spread instead of averaging it away. Fitting is
closed-form/bounded least squares in float64 (scipy ``lsq_linear``): bit-reproducible.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from trialsim.generative.dataset import TARGETS, TrainingData, group_folds
from trialsim.physiology.parameters import centre_speed_m_s

#: ridge strengths tried by the inner cross-validation
RIDGE_GRID = (1.0, 3.0, 10.0, 30.0, 100.0)
INNER_FOLDS = 5
#: below this many bodies with a known self-selected speed no head is fitted
MIN_BODIES = 8


#: parameters that never speed up the self-selected speed (PD rigidity and bradykinesia:
#: REFERENCE.md §3, gait speed lower by 0.17 m/s in PD)
SLOWING_PARAMETERS = ("passive_stiffness", "activation_time_scale", "joint_rigidity")


def speed_direction(name: str) -> float | None:
    """+1: more of the parameter never slows the chosen speed; −1: never speeds it up.

    Fibre lengths are +1 (contracture never speeds a patient up): the physics, for one body
    with knee-flexor fibres × 0.75, selects 0.88 vs 1.20 m/s (musculoskeletal/README), but
    the library's contracted bodies are also weak, stiff and small, and without this the
    generator trained with speed siblings let hamstring contracture speed up (1.15 vs 1.11).

    Used twice: the flow's speed-direction prior (:func:`trialsim.generative.train.speed_prior_for`)
    and the sign bounds of the speed head's regression.

    Examples
    --------
    >>> speed_direction("strength_plantarflexors"), speed_direction("passive_stiffness"), speed_direction("height_m")
    (1.0, -1.0, None)
    """
    if name.startswith(("strength_", "fiber_length_")) or name in ("neural_drive", "vigour"):
        return 1.0
    return -1.0 if name in SLOWING_PARAMETERS else None


@dataclass(frozen=True)
class SpeedHead:
    """``log relative speed = intercept + features @ coef + tau · u`` (see module docs)."""

    intercept: float
    coef: np.ndarray       # one per feature of the checkpoint (``GeneratorBundle.feature_names``)
    tau: float             # SD of the per-body random effect (log speed)
    ridge: float
    n_bodies: int
    source: str            # "self_selected" (library v2) or "cost_minimum_3_speeds" (v1)
    base: str = "none"     # "cost_minimum": add the flow's cost-of-transport minimum c(θ)

    def mean_log_relative(self, features: np.ndarray, base_log_rel: np.ndarray | float = 0.0) -> np.ndarray:
        return base_log_rel + self.intercept + features @ self.coef

    def to_meta(self) -> dict[str, Any]:
        return {"intercept": float(self.intercept), "coef": [float(c) for c in self.coef], "tau": float(self.tau),
                "ridge": float(self.ridge), "n_bodies": int(self.n_bodies), "source": self.source, "base": self.base}

    @classmethod
    def from_meta(cls, meta: dict[str, Any]) -> SpeedHead:
        return cls(float(meta["intercept"]), np.asarray(meta["coef"], dtype=float), float(meta["tau"]),
                   float(meta["ridge"]), int(meta["n_bodies"]), str(meta["source"]), str(meta.get("base", "none")))


def physics_self_selected_speeds(data: TrainingData) -> dict[int, tuple[np.ndarray, float]]:
    """Per body solved at ≥ 3 speeds: its rows and the physics' self-selected speed, by the
    physics' own rule (:func:`~trialsim.musculoskeletal.measures.minimum_cost_speed` over the
    body's solved speeds, clipped to them)."""
    from trialsim.musculoskeletal.measures import minimum_cost_speed

    cot = (np.exp(data.targets[:, TARGETS.index("log_work_rate_w_kg")]) + data.basal_rate_w_kg) / data.speed_m_s
    out = {}
    for body in np.unique(data.bodies):
        rows = np.flatnonzero(data.bodies == body)
        if len(rows) >= 3:
            out[int(body)] = (rows, minimum_cost_speed(data.speed_m_s[rows], cot[rows]))
    return out


def self_selected_targets(data: TrainingData) -> tuple[np.ndarray, np.ndarray, str]:
    """One row index per body with a known self-selected speed, that speed (m/s), and its source."""
    if data.self_selected.any():
        rows = np.flatnonzero(data.self_selected)
        _, first = np.unique(data.bodies[rows], return_index=True)
        rows = rows[np.sort(first)]
        return rows, data.speed_m_s[rows], "self_selected"
    bodies = physics_self_selected_speeds(data)
    rows = np.array([r[0] for r, _ in bodies.values()], dtype=int)
    return rows, np.array([v for _, v in bodies.values()], dtype=float), "cost_minimum_3_speeds"


def _bounds(names: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = np.full(len(names) + 1, -np.inf), np.full(len(names) + 1, np.inf)
    for j, name in enumerate(names):
        d = speed_direction(name)
        if d == 1.0:
            lo[j + 1] = 0.0
        elif d == -1.0:
            hi[j + 1] = 0.0
    return lo, hi


def _fit(x: np.ndarray, y: np.ndarray, ridge: float, names: tuple[str, ...]) -> np.ndarray:
    """Sign-constrained ridge (unpenalised intercept first): ``[a, b…]``."""
    from scipy.optimize import lsq_linear

    n, p = x.shape
    a = np.vstack([np.column_stack([np.ones(n), x]), np.column_stack([np.zeros(p), np.sqrt(ridge) * np.eye(p)])])
    b = np.r_[y, np.zeros(p)]
    lo, hi = _bounds(names)
    return np.asarray(lsq_linear(a, b, bounds=(lo, hi), method="bvls", tol=1e-12).x, dtype=float)


def _held_out(x: np.ndarray, y: np.ndarray, ridge: float, seed: int, names: tuple[str, ...]) -> np.ndarray:
    pred = np.empty(len(y))
    k = min(INNER_FOLDS, len(y))
    for held in group_folds(np.arange(len(y)), k, np.random.default_rng([seed, 17])):
        train = np.setdiff1d(np.arange(len(y)), held)
        w = _fit(x[train], y[train], ridge, names)
        pred[held] = w[0] + x[held] @ w[1:]
    return pred


def fit_speed_head(data: TrainingData, *, seed: int = 0, base_log_rel: np.ndarray | None = None) -> SpeedHead | None:
    """Fit :class:`SpeedHead` on the bodies of ``data`` with a known self-selected speed (None if < 8).

    ``base_log_rel`` (one value per row of ``data``): the flow's cost-of-transport minimum; the
    regression then learns the correction to it (``base = "cost_minimum"``).
    """
    rows, speed, source = self_selected_targets(data)
    if len(rows) < MIN_BODIES:
        return None
    x = data.features[rows, :-1]
    y = np.log(speed / centre_speed_m_s(data.params["height_m"][rows]))
    if base_log_rel is not None:
        y = y - base_log_rel[rows]
    scores = []
    for ridge in RIDGE_GRID:
        r = y - _held_out(x, y, ridge, seed, data.feature_names)
        scores.append(float(np.sqrt(np.mean(r**2))))
    best = int(np.argmin(scores))
    w = _fit(x, y, RIDGE_GRID[best], data.feature_names)
    return SpeedHead(float(w[0]), w[1:], scores[best], RIDGE_GRID[best], len(rows), source,
                     "none" if base_log_rel is None else "cost_minimum")


def held_out_speed(data: TrainingData, *, folds: int = 5, seed: int = 0) -> dict[str, Any]:
    """The direct speed head (``base = "none"``) under the evaluation's grouped folds (cheap: no
    flow is trained; the shipped ``cost_minimum`` head is scored by ``trialsim generator evaluate``).

    Same folds as :func:`trialsim.generative.evaluate.cross_validated_predictions`; returns the
    typical held-out speed (r, MAE, MAE of a constant = the other folds' mean), and the SD of
    one sampled body per held-out body against the physics' SD.
    """
    rows, speed, source = self_selected_targets(data)
    k = max(2, min(folds, int(data.bodies.max()) + 1))
    fold_of_row = np.empty(data.n, int)
    for f, held in enumerate(group_folds(data.bodies, k, np.random.default_rng([seed, 3]))):
        fold_of_row[held] = f
    height = data.params["height_m"][rows]
    typical, sampled, constant = np.empty(len(rows)), np.empty(len(rows)), np.empty(len(rows))
    for f in range(k):
        test = fold_of_row[rows] == f
        if not test.any():
            continue
        head = fit_speed_head(data.subset(np.flatnonzero(fold_of_row != f)), seed=seed)
        if head is None:
            raise ValueError(f"fold {f}: fewer than {MIN_BODIES} bodies with a self-selected speed")
        mean = head.mean_log_relative(data.features[rows[test], :-1])
        u = np.random.default_rng([seed, 13, f]).standard_normal(int(test.sum()))
        typical[test] = centre_speed_m_s(height[test]) * np.exp(mean)
        sampled[test] = centre_speed_m_s(height[test]) * np.exp(mean + head.tau * u)
        constant[test] = speed[~test].mean()
    mae = float(np.abs(typical - speed).mean())
    const = float(np.abs(constant - speed).mean())
    return {"n_bodies": len(rows), "source": source, "folds": k,
            "physics_mean_m_s": float(speed.mean()), "physics_sd_m_s": float(speed.std()),
            "generator_mean_m_s": float(typical.mean()), "generator_sd_m_s": float(typical.std()),
            "correlation": float(np.corrcoef(typical, speed)[0, 1]), "mae_m_s": mae, "constant_mae_m_s": const,
            "mae_ratio_vs_constant": mae / const, "sampled_sd_m_s": float(sampled.std()),
            "sampled_sd_ratio": float(sampled.std() / speed.std())}
