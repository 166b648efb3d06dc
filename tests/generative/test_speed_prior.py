"""The speed-direction shape prior: it penalises exactly the wrong-way dependence."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from trialsim.generative.dataset import FEATURE_PARAMETERS, TARGETS  # noqa: E402
from trialsim.generative.model import ConditionalFlow  # noqa: E402
from trialsim.generative.train import SpeedPrior, _speed_direction_penalty  # noqa: E402

WORK = TARGETS.index("log_work_rate_w_kg")
STRENGTH = FEATURE_PARAMETERS.index("strength_plantarflexors")


def _flow_with_work_slopes(strength_slope: float, speed_slope: float = 1.5) -> ConditionalFlow:
    """Log work rate linear in speed and plantar-flexor strength, nothing else."""
    x_dim = len(FEATURE_PARAMETERS) + 1
    flow = ConditionalFlow(x_dim, len(TARGETS))
    with torch.no_grad():
        flow.linear.weight[WORK, -1] = speed_slope
        flow.linear.weight[WORK, STRENGTH] = strength_slope
    return flow


def _penalty(flow: ConditionalFlow) -> float:
    prior = SpeedPrior(columns=(STRENGTH,), signs=(1.0,), work_mean=0.5, work_sd=1.0, log_basal=float(np.log(1.2)))
    probes = torch.as_tensor(np.random.default_rng(0).uniform(-0.5, 0.5, (64, flow.x_dim)), dtype=torch.float32)
    return float(_speed_direction_penalty(flow, probes, prior))


def test_no_penalty_when_strength_lowers_the_work_of_walking():
    # stronger → less work at every speed → the basal share grows → the optimum moves faster
    assert _penalty(_flow_with_work_slopes(-0.8)) == 0.0


def test_penalty_when_strength_would_slow_the_chosen_speed():
    # stronger → more work → the optimum moves slower: the wrong way, penalised
    assert _penalty(_flow_with_work_slopes(+0.8)) > 1e-4
    assert _penalty(_flow_with_work_slopes(+1.6)) > _penalty(_flow_with_work_slopes(+0.8))


def test_prior_directions_cover_weakness_contracture_and_pd():
    from trialsim.generative.speed_model import speed_direction

    assert speed_direction("strength_plantarflexors_l") == 1.0
    assert speed_direction("neural_drive") == 1.0
    # shorter fibres (contracture) never speed a patient up: the physics slows (0.88 vs 1.20 m/s)
    assert speed_direction("fiber_length_knee_flexors") == 1.0
    assert speed_direction("passive_stiffness") == -1.0
    assert speed_direction("activation_time_scale") == -1.0
    assert speed_direction("height_m") is None
    assert speed_direction("vigour") == 1.0  # physics v2: more vigour never slows the chosen speed
    assert speed_direction("joint_rigidity") == -1.0
