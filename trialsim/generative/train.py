"""Training the generator on a simulation library: seeded and deterministic on CPU.

MAP training of :class:`~trialsim.generative.model.ConditionalFlow` on the PCA code of
each converged solve (full batch, Adam, ridge priors on every parameter effect; the
linear effect of speed is left free, since every solve varies speed and it drives
every output — and the self-selected speed depends on getting its slope right), plus a
shape prior on the direction of the self-selected speed (:func:`_speed_direction_penalty`:
more strength or neural drive never slows it, more passive stiffness or activation time
never speeds it up). Predictive scales are then
calibrated by K-fold cross-validation inside the training set: the flow is refitted
on each fold's complement, and each output dimension's scale is inflated so that the
held-out standardised residuals have unit RMS (never below ×1). With few solves
the in-sample likelihood fit is over-confident; this makes the shipped predictive
intervals honest about it.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import asdict, dataclass

import numpy as np

from trialsim.generative.checkpoint import GeneratorBundle
from trialsim.generative.dataset import TARGETS, TrainingData, group_folds
from trialsim.generative.speed_model import (
    fit_speed_head,
    flow_speed_range,
    resolve_speed_head,
    speed_direction,
)

log = logging.getLogger(__name__)


#: library size from which the automatic configuration adds coupling layers
COUPLING_MIN_SOLVES = 400


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters of one training run (recorded in the checkpoint)."""

    seed: int = 0
    steps: int = 1500
    learning_rate: float = 0.01
    hidden: int = 32
    #: coupling layers; ``-1`` = automatic (0 below 400 solves, else 2). Measured on the
    #: 125-solve library (5-fold held out): 2 couplings gave cadence R² −0.06 and a
    #: classifier AUC of 0.94; none gave cadence R² 0.48, stride 0.78, AUC 0.30.
    n_coupling: int = -1
    ridge_linear: float = 1.0
    ridge_network: float = 10.0
    max_components: int = 16
    calibration_folds: int = 5
    threads: int = 1
    #: leave the linear speed effect unpenalised (flat prior)
    free_speed: int = 1
    #: weight of the speed-direction shape prior (0 = off): stronger muscles or more
    #: neural drive never lower the self-selected speed, stiffer or slower-activating
    #: muscles never raise it (:func:`_speed_direction_penalty`).
    #: Measured on the 125-solve library (5-fold held out): 0 and 300 give the same R²,
    #: coverage and AUC; 30 leaves all-muscle weakness faster than nominal, 300 does not.
    speed_direction_weight: float = 300.0
    #: probe points of that prior (training rows at random speeds)
    speed_direction_probes: int = 256
    #: train on the library's speed siblings too (1) or keep them for validation only (0).
    #: Measured on the 394-solve library: with them, held-out R² rose (stride 0.88, cadence
    #: 0.69) but the self-selected speed's responses shrank far below the physics' (passive
    #: stiffness 2.5: −0.02 m/s, physics −0.35; hamstring fibres × 0.75: −0.04, physics −0.32)
    speed_siblings: int = 0
    #: the self-selected speed (:mod:`trialsim.generative.speed_model`): 0 = minimum of the
    #: predicted cost of transport (the session-3 rule); 1 = learned directly from the bodies
    #: whose choice is known, plus a per-body random effect; 2 = that minimum plus a learned
    #: correction and the random effect. Measured on the 394-solve library (43 bodies, 5-fold
    #: grouped; BENCHMARKS.md): 1 ranks bodies best but drops the physics' stiffness and
    #: contracture responses (their coefficients hit the sign bound 0); 2 keeps them.
    #: ``-1`` = automatic (:func:`~trialsim.generative.speed_model.resolve_speed_head`): 1 on a
    #: library with free-speed solves (v2: one solve per body, so the flow's cost minimum is not
    #: identified), else 2 (v1, what the shipped checkpoint records)
    speed_head: int = -1


@contextlib.contextmanager
def deterministic_torch(threads: int) -> Iterator[None]:
    """Deterministic algorithms and a fixed thread count for the duration (restored after)."""
    import torch

    old_threads, old_det = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(old_det)
        torch.set_num_threads(old_threads)


@dataclass(frozen=True)
class SpeedPrior:
    """What the speed-direction prior needs to know about the work-rate output."""

    columns: tuple[int, ...]   # input columns of strength, neural drive, stiffness, activation time
    #: +1 where more of the input must never slow the chosen speed, −1 where it must never speed it up
    signs: tuple[float, ...]
    work_mean: float           # de-standardise the log work rate target
    work_sd: float
    log_basal: float           # log of the basal metabolic rate (W/kg)


