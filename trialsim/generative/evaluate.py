"""Fidelity of the generator on simulations it never saw (K-fold cross-validation).

The checkpoint's own training recipe (its recorded :class:`TrainConfig`) is refitted
K times, each time without one fold of the library, and the refit predicts that
fold's solves at their parameters and imposed speeds. Every converged solve is thus
held out exactly once, together with its body's other speeds (speed siblings). Reported:

- per spatiotemporal measure: MAE and R² of the typical generated gait vs the physics
  at the solve's imposed speed (``gait_speed_m_s`` is that input, exact by construction,
  so it is not listed: the speed figure is the self-selected one below);
- per joint / curve family: RMSE over the gait cycle (both sides pooled);
- coverage of the 90 % predictive intervals (Monte Carlo over the flow, 400 draws);
- a classifier two-sample test: an L2 logistic regression, cross-validated, telling
  one predictive draw per held-out solve from the solve itself (features: the
  standardised measures and the joint angles at every 5th cycle point). AUC 0.5 =
  indistinguishable. With n solves its sampling SD is roughly ``0.3/√n``;
- self-selected speed against the physics' on held-out bodies whose choice the physics
  made (:func:`speed_selection_fidelity`): r, MAE against a constant predictor's, and the
  SD of sampled bodies against the physics' SD.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from trialsim.generative.dataset import (
    TrainingData,
    group_folds,
    load_training_data,
    parameter_features,
)
from trialsim.physiology.parameters import centre_speed_m_s
from trialsim.spec.names import GAIT_MEASURES

log = logging.getLogger(__name__)

EVAL_MEASURES = tuple(m for m in GAIT_MEASURES if m != "stride_time_cv_pct")
CURVE_GROUPS = {
    "hip_flexion_deg": "hip_flexion_", "knee_flexion_deg": "knee_flexion_",
    "ankle_dorsiflexion_deg": "ankle_dorsiflexion_", "pelvis_tilt_deg": "pelvis_tilt",
    "grf_vertical_bw": "grf_vertical_", "grf_ap_bw": "grf_ap_", "activation": "activation_",
    "joint_moment_nm_kg": "_moment_",
}
INTERVAL = 0.90
DRAWS = 400


def _group_channels(names: tuple[str, ...], key: str) -> list[int]:
    if key == "_moment_":
        return [i for i, n in enumerate(names) if "_moment_" in n]
    return [i for i, n in enumerate(names) if n.startswith(key) and "_moment_" not in n]


def _r2(y: np.ndarray, pred: np.ndarray) -> float:
    ss = float(((y - y.mean()) ** 2).sum())
    return float(1.0 - ((y - pred) ** 2).sum() / ss) if ss > 1e-12 else float("nan")


def _logistic_auc(features: np.ndarray, labels: np.ndarray, *, folds: int, seed: int, ridge: float = 1.0) -> float:
    """Cross-validated AUC of an L2 logistic regression (Newton's method, numpy)."""
    from scipy.stats import rankdata

    n = len(labels)
    mean, sd = features.mean(0), features.std(0)
    x = np.column_stack([np.ones(n), (features - mean) / np.where(sd > 1e-12, sd, 1.0)])
    # pairs (simulated, generated of the same condition) stay in the same fold
    pair = np.arange(n) % (n // 2)
    order = np.random.default_rng([seed, 11]).permutation(n // 2)
    fold_of_pair = np.empty(n // 2, int)
    fold_of_pair[order] = np.arange(n // 2) % folds
    scores = np.empty(n)
    for f in range(folds):
        test = fold_of_pair[pair] == f
        xtr, ytr = x[~test], labels[~test]
        w = np.zeros(x.shape[1])
        penalty = ridge * np.r_[0.0, np.ones(x.shape[1] - 1)]
        for _ in range(50):
            p = 1.0 / (1.0 + np.exp(-xtr @ w))
            grad = xtr.T @ (p - ytr) + penalty * w
            hess = (xtr * (p * (1 - p))[:, None]).T @ xtr + np.diag(penalty + 1e-9)
            step = np.linalg.solve(hess, grad)
            w -= step
            if np.abs(step).max() < 1e-8:
                break
        scores[test] = x[test] @ w
    ranks = rankdata(scores)
    pos = labels == 1
    n_pos, n_neg = pos.sum(), (~pos).sum()
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _c2st_features(data: TrainingData, measures: dict[str, np.ndarray], curves: np.ndarray) -> np.ndarray:
    angle = [i for i, n in enumerate(data.curve_names) if n.endswith("_deg")] or list(range(len(data.curve_names)))
    cols = [measures[m] for m in EVAL_MEASURES if m != "gait_speed_m_s"]
    return np.column_stack([*cols, curves[:, ::5, :][:, :, angle].reshape(len(curves), -1)])


def cross_validated_predictions(
    data: TrainingData, *, config: Any, folds: int = 5, seed: int = 0,
) -> dict[str, Any]:
    """Held-out typical gaits, predictive draws and one generated sample per solve."""
    from trialsim.generative.simulator import GeneratorSimulator
    from trialsim.generative.train import train_generator

    n = data.n
    k = max(2, min(folds, int(data.bodies.max()) + 1))
    fold_rows = group_folds(data.bodies, k, np.random.default_rng([seed, 3]))
    typical = {m: np.empty(n) for m in EVAL_MEASURES}
    draws = {m: np.empty((n, DRAWS)) for m in EVAL_MEASURES}
    sample = {m: np.empty(n) for m in EVAL_MEASURES}
    curves = np.empty_like(data.curves)
    sample_curves = np.empty_like(data.curves)
    interior = np.empty(n, bool)
    selected = np.empty(n)
    sampled = np.empty(n)
    fold_of_row = np.empty(n, int)
    fold_models = []
    for f in range(k):
        held = np.sort(fold_rows[f])
        train = np.setdiff1d(np.arange(n), held)
        gen = GeneratorSimulator(train_generator(data.subset(train), config=config))
        fold_models.append((held, gen))
        fold_of_row[held] = f
        log.info("fold %d/%d: trained on %d, testing %d", f + 1, k, len(train), len(held))
        params = {name: v[held] for name, v in data.params.items()}
        params["speed_m_s"] = data.speed_m_s[held]
        t = gen.generate(params)
        for m in EVAL_MEASURES:
            typical[m][held] = t.measures[m]
        curves[held] = t.curves
        rng = np.random.default_rng([seed, 5, f])
        rep = {k2: np.repeat(v, DRAWS) for k2, v in params.items()}
        d = gen.generate(rep, rng=rng, predictive=True, with_curves=False, day_to_day=False)
        for m in EVAL_MEASURES:
            draws[m][held] = d.measures[m].reshape(len(held), DRAWS)
        one = gen.generate(params, rng=np.random.default_rng([seed, 9, f]), predictive=True, day_to_day=False)
        for m in EVAL_MEASURES:
            sample[m][held] = one.measures[m]
        sample_curves[held] = one.curves
        pf_rows = {name: v[held] for name, v in data.params.items()}
        lo, hi = gen.bundle.log_relative_speed_range
        best, _ = gen.self_selected_speed(parameter_features(pf_rows, len(held), gen.bundle.feature_names), data.params["height_m"][held])
        interior[held] = (best > lo + 1e-9) & (best < hi - 1e-9)
        chosen = gen.chosen_log_relative_speed(parameter_features(pf_rows, len(held), gen.bundle.feature_names), data.params["height_m"][held])
        selected[held] = centre_speed_m_s(data.params["height_m"][held]) * np.exp(chosen)
        if gen.bundle.speed_head is None:  # no per-body effect: a sampled body walks at the typical speed
            sampled[held] = selected[held]
        else:  # one new body per held-out body: its speed effect u (the flow's residual never moves speed)
            u = np.random.default_rng([seed, 13, f]).standard_normal(len(held))
            sampled[held] = gen.self_selected_speed_m_s(pf_rows, effect_z=u)
    return {"typical": typical, "curves": curves, "draws": draws, "sample": sample,
            "sample_curves": sample_curves, "interior": interior, "self_selected_m_s": selected,
            "sampled_self_selected_m_s": sampled, "fold_of_row": fold_of_row,
            "folds": k, "fold_models": fold_models}


def speed_selection_fidelity(data: TrainingData, cv: dict[str, Any]) -> dict[str, Any]:
    """Held-out self-selected speed against the physics' (library v2: its free-speed solves;
    v1: :func:`~trialsim.generative.speed_model.physics_self_selected_speeds`), from the fold
    model that never saw the body: the typical body's speed (MAE, r, and the MAE of a constant
    predictor — the mean of the other folds' bodies), and one sampled body per held-out body (its
    speed SD vs the physics'); :func:`~trialsim.generative.speed_model.speed_figures`, with
    whether issue #15's targets are met."""
    from trialsim.generative.speed_model import (
        physics_self_selected_speeds,
        self_selected_targets,
        speed_figures,
    )

    rows, p, source = self_selected_targets(data)
    if len(rows) < 3:
        return {"n_bodies": len(rows)}
    fold = cv["fold_of_row"][rows]
    constant = np.array([p[fold != f].mean() if (fold != f).any() else p.mean() for f in fold])
    out = {**speed_figures(p, cv["self_selected_m_s"][rows], cv["sampled_self_selected_m_s"][rows], constant, source),
           "folds": cv["folds"]}
    if source != "self_selected":
        bodies = physics_self_selected_speeds(data)
        out["physics_interior_fraction"] = float(np.mean([
            data.speed_m_s[r].min() + 1e-6 < v < data.speed_m_s[r].max() - 1e-6 for r, v in bodies.values()]))
    return out


#: measures a physics solve reports (its stride-time CV is undefined: optimal control is deterministic)
TWIN_PHYSICS_MEASURES = ("gait_speed_m_s", "stride_length_m", "cadence_steps_min", "stance_pct",
                         "double_support_pct", "peak_knee_flexion_swing_deg")


def twin_physics_coverage(data: TrainingData, cv: dict[str, Any], *, seed: int = 0) -> dict[str, Any]:
    """Digital-twin 90 % interval coverage on held-out physics solves.

    For each fold, a twin is trained on the fold's generator (which never saw the
    held-out solves) with the speed as a given input (``speed_mode="imposed"``: the imposed-speed
    design's speeds, rescaled to each body's height) and inverts the solves' own physics
    measures, each at the speed its solve walked (imposed or chosen).
    """
    from trialsim.generative.twin import INFERRED, fit_twin, interval_coverage

    post = {name: np.empty((data.n, 200)) for name in INFERRED}
    for i, (held, gen) in enumerate(cv["fold_models"]):
        twin = fit_twin(gen, measures=TWIN_PHYSICS_MEASURES, n_train=1024, steps=400, seed=seed + i,
                        speed_mode="imposed")
        truth = data.measures()
        observed = {m: truth[m][held] for m in TWIN_PHYSICS_MEASURES}
        covariates = {c: data.params[c][held] for c in ("height_m", "body_mass_kg", "age_years")}
        draws = twin.sample_posterior(observed, covariates, draws=200, rng=np.random.default_rng([seed, 41, i]))
        for name in INFERRED:
            post[name][held] = draws[name]
    truth_params = {name: data.params[name] for name in INFERRED if name != "motor_noise"}
    return {"measures": list(TWIN_PHYSICS_MEASURES), "held_out": f"{data.n} physics solves (K-fold)",
            **interval_coverage(post, truth_params)}


def fidelity_report(data: TrainingData, cv: dict[str, Any], *, seed: int = 0) -> dict[str, Any]:
    """Figures from :func:`cross_validated_predictions` (JSON-able)."""
    truth = data.measures()
    measures = {}
    lo_q, hi_q = (1 - INTERVAL) / 2, 1 - (1 - INTERVAL) / 2
    for m in EVAL_MEASURES:
        if m == "gait_speed_m_s":  # the imposed speed: an input here, exact by construction
            continue
        y, pred, dr = truth[m], cv["typical"][m], cv["draws"][m]
        lo, hi = np.quantile(dr, lo_q, axis=1), np.quantile(dr, hi_q, axis=1)
        measures[m] = {"mae": float(np.abs(y - pred).mean()), "r2": _r2(y, pred),
                       "coverage_90": float(((y >= lo - 1e-9) & (y <= hi + 1e-9)).mean()),
                       "physics_sd": float(y.std())}
    curves = {}
    for label, key in CURVE_GROUPS.items():
        idx = _group_channels(data.curve_names, key)
        if idx:
            err = cv["curves"][:, :, idx] - data.curves[:, :, idx]
            curves[label] = {"rmse": float(np.sqrt((err**2).mean())),
                             "physics_sd": float(data.curves[:, :, idx].std(axis=0).mean())}
    real = _c2st_features(data, truth, data.curves)
    fake = _c2st_features(data, cv["sample"], cv["sample_curves"])
    feats = np.vstack([real, fake])
    labels = np.r_[np.zeros(data.n), np.ones(data.n)]
    auc = _logistic_auc(feats, labels, folds=min(5, data.n), seed=seed) if data.n >= 4 else float("nan")
    covered = [v["coverage_90"] for v in measures.values()]
    return {
        "n_simulations": data.n, "folds": cv["folds"], "library_sha256": data.library_sha256,
        "phenotypes": {p: data.phenotypes.count(p) for p in sorted(set(data.phenotypes))},
        "measures": measures, "curves": curves,
        "coverage_90_mean": float(np.mean(covered)),
        "c2st_auc": auc,
        "self_selected_speed_interior_fraction": float(cv["interior"].mean()),
        "self_selected_speed_vs_physics": speed_selection_fidelity(data, cv),
        "method": "K-fold cross-validation: the checkpoint's training recipe refitted without each fold",
    }


def recipe_of(checkpoint: str | Path) -> tuple[Any, Any]:
    """A checkpoint's bundle and its recorded training recipe (:class:`TrainConfig`)."""
    from trialsim.generative.checkpoint import load_bundle
    from trialsim.generative.train import TrainConfig

    bundle = load_bundle(checkpoint)
    recipe = {"speed_head": 0, **bundle.config}  # checkpoints before the speed head chose by cost of transport
    return bundle, TrainConfig(**{k: v for k, v in recipe.items() if k in TrainConfig.__dataclass_fields__})


def evaluate_speed_selection(
    library_dir: str | Path, checkpoint: str | Path, *, folds: int = 5, seed: int = 0,
) -> dict[str, Any]:
    """Only the held-out self-selected speed of ``checkpoint``'s recipe on ``library_dir``, in
    seconds: the figures :func:`evaluate_generator` reports under ``self_selected_speed_vs_physics``
    (identical: same folds, fits and draws), for a recipe whose speed head is the direct one
    (``speed_head`` 1, the automatic choice on library v2), which needs no flow.

    Examples
    --------
    >>> evaluate_speed_selection("trialsim/data/library_v2", "generator_v2.pt")["correlation"]  # doctest: +SKIP
    """
    from trialsim.errors import TrialsimError
    from trialsim.generative.speed_model import held_out_speed, resolve_speed_head

    bundle, cfg = recipe_of(checkpoint)
    data = load_training_data(library_dir)
    head = resolve_speed_head(cfg.speed_head, data)
    if head != 1:
        raise TrialsimError(f"{checkpoint}: its recipe's speed head on {library_dir} is {head}, which needs the flow "
                            "refitted per fold; run `trialsim generator evaluate` without --speed-only")
    return {"n_simulations": data.n, "library_sha256": data.library_sha256, "checkpoint_sha256": bundle.sha256,
            "self_selected_speed_vs_physics": held_out_speed(data, folds=folds, seed=seed, head_seed=cfg.seed,
                                                             speed_siblings=cfg.speed_siblings),
            "method": "grouped K-fold cross-validation of the speed head (the flow does not choose the speed)"}


def evaluate_generator(
    library_dir: str | Path, checkpoint: str | Path, *, folds: int = 5, seed: int = 0, twin: bool = True,
) -> dict[str, Any]:
    """Held-out fidelity of ``checkpoint``'s recipe on ``library_dir`` (see module docs).

    Examples
    --------
    >>> report = evaluate_generator("trialsim/data/library", "trialsim/data/generator/generator.pt")  # doctest: +SKIP
    >>> report["c2st_auc"]  # doctest: +SKIP
    """
    bundle, cfg = recipe_of(checkpoint)
    data = load_training_data(library_dir)
    cv = cross_validated_predictions(data, config=cfg, folds=folds, seed=seed)
    report = fidelity_report(data, cv, seed=seed)
    if twin:
        report["twin_physics"] = twin_physics_coverage(data, cv, seed=seed)
    report["checkpoint_sha256"] = bundle.sha256
    report["checkpoint_library_sha256"] = bundle.library_sha256
    report["checkpoint_matches_library"] = bundle.library_sha256 == data.library_sha256
    return report
