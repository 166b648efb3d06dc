"""Digital twins: baseline gait → a posterior over the patient's musculoskeletal parameters.

An amortised posterior ``q(θ | measures, covariates)`` (a conditional normalising flow
with affine couplings, :class:`~trialsim.generative.model.ConditionalFlow`) is trained
by simulation: θ is drawn from the simulation library's design (its phenotype mix and
ranges; ``motor_noise`` log-uniform on 0.5–4), the generator produces one day's gait at
the self-selected speed (or at the design's imposed speed, ``speed_mode="imposed"``,
to match library solves), the chosen device adds its measurement error, and the flow
learns θ back from the measures plus the known covariates (height, mass, age). Trained
on the prior predictive, its intervals are calibrated by construction where the
generator is right; :func:`twin_calibration` measures it on held-out draws.

Inferred: ``neural_drive``, ``passive_stiffness``, ``activation_time_scale``,
``motor_noise``, ``vigour``, ``joint_rigidity`` (the free-speed physics' PD parameters: the
ones disease progression slows through) and the bilateral strength and fibre length of the
six muscle groups.
Per-side multipliers are not inferred (kept at 1). Parameters are modelled on the
logit of their position in the registry range, so draws always stay in range. In
self-selected mode the twin also infers the patient's per-body speed effect
(``speed_effect_z``; prior the cohort's own effect distribution, N(0, 1) by default): the trial draws one per patient (calibrated to the
cohort's published targets where it names them), and a twin that could not see it would
read a fast walker's preference as stronger muscles.

The predicted control-arm outcome of a twin is the endpoint's distribution over
posterior draws of θ (plus day-to-day variability) at the follow-up age; disease
progression is *not* modelled here (no severity is inferred), so it is the
prognostic input for PROCOVA, not a progression forecast.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from trialsim.generative.simulator import SPEED_EFFECT_KEY, SPEED_KEY, GeneratorSimulator
from trialsim.physiology.parameters import MUSCLE_GROUPS, PARAMETERS
from trialsim.spec.names import GAIT_MEASURES

INFERRED: tuple[str, ...] = (
    "neural_drive", "passive_stiffness", "activation_time_scale", "motor_noise", "vigour", "joint_rigidity",
    *(f"strength_{g}" for g in MUSCLE_GROUPS), *(f"fiber_length_{g}" for g in MUSCLE_GROUPS),
)
#: the per-body speed effect (``SPEED_EFFECT_KEY``, standard-normal units of the speed head's τ) is a
#: latent the twin also infers in self-selected mode: a patient's speed is part body, part preference.
#: Its default prior: the physics-trained N(0, 1); a trial passes its cohort's own
#: (calibrated) distribution, ``speed_effect_prior=(shift, scale)``
SPEED_EFFECT_PRIOR = (0.0, 1.0)
COVARIATE_INPUTS: tuple[str, ...] = ("height_m", "body_mass_kg", "age_years")
MOTOR_NOISE_PRIOR = (0.5, 4.0)
_EPS = 1e-4
#: fraction of a parameter's range over which prior mass sitting on a bound is spread
BOUND_JITTER = 0.03


def inferred_names(speed_mode: str) -> tuple[str, ...]:
    """What the twin infers: the physics parameters, and the speed effect when speed is chosen."""
    return (*INFERRED, SPEED_EFFECT_KEY) if speed_mode == "self_selected" else INFERRED


def _to_unit(name: str, v: np.ndarray) -> np.ndarray:
    if name == SPEED_EFFECT_KEY:  # unbounded already
        return np.asarray(v, dtype=float)
    p = PARAMETERS[name]
    u = np.clip((v - p.low) / (p.high - p.low), _EPS, 1 - _EPS)
    return np.log(u / (1 - u))


def _from_unit(name: str, z: np.ndarray) -> np.ndarray:
    if name == SPEED_EFFECT_KEY:
        return np.asarray(z, dtype=float)
    p = PARAMETERS[name]
    return p.low + (p.high - p.low) / (1.0 + np.exp(-z))


def prior_draws(n: int, *, seed: int, speed_mode: Literal["self_selected", "imposed"] = "self_selected",
                speed_effect_prior: tuple[float, float] = SPEED_EFFECT_PRIOR) -> dict[str, np.ndarray]:
    """θ and covariates from the library design (plus motor noise and, if imposed, speed)."""
    from trialsim.musculoskeletal.library_v2 import design

    samples = design(n, seed=seed + 1)  # the free-speed physics' design (vigour, rigidity); not the library's seed
    out = {name: np.array([s["params"].get(name, PARAMETERS[name].nominal) for s in samples]) for name in (*INFERRED, *COVARIATE_INPUTS)}
    lo, hi = MOTOR_NOISE_PRIOR
    rng = np.random.default_rng([seed, 21])
    out["motor_noise"] = np.exp(rng.uniform(np.log(lo), np.log(hi), n))
    for name in INFERRED:  # smooth point masses at a range bound (e.g. healthy drive = 1.0) into the range
        p = PARAMETERS[name]
        jitter = rng.uniform(0.0, BOUND_JITTER, n) * (p.high - p.low)
        v = out[name]
        out[name] = np.where(v >= p.high, p.high - jitter, np.where(v <= p.low, p.low + jitter, v))
    for side_name in PARAMETERS:
        if side_name.endswith(("_l", "_r")):
            vals = np.array([s["params"].get(side_name, 1.0) for s in samples])
            if np.any(vals != 1.0):
                out[side_name] = vals
    if speed_mode == "imposed":  # the free-speed design has no speeds: the imposed-speed (v1) design's,
        # as a speed relative to its own body's height, rescaled to this body's (Froude-like centre speed)
        from trialsim.musculoskeletal.library import design as imposed_design
        from trialsim.physiology.parameters import centre_speed_m_s

        v1 = imposed_design(n, seed=seed + 1)
        relative = np.array([s["speed_m_s"] / centre_speed_m_s(s["params"].get("height_m", PARAMETERS["height_m"].nominal))
                             for s in v1])
        out[SPEED_KEY] = relative * centre_speed_m_s(out["height_m"])
    else:  # its own stream: the draws above do not change
        mean, sd = speed_effect_prior
        out[SPEED_EFFECT_KEY] = mean + sd * np.random.default_rng([seed, 25]).standard_normal(n)
    return out


@dataclass
class TwinModel:
    """A trained amortised posterior (see module docs)."""

    flow: Any
    measures: tuple[str, ...]
    x_mean: np.ndarray
    x_sd: np.ndarray
    y_mean: np.ndarray
    y_sd: np.ndarray
    device: str | None
    speed_mode: str
    inferred: tuple[str, ...] = INFERRED
    speed_effect_prior: tuple[float, float] = SPEED_EFFECT_PRIOR

    def _x(self, observed: Mapping[str, np.ndarray], covariates: Mapping[str, np.ndarray]) -> np.ndarray:
        cols = [np.asarray(observed[m], dtype=float) for m in self.measures]
        cols += [np.asarray(covariates.get(c, np.full(len(cols[0]), PARAMETERS[c].nominal)), dtype=float) for c in COVARIATE_INPUTS]
        return (np.column_stack(cols) - self.x_mean) / self.x_sd

    def sample_posterior(
        self, observed: Mapping[str, np.ndarray], covariates: Mapping[str, np.ndarray], *, draws: int,
        rng: np.random.Generator,
    ) -> dict[str, np.ndarray]:
        """Posterior draws ``(n, draws)`` of every inferred parameter."""
        import torch

        x = self._x(observed, covariates)
        n = len(x)
        z = rng.standard_normal((n * draws, len(self.inferred)))
        with torch.no_grad():
            y = self.flow.transform(torch.as_tensor(z, dtype=torch.float32),
                                    torch.as_tensor(np.repeat(x, draws, axis=0), dtype=torch.float32)).numpy()
        y = y.astype(float) * self.y_sd + self.y_mean
        return {name: _from_unit(name, y[:, j]).reshape(n, draws) for j, name in enumerate(self.inferred)}


def _simulate_observed(generator: GeneratorSimulator, theta: Mapping[str, np.ndarray], *, device: str | None,
                       rng: np.random.Generator) -> dict[str, np.ndarray]:
    gait = generator.simulate(theta, rng=rng)
    if device is None:
        return gait
    from trialsim.sensors.devices import measure

    observed = measure(gait, device=device, rng=rng)
    return {m: observed.get(m, gait[m]) for m in gait}


def fit_twin(
    generator: GeneratorSimulator, *, measures: Sequence[str], device: str | None = None, n_train: int = 2048,
    seed: int = 0, steps: int = 800, speed_mode: Literal["self_selected", "imposed"] = "self_selected",
    speed_effect_prior: tuple[float, float] = SPEED_EFFECT_PRIOR,
) -> TwinModel:
    """Train the amortised posterior on generator draws (deterministic for a seed).

    ``speed_effect_prior`` (mean, SD) is the per-body speed effect's prior in self-selected
    mode: the population the twin will be applied to (a trial passes its cohort's).

    Examples
    --------
    >>> from trialsim.generative.loader import load_default_generator
    >>> twin = fit_twin(load_default_generator(), measures=["gait_speed_m_s", "cadence_steps_min"])  # doctest: +SKIP
    """
    import torch

    from trialsim.generative.model import ConditionalFlow
    from trialsim.generative.train import deterministic_torch

    unknown = [m for m in measures if m not in GAIT_MEASURES]
    if unknown or not measures:
        raise ValueError(f"twin measures must be gait measures, got {list(measures)}")
    theta = prior_draws(n_train, seed=seed, speed_mode=speed_mode, speed_effect_prior=speed_effect_prior)
    observed = _simulate_observed(generator, theta, device=device, rng=np.random.default_rng([seed, 22]))
    x_raw = np.column_stack([observed[m] for m in measures] + [theta[c] for c in COVARIATE_INPUTS])
    inferred = inferred_names(speed_mode)
    y_raw = np.column_stack([_to_unit(name, theta[name]) for name in inferred])
    x_mean, x_sd = x_raw.mean(0), np.where(x_raw.std(0) > 1e-9, x_raw.std(0), 1.0)
    y_mean, y_sd = y_raw.mean(0), np.where(y_raw.std(0) > 1e-9, y_raw.std(0), 1.0)
    x = torch.as_tensor((x_raw - x_mean) / x_sd, dtype=torch.float32)
    y = torch.as_tensor((y_raw - y_mean) / y_sd, dtype=torch.float32)
    gen = torch.Generator().manual_seed(seed)
    with deterministic_torch(1):
        flow = ConditionalFlow(x.shape[1], y.shape[1], hidden=48, n_coupling=4)
        with torch.no_grad():
            for module in flow.modules():
                if isinstance(module, torch.nn.Linear) and module.weight.abs().sum() > 0:
                    module.weight.copy_(torch.randn(module.weight.shape, generator=gen) / np.sqrt(module.weight.shape[1]))
                    module.bias.zero_()
        opt = torch.optim.Adam(flow.parameters(), lr=5e-3)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0 - 0.9 * s / steps)
        for _ in range(steps):
            opt.zero_grad()
            loss = -flow.log_prob(y, x).mean() + flow.penalty(linear=1.0, network=1.0) / len(x)
            loss.backward()
            opt.step()
            sched.step()
    flow.eval()
    return TwinModel(flow, tuple(measures), x_mean, x_sd, y_mean, y_sd, device, speed_mode, inferred,
                     speed_effect_prior)


def twin_calibration(
    generator: GeneratorSimulator, twin: TwinModel, *, n: int = 500, seed: int = 1, draws: int = 200,
) -> dict[str, Any]:
    """Coverage of the 90 % posterior intervals on held-out simulated patients (fresh seed)."""
    theta = prior_draws(n, seed=seed + 1000, speed_mode=twin.speed_mode,  # type: ignore[arg-type]
                        speed_effect_prior=twin.speed_effect_prior)
    observed = _simulate_observed(generator, theta, device=twin.device, rng=np.random.default_rng([seed, 23]))
    post = twin.sample_posterior(observed, theta, draws=draws, rng=np.random.default_rng([seed, 24]))
    return interval_coverage(post, theta)


def interval_coverage(post: Mapping[str, np.ndarray], truth: Mapping[str, np.ndarray]) -> dict[str, Any]:
    """Per-parameter 90 % interval coverage and posterior/prior SD ratio."""
    per = {}
    for name in post:
        if name not in truth:
            continue
        lo, hi = np.quantile(post[name], [0.05, 0.95], axis=1)
        t = np.asarray(truth[name])
        # a truth sitting on a range bound counts as covered within the prior's bound smoothing
        low, high = (PARAMETERS[name].low, PARAMETERS[name].high) if name in PARAMETERS else (-np.inf, np.inf)
        tol = BOUND_JITTER * (high - low) if name in PARAMETERS else 0.0
        per[name] = {"coverage_90": float(((t >= lo - tol * (lo - tol <= low)) & (t <= hi + tol * (hi + tol >= high))).mean()),
                     "mean_abs_error": float(np.abs(post[name].mean(axis=1) - t).mean()),
                     "posterior_sd_over_prior_sd": float(post[name].std(axis=1).mean() / (t.std() + 1e-12))}
    return {"parameters": per, "coverage_90_mean": float(np.mean([v["coverage_90"] for v in per.values()]))}


def predict_control_outcome(
    generator: GeneratorSimulator, post: Mapping[str, np.ndarray], covariates: Mapping[str, np.ndarray], *,
    endpoint: str, followup_weeks: float, rng: np.random.Generator,
) -> np.ndarray:
    """Endpoint draws ``(n, draws)`` for each twin at follow-up (control arm, no progression)."""
    n, draws = next(iter(post.values())).shape
    params: dict[str, np.ndarray] = dict(post)
    for c in COVARIATE_INPUTS:
        value = np.asarray(covariates.get(c, np.full(n, PARAMETERS[c].nominal)), dtype=float)
        if c == "age_years":
            value = np.clip(value + followup_weeks / 52.0, PARAMETERS[c].low, PARAMETERS[c].high)
        params[c] = np.repeat(value[:, None], draws, axis=1)
    return generator.simulate(params, rng=rng)[endpoint]


def make_twins(
    baseline: Any, *, generator: GeneratorSimulator, endpoint: str = "gait_speed_m_s", followup_weeks: float = 24.0,
    device: str | None = None, draws: int = 200, seed: int = 0, n_train: int = 2048, steps: int = 800,
) -> Any:
    """One row per baseline patient: posterior summaries of θ and the predicted control outcome.

    ``baseline`` is a DataFrame with gait-measure columns (at least one) and, where
    known, ``height_m``, ``body_mass_kg``, ``age_years``; other columns are copied.
    """
    import pandas as pd

    measures = [m for m in GAIT_MEASURES if m in baseline.columns]
    twin = fit_twin(generator, measures=measures, device=device, n_train=n_train, seed=seed, steps=steps)
    observed = {m: baseline[m].to_numpy(float) for m in measures}
    covariates = {c: baseline[c].to_numpy(float) for c in COVARIATE_INPUTS if c in baseline.columns}
    post = twin.sample_posterior(observed, covariates, draws=draws, rng=np.random.default_rng([seed, 31]))
    outcome = predict_control_outcome(generator, post, covariates, endpoint=endpoint, followup_weeks=followup_weeks,
                                      rng=np.random.default_rng([seed, 32]))
    out = baseline.copy()
    for name in twin.inferred:
        d = post[name]
        out[f"{name}_mean"] = d.mean(axis=1)
        out[f"{name}_sd"] = d.std(axis=1)
        out[f"{name}_q05"], out[f"{name}_q95"] = np.quantile(d, [0.05, 0.95], axis=1)
    out[f"predicted_control_{endpoint}_mean"] = outcome.mean(axis=1)
    out[f"predicted_control_{endpoint}_sd"] = outcome.std(axis=1)
    out[f"predicted_control_{endpoint}_q05"], out[f"predicted_control_{endpoint}_q95"] = np.quantile(outcome, [0.05, 0.95], axis=1)
    out.attrs["twin"] = {"measures": measures, "device": device, "followup_weeks": followup_weeks, "draws": draws,
                         "seed": seed, **generator.provenance()}
    return pd.DataFrame(out)