def speed_prior_for(data: TrainingData, codec_mean: np.ndarray, codec_sd: np.ndarray) -> SpeedPrior:
    """The constrained inputs with their directions, and the work-rate target's scaling."""
    directions = {j: d for j, name in enumerate(data.feature_names) if (d := speed_direction(name)) is not None}
    k = TARGETS.index("log_work_rate_w_kg")
    return SpeedPrior(tuple(directions), tuple(directions.values()), float(codec_mean[k]), float(codec_sd[k]),
                      float(np.log(data.basal_rate_w_kg)))


def _speed_direction_penalty(flow, probes, prior: SpeedPrior):  # type: ignore[no-untyped-def]
    """Mean squared violation of "more strength or drive never slows the chosen speed"
    (and "more stiffness or slower activation never speeds it up").

    The self-selected speed minimises ``log CoT(s) = log(W(s) + b) − s`` over log
    relative speed ``s`` (``W`` the joint-work rate, ``b`` basal). Its optimum is where
    ``g(s) = ∂ log(W + b)/∂s = W'(s) · W/(W + b)`` equals 1, and with ``g`` rising in
    ``s`` the optimum moves to faster speeds exactly when ``∂g/∂θ ≤ 0``. So the prior
    penalises ``relu(∂g/∂θ)²`` for every strength and neural-drive input ``θ`` (and
    ``relu(−∂g/∂θ)²`` for passive stiffness and activation time), at
    probe points spread over the library (training rows at random speeds). It encodes
    the physics' own answer for plantar-flexor weakness (slower, musculoskeletal/README)
    and the clinical one (weakness and PD slow gait; REFERENCE.md §3), which 125–200
    single-speed solves do not identify: each solve shows one speed per body.
    """
    import torch

    xp = probes.clone().requires_grad_(True)
    mu, _ = flow.loc_scale(xp)
    k = TARGETS.index("log_work_rate_w_kg")
    w = mu[:, k] * prior.work_sd + prior.work_mean
    dw = torch.autograd.grad(w.sum(), xp, create_graph=True)[0]
    g = 2.0 * dw[:, -1] * torch.sigmoid(w - prior.log_basal)  # inputs are 2 × features
    dg = torch.autograd.grad(g.sum(), xp, create_graph=True)[0][:, list(prior.columns)]
    signs = torch.as_tensor(prior.signs, dtype=dg.dtype)
    return (torch.relu(dg * signs) ** 2).sum(-1).mean()


def _probes(x: np.ndarray, count: int, seed: int):  # type: ignore[no-untyped-def]
    """Training rows at speeds drawn over the library's range (deterministic per seed)."""
    import torch

    rng = np.random.default_rng([seed, 11])
    rows = x[rng.integers(0, len(x), count)].copy()
    rows[:, -1] = rng.uniform(x[:, -1].min(), x[:, -1].max(), count)
    return torch.as_tensor(rows, dtype=torch.float32)


def _fit_flow(x: np.ndarray, y: np.ndarray, config: TrainConfig, n_coupling: int, seed: int,  # type: ignore[no-untyped-def]
              prior: SpeedPrior | None = None):
    import torch

    from trialsim.generative.model import ConditionalFlow

    gen = torch.Generator().manual_seed(seed)
    flow = ConditionalFlow(x.shape[1], y.shape[1], hidden=config.hidden, n_coupling=n_coupling)
    with torch.no_grad():  # initialise from our own generator, never the global RNG
        for module in flow.modules():
            if isinstance(module, torch.nn.Linear) and module.weight.abs().sum() > 0:
                fan_in = module.weight.shape[1]
                module.weight.copy_(torch.randn(module.weight.shape, generator=gen) / np.sqrt(fan_in))
                module.bias.zero_()
    xt = torch.as_tensor(x, dtype=torch.float32)
    yt = torch.as_tensor(y, dtype=torch.float32)
    n = len(x)
    active = prior if prior is not None and config.speed_direction_weight > 0 and prior.columns else None
    probes = _probes(x, config.speed_direction_probes, seed) if active is not None else None
    opt = torch.optim.Adam(flow.parameters(), lr=config.learning_rate)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0 - 0.9 * s / max(config.steps, 1))
    for _ in range(config.steps):
        opt.zero_grad()
        loss = -flow.log_prob(yt, xt).mean() + flow.penalty(linear=config.ridge_linear, network=config.ridge_network, free_last_input=bool(config.free_speed)) / n
        if active is not None:
            loss = loss + config.speed_direction_weight * _speed_direction_penalty(flow, probes, active)
        loss.backward()
        opt.step()
        sched.step()
    flow.eval()
    return flow


