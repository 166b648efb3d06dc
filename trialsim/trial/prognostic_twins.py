"""Digital twins of enrolled patients as the trial's prognostic score (PROCOVA).

At baseline each patient is measured by the study's device (every gait measure
the device reports). The generator's inverse model
(:func:`trialsim.generative.twin.fit_twin`, trained on the generator through the
same device) turns those measures plus height, mass and age into posterior draws
of the patient's musculoskeletal parameters. Each draw is moved by the typical
control-arm progression of a patient with the same covariates and clinical
severity (known at screening), walked through the generator at the primary
visit, and averaged: the twin's predicted control outcome. The prognostic score
is that prediction minus the patient's observed baseline (a predicted change).

The inverse model is trained once per study and generator (cached in-process);
training is seeded and single-threaded, so the score is reproducible bit for bit.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from trialsim.generative.protocol import GaitSimulator
from trialsim.generative.simulator import GeneratorSimulator
from trialsim.generative.twin import (
    COVARIATE_INPUTS,
    INFERRED,
    SPEED_EFFECT_PRIOR,
    TwinModel,
    fit_twin,
    predict_control_outcome,
)
from trialsim.physiology.parameters import MUSCLE_GROUPS, PARAMETERS, SIDES, pair_strength
from trialsim.seeding import stream
from trialsim.sensors.devices import DEVICES, measure
from trialsim.spec.loading import LoadedStudy
from trialsim.spec.names import GAIT_MEASURES
from trialsim.trial.speed_effect import speed_effect_for

#: posterior draws per patient (MC error of the score ≈ posterior SD / 8)
TWIN_DRAWS = 64
_TWINS: dict[tuple[object, ...], TwinModel] = {}


def progression_shift(typical: Mapping[str, np.ndarray], visit: int) -> dict[str, np.ndarray]:
    """The typical parameter change from baseline to ``visit`` in the twin's parameters (per patient).

    ``typical`` holds ``(n, visits)`` trajectories. The twin infers bilateral parameters only
    (its generator inputs keep both sides at 1), so a one-sided change — a stroke patient's
    paretic strength as Fugl-Meyer progresses — is folded into the bilateral strength it
    stands for: the change of its :func:`~trialsim.physiology.parameters.pair_strength` (what the
    reference model propels with), instead of being dropped.

    >>> t = {"strength_plantarflexors": np.array([[1.0, 1.0]]),
    ...      "strength_plantarflexors_l": np.array([[0.5, 0.4]]), "strength_plantarflexors_r": np.array([[1.0, 1.0]])}
    >>> progression_shift(t, 1)["strength_plantarflexors"].round(3).tolist()
    [-0.095]
    """
    out = {name: np.asarray(typical[name][:, visit] - typical[name][:, 0], dtype=float)
           for name in INFERRED if name in typical and np.ndim(typical[name]) == 2}
    for group in MUSCLE_GROUPS:
        left, right = (typical.get(f"strength_{group}_{side}") for side in SIDES)
        bilateral = typical.get(f"strength_{group}")
        if bilateral is None or left is None or right is None or not np.ndim(bilateral) == np.ndim(left) == np.ndim(right) == 2:
            continue
        effective = pair_strength(bilateral, left, right)
        out[f"strength_{group}"] = effective[:, visit] - effective[:, 0]
    return out


def generator_for_twins(simulator: GaitSimulator) -> GeneratorSimulator:
    """The simulator itself when it is the generator, else the shipped generator.

    With ``simulator: reference`` the trial's patients come from the statistical model
    and their twins from the physics-trained generator: a twin applied to patients it
    was not trained on, as it would be to real ones.
    """
    if isinstance(simulator, GeneratorSimulator):
        return simulator
    from trialsim.generative.loader import load_default_generator

    return load_default_generator()


def study_twin(loaded: LoadedStudy, generator: GeneratorSimulator) -> TwinModel:
    """The study's inverse model (trained on first use, then cached per device, seed, checkpoint and
    the cohort's speed-effect distribution, which is the twin's prior for each patient's effect)."""
    device = loaded.spec.endpoint.device
    measures = tuple(m for m in DEVICES[device].measures() if m in GAIT_MEASURES)
    effect = speed_effect_for(loaded.cohort, generator)
    prior = SPEED_EFFECT_PRIOR if effect is None else (effect.shift, effect.scale)
    key = (device, loaded.spec.seed, generator.provenance()["checkpoint_sha256"], measures, prior)
    if key not in _TWINS:
        _TWINS[key] = fit_twin(generator, measures=measures, device=device, seed=loaded.spec.seed,
                               speed_effect_prior=prior)
    return _TWINS[key]


def twin_predicted_change(
    loaded: LoadedStudy, *, baseline_gait: Mapping[str, np.ndarray], observed_baseline: np.ndarray,
    covariates: Mapping[str, np.ndarray], progression_shift: Mapping[str, np.ndarray],
    key: tuple[object, ...], simulator: GaitSimulator,
) -> np.ndarray:
    """Each patient's twin-predicted control change at the primary visit (endpoint units, raw sign).

    ``baseline_gait`` is the patients' true baseline-day gait (measured here through
    the device, the endpoint replaced by ``observed_baseline``, the value the trial
    recorded); ``progression_shift`` is the typical parameter change from baseline
    to the primary visit, per patient.

    Examples
    --------
    >>> score = twin_predicted_change(loaded, baseline_gait=enrolled.baseline_gait,
    ...     observed_baseline=observed[:, 0], covariates=enrolled.candidates.covariates,
    ...     progression_shift={}, key=("trial", 0, "control"), simulator=generator)  # doctest: +SKIP
    """
    study = loaded.spec
    endpoint = study.endpoint.measure
    generator = generator_for_twins(simulator)
    twin = study_twin(loaded, generator)
    observed = {  # one stream per measure: patient j's noise never depends on how many follow
        name: measure({name: baseline_gait[name]}, device=study.endpoint.device,
                      rng=stream(study.seed, *key, "twin_baseline", name))[name]
        for name in twin.measures if name != endpoint
    }
    observed[endpoint] = np.asarray(observed_baseline, dtype=float)
    cov = {c: np.asarray(covariates[c], dtype=float) for c in COVARIATE_INPUTS if c in covariates}
    post = twin.sample_posterior(observed, cov, draws=TWIN_DRAWS, rng=stream(study.seed, *key, "twin_posterior"))
    n = len(observed_baseline)
    for name in INFERRED:
        shift = np.broadcast_to(np.asarray(progression_shift.get(name, 0.0), dtype=float), (n,))
        p = PARAMETERS[name]
        post[name] = np.clip(post[name] + shift[:, None], p.low, p.high)
    predicted = predict_control_outcome(
        generator, post, cov, endpoint=endpoint, followup_weeks=float(study.endpoint.visit_week),
        rng=stream(study.seed, *key, "twin_outcome"),
    )
    return np.asarray(predicted.mean(axis=1) - np.asarray(observed_baseline, dtype=float))
