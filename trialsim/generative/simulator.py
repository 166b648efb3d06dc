"""The trained generator as a :class:`~trialsim.generative.protocol.GaitSimulator`.

Self-selected speed is learned from the bodies whose choice the physics made
(:mod:`trialsim.generative.speed_model`: a regression on the body plus a per-body random
effect) when the checkpoint carries that head. Without it (checkpoints before session 4),
it comes from the physics' rule: the library records each solve's metabolic
cost of transport at its imposed speed, ``CoT = (work_rate + basal) / speed`` (joint
work plus a basal 1.2 W/kg, :func:`trialsim.musculoskeletal.measures.cost_of_transport`).
The generator predicts the work rate at any speed, so a patient without a given speed walks at the minimum of predicted cost
of transport over a grid spanning the library's relative speeds (25 points, refined by
a parabola through the best three) — the same rule
:func:`trialsim.musculoskeletal.simulate_gait` applies to three solves.

Between bodies (``predictive=True`` with an ``rng``: a new body drawn for each row): the
speed head's random effect (``τ·u``, the between-body variation of the chosen speed that
the parameters do not explain; a persistent ``u`` per patient can be passed as the
``speed_effect_z`` key) and the flow's predictive residual of the gait at that speed.
``predictive=False`` gives the typical gait of the parameters.

Variability within a body (optimal-control gaits are deterministic, so it is added here):

- **stride-to-stride**: stride-time CV = 1.6 % × ``motor_noise`` × (1 + 0.6 × slowness),
  slowness = ``max(0, 1 − v / v_centre)``. Healthy adults 1.5–2 %, higher in
  Parkinson's disease (Hausdorff 2009, Chaos 19:026113); slow walking is more
  variable. ``motor_noise`` (1.0 = healthy adult) scales it linearly.
- **day to day** (``rng`` given): the self-selected speed varies with a log-SD of
  0.035 (≈ 0.045 m/s at 1.3 m/s; the MDC95 of 0.09 m/s of the 10 m walk, REFERENCE §3,
  bounds test–retest variability from above), and every other measure follows it
  through the learned physics at that day's speed; the CV varies with log-SD 0.15.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from trialsim.generative.checkpoint import GeneratorBundle
from trialsim.generative.dataset import derived_measures, parameter_features
from trialsim.generative.speed_model import clip_log_relative_speed
from trialsim.physiology.parameters import PARAMETERS, centre_speed_m_s
from trialsim.spec.names import GAIT_MEASURES

HEALTHY_STRIDE_TIME_CV_PCT = 1.6
SLOW_WALK_CV_GAIN = 0.6
DAY_TO_DAY_LOG_SD = 0.035
DAY_TO_DAY_CV_LOG_SD = 0.15
SPEED_GRID_POINTS = 25
#: extra input accepted beside the physics parameters: an imposed speed (m/s)
SPEED_KEY = "speed_m_s"
#: extra input: a patient's own standard-normal speed effect (persistent across visits)
SPEED_EFFECT_KEY = "speed_effect_z"


@dataclass(frozen=True)
class GeneratedGait:
    """Generated gaits of ``n`` patients: measures ``(n,)``, curves ``(n, points, channels)``."""

    measures: dict[str, np.ndarray]
    curves: np.ndarray
    curve_names: tuple[str, ...]
    gait_cycle_pct: np.ndarray
    cost_of_transport: np.ndarray
    self_selected: np.ndarray


def stride_time_cv_pct(motor_noise: np.ndarray, speed_m_s: np.ndarray, height_m: np.ndarray) -> np.ndarray:
    """Typical stride-time CV (%) for a motor-noise level at a speed (see module docs)."""
    slowness = np.clip(1.0 - np.asarray(speed_m_s) / centre_speed_m_s(height_m), 0.0, None)
    return HEALTHY_STRIDE_TIME_CV_PCT * np.asarray(motor_noise, dtype=float) * (1.0 + SLOW_WALK_CV_GAIN * slowness)


class GeneratorSimulator:
    """Physics-trained generator (PCA + conditional flow); see :mod:`trialsim.generative.model`."""

    name = "generator"

    def __init__(self, bundle: GeneratorBundle) -> None:
        self.bundle = bundle
        self._weights: dict[str, np.ndarray] | None = None

    def provenance(self) -> dict[str, str]:
        b = self.bundle
        return {
            "simulator": "generator", "simulator_version": "1",
            "model": "PCA of curves + conditional normalising flow (torch)",
            "checkpoint_sha256": b.sha256, "library_sha256": b.library_sha256,
            "n_train_simulations": str(b.n_train),
            "speed_model": "learned self-selected speed + per-body random effect" if b.speed_head is not None
            else "minimum of predicted cost of transport",
        }

    # -- core -----------------------------------------------------------------
    def _numpy_weights(self) -> dict[str, np.ndarray]:
        """The affine layer's weights as float64 numpy (fast path when there are no couplings)."""
        if self._weights is None:
            sd = {k: v.detach().double().numpy() for k, v in self.bundle.flow.state_dict().items()}
            self._weights = {"wl": sd["linear.weight"], "bl": sd["linear.bias"], "w1": sd["mlp.0.weight"],
                             "b1": sd["mlp.0.bias"], "w2": sd["mlp.2.weight"], "b2": sd["mlp.2.bias"]}
        return self._weights

    def _mean_np(self, x: np.ndarray) -> np.ndarray:
        w = self._numpy_weights()
        d = self.bundle.flow.y_dim
        hidden = np.tanh(x @ w["w1"].T + w["b1"])
        return x @ w["wl"].T + w["bl"] + hidden @ w["w2"][:d].T + w["b2"][:d]

    def _y(self, x: np.ndarray, z: np.ndarray | None) -> np.ndarray:
        import torch

        if z is None and len(self.bundle.flow.couplings) == 0:
            return self._mean_np(x)

        with torch.no_grad():
            xt = torch.as_tensor(x, dtype=torch.float32)
            flow = self.bundle.flow
            if z is None and len(flow.couplings) == 0:
                y = flow.loc_scale(xt)[0]
            else:
                zt = torch.zeros((len(x), flow.y_dim)) if z is None else torch.as_tensor(z, dtype=torch.float32)
                y = flow.transform(zt, xt)
        return y.numpy().astype(float)

    def _inputs(self, pf: np.ndarray, log_rel_speed: np.ndarray) -> np.ndarray:
        return 2.0 * np.column_stack([pf, log_rel_speed])

    def _targets(self, pf: np.ndarray, log_rel: np.ndarray, z: np.ndarray | None = None) -> np.ndarray:
        return self.bundle.codec.decode_targets(self._y(self._inputs(pf, log_rel), z))

    def self_selected_speed(self, pf: np.ndarray, height_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Speed of minimum predicted cost of transport, and that cost, per patient."""
        lo, hi = self.bundle.log_relative_speed_range
        grid = np.linspace(lo, hi, SPEED_GRID_POINTS) if hi > lo else np.array([lo])
        n, g = len(pf), len(grid)
        if len(self.bundle.flow.couplings) == 0:
            # only the log-work-rate output is needed: the parameter part of every
            # pre-activation is computed once, the speed enters as a rank-one term
            w, x = self._numpy_weights(), self._inputs(pf, np.zeros(n))
            s = 2.0 * grid
            lin = (x @ w["wl"][4] + w["bl"][4])[:, None] + s[None, :] * w["wl"][4, -1]
            pre = (x @ w["w1"].T + w["b1"])[:, None, :] + s[None, :, None] * w["w1"][:, -1][None, None, :]
            mlp = np.tanh(pre) @ w["w2"][4] + w["b2"][4]
            log_work = (lin + mlp) * self.bundle.codec.target_sd[4] + self.bundle.codec.target_mean[4]
            work = np.exp(log_work)
        else:
            x_pf = np.repeat(pf, g, axis=0)
            x_rel = np.tile(grid, n)
            work = np.exp(self._targets(x_pf, x_rel)[:, 4]).reshape(n, g)
        speeds = centre_speed_m_s(height_m)[:, None] * np.exp(grid)[None, :]
        cot = (work + self.bundle.basal_rate_w_kg) / speeds
        k = np.argmin(cot, axis=1)
        best = grid[k]
        if g >= 3:  # parabola through the best point and its neighbours, in log speed
            kk = np.clip(k, 1, g - 2)
            rows = np.arange(n)
            c0, c1, c2 = cot[rows, kk - 1], cot[rows, kk], cot[rows, kk + 1]
            denom = c0 - 2 * c1 + c2
            step = grid[1] - grid[0]
            offset = np.where(denom > 1e-12, 0.5 * (c0 - c2) / np.where(denom > 1e-12, denom, 1.0), 0.0)
            refined = grid[kk] + np.clip(offset, -1.0, 1.0) * step
            interior = (k > 0) & (k < g - 1)
            best = np.where(interior, refined, best)
        return best, cot.min(axis=1)

    def chosen_log_relative_speed(self, pf: np.ndarray, height_m: np.ndarray) -> np.ndarray:
        """The typical body's self-selected log speed relative to the centre speed for its height."""
        head = self.bundle.speed_head
        if head is None:
            return self.self_selected_speed(pf, height_m)[0]
        base = self.self_selected_speed(pf, height_m)[0] if head.base == "cost_minimum" else 0.0
        return self.clip_log_relative_speed(head.mean_log_relative(pf, base))

    def self_selected_speed_m_s(self, params: Mapping[str, np.ndarray], effect_z: np.ndarray | float = 0.0) -> np.ndarray:
        """The chosen speed (m/s) of ``(n,)`` bodies with speed effects ``effect_z`` (no day-to-day
        noise); what :meth:`generate` gives with ``speed_effect_z``. Needs a checkpoint with a speed head."""
        head = self.bundle.speed_head
        if head is None:
            raise ValueError("this generator checkpoint has no learned speed (retrain it with speed_head)")
        arrays = {k: np.asarray(v, dtype=float) for k, v in params.items() if k in PARAMETERS}
        n = len(next(iter(arrays.values())))
        height = arrays.get("height_m", np.full(n, PARAMETERS["height_m"].nominal))
        base = self.chosen_log_relative_speed(parameter_features(arrays, n, self.bundle.feature_names), height)
        return centre_speed_m_s(height) * np.exp(self.clip_log_relative_speed(base + head.tau * np.asarray(effect_z, dtype=float)))

    def clip_log_relative_speed(self, log_rel: np.ndarray) -> np.ndarray:
        """A learned speed kept within the library's relative speeds (± ``SPEED_MARGIN_LOG``)."""
        return clip_log_relative_speed(log_rel, self.bundle.log_relative_speed_range)

    def generate(
        self, params: Mapping[str, np.ndarray], *, rng: np.random.Generator | None = None,
        predictive: bool = False, with_curves: bool = True, day_to_day: bool = True,
    ) -> GeneratedGait:
        """Measures and curves for flat ``(n,)`` parameter arrays (and optional ``speed_m_s``).

        ``predictive=True`` draws each row as a new body from the generator's full
        predictive distribution (what a new physics solve could give: the speed head's
        per-body effect and the flow's residual), which needs ``rng``; otherwise the
        typical gait at the parameters. With
        ``rng`` and ``day_to_day`` (default) the gait is one day's, with the
        within-patient variability of the module docs.
        """
        arrays = {k: np.asarray(v, dtype=float) for k, v in params.items()
                  if k in PARAMETERS or k in (SPEED_KEY, SPEED_EFFECT_KEY)}
        shape = np.broadcast_shapes(*(a.shape for a in arrays.values())) if arrays else ()
        n = int(np.prod(shape)) if shape else 1
        flat = {k: np.broadcast_to(a, shape).reshape(n) for k, a in arrays.items()}
        height = flat.get("height_m", np.full(n, PARAMETERS["height_m"].nominal))
        noise = flat.get("motor_noise", np.full(n, PARAMETERS["motor_noise"].nominal))
        pf = parameter_features(flat, n, self.bundle.feature_names)
        day = rng.standard_normal((n, 2)) if rng is not None and day_to_day else None
        given = flat.get(SPEED_KEY)
        if given is not None:
            log_rel = np.log(np.clip(given, 0.05, None) / centre_speed_m_s(height))
            self_selected = np.zeros(n, bool)
        else:
            log_rel = self.chosen_log_relative_speed(pf, height)
            self_selected = np.ones(n, bool)
        if predictive and rng is None:
            raise ValueError("predictive draws need an rng")
        if day is not None and given is None:  # an imposed speed (treadmill) is exact
            log_rel = log_rel + DAY_TO_DAY_LOG_SD * day[:, 0]
        z = rng.standard_normal((n, self.bundle.flow.y_dim)) if predictive and rng is not None else None
        head = self.bundle.speed_head
        if given is None and head is not None:
            effect = flat.get(SPEED_EFFECT_KEY)
            if effect is None and predictive and rng is not None:
                effect = rng.standard_normal(n)
            if effect is not None:
                log_rel = self.clip_log_relative_speed(log_rel + head.tau * effect)
        speed = centre_speed_m_s(height) * np.exp(log_rel)
        y = self._y(self._inputs(pf, log_rel), z)
        codec = self.bundle.codec
        targets = codec.decode_targets(y)
        measures = derived_measures(speed, targets)
        cv = stride_time_cv_pct(noise, speed, height)
        if day is not None:
            cv = cv * np.exp(DAY_TO_DAY_CV_LOG_SD * day[:, 1])
        measures["stride_time_cv_pct"] = cv
        cot = (np.exp(targets[:, 4]) + self.bundle.basal_rate_w_kg) / speed
        return GeneratedGait(
            measures={k: measures[k].reshape(shape) for k in GAIT_MEASURES},
            curves=codec.decode_curves(y) if with_curves else np.empty((n, 0, 0)), curve_names=self.bundle.curve_names,
            gait_cycle_pct=self.bundle.gait_cycle_pct, cost_of_transport=cot.reshape(shape),
            self_selected=self_selected.reshape(shape),
        )

    def simulate(
        self, params: Mapping[str, np.ndarray], *, rng: np.random.Generator | None = None
    ) -> dict[str, np.ndarray]:
        """Gait measures (GAIT_MEASURES names) of the broadcast shape of ``params``.

        Examples
        --------
        >>> from trialsim.generative.loader import load_default_generator
        >>> gen = load_default_generator()  # doctest: +SKIP
        >>> gen.simulate({"neural_drive": np.array([1.0, 0.7])})["gait_speed_m_s"]  # doctest: +SKIP
        """
        return self.generate(params, rng=rng, with_curves=False).measures