def _inputs(data: TrainingData) -> np.ndarray:
    return 2.0 * data.features


def _calibrate(x: np.ndarray, y: np.ndarray, bodies: np.ndarray, config: TrainConfig, n_coupling: int,
               prior: SpeedPrior | None = None) -> np.ndarray | None:
    """Per-dimension scale inflation from K-fold held-out standardised residuals (None below 4 solves;
    a body's speed siblings are held out together)."""
    import torch

    n = len(x)
    k = min(config.calibration_folds, int(bodies.max()) + 1)
    if k < 2 or n < 4:
        return None
    sq = np.zeros(y.shape[1])
    for i, held in enumerate(group_folds(bodies, k, np.random.default_rng([config.seed, 7]))):
        train = np.setdiff1d(np.arange(n), held)
        flow = _fit_flow(x[train], y[train], config, n_coupling, config.seed + 1000 + i, prior)
        with torch.no_grad():
            mu, log_sigma = flow.loc_scale(torch.as_tensor(x[held], dtype=torch.float32))
        r = (y[held] - mu.numpy()) / np.exp(log_sigma.numpy())
        sq += (r**2).sum(axis=0)
    return np.clip(np.sqrt(sq / n), 1.0, 1e3)


def train_generator(data: TrainingData, *, config: TrainConfig | None = None) -> GeneratorBundle:
    """Train the generator on ``data``; deterministic for a given config on CPU.

    Examples
    --------
    >>> from trialsim.generative.dataset import load_training_data
    >>> bundle = train_generator(load_training_data("trialsim/data/library"))  # doctest: +SKIP
    >>> bundle.save("generator.pt")  # doctest: +SKIP
    """
    import torch

    from trialsim.generative.model import GaitCodec

    cfg = config or TrainConfig()
    full = data
    if not cfg.speed_siblings and data.siblings.any():
        data = data.subset(np.flatnonzero(~data.siblings))
    n_coupling = cfg.n_coupling if cfg.n_coupling >= 0 else (0 if data.n < COUPLING_MIN_SOLVES else 2)
    codec = GaitCodec.fit(data.targets, data.curves, max_components=cfg.max_components)
    y = codec.encode(data.targets, data.curves)
    x = _inputs(data)
    with deterministic_torch(cfg.threads):
        prior = speed_prior_for(data, codec.target_mean, codec.target_sd)
        inflation = _calibrate(x, y, data.bodies, cfg, n_coupling, prior)
        flow = _fit_flow(x, y, cfg, n_coupling, cfg.seed, prior)
        if inflation is None:  # too few solves to cross-validate: predictive SD = the outputs' spread
            with torch.no_grad():
                sigma = torch.exp(flow.loc_scale(torch.as_tensor(x, dtype=torch.float32))[1]).mean(0).numpy()
            inflation = np.maximum(1.0, 1.0 / sigma)
        flow.inflation.copy_(torch.as_tensor(inflation, dtype=torch.float32))
    speed_head = resolve_speed_head(cfg.speed_head, full)
    bundle = GeneratorBundle(
        codec=codec, flow=flow, curve_names=data.curve_names, gait_cycle_pct=data.gait_cycle_pct,
        basal_rate_w_kg=data.basal_rate_w_kg,
        log_relative_speed_range=flow_speed_range(full, speed_siblings=cfg.speed_siblings),
        library_sha256=data.library_sha256, n_train=data.n,
        config={**asdict(cfg), "n_coupling_used": n_coupling, "speed_head_used": speed_head},
        feature_names=data.feature_names,
    )
    if speed_head:
        base = None
        if speed_head == 2:
            from trialsim.generative.dataset import parameter_features
            from trialsim.generative.simulator import GeneratorSimulator

            base, _ = GeneratorSimulator(bundle).self_selected_speed(
                parameter_features(full.params, full.n, full.feature_names), full.params["height_m"])
        bundle.speed_head = fit_speed_head(full, seed=cfg.seed, base_log_rel=base)
    log.info("trained on %d solves: %d outputs (%d PCs), %d couplings, inflation %s",
             data.n, y.shape[1], y.shape[1] - len(TARGETS), n_coupling, np.round(inflation, 2))
    return bundle
