"""The learned self-selected speed with its per-body random effect (toy physics, test-only)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trialsim.generative.dataset import load_training_data


@pytest.fixture(scope="module")
def sibling_library(tmp_path_factory):
    from fake_physics import fake_physics_solve

    from trialsim.musculoskeletal.library import build_library

    out = tmp_path_factory.mktemp("sibling_library")
    build_library(out, n=40, workers=0, solve_fn=fake_physics_solve, speed_siblings=16)
    return out


@pytest.fixture(scope="module")
def sibling_generator(sibling_library, tmp_path_factory, toy_config):
    from trialsim.generative.loader import load_generator
    from trialsim.generative.train import train_generator

    bundle = train_generator(load_training_data(sibling_library), config=toy_config)
    path = tmp_path_factory.mktemp("sibling_ckpt") / "generator.pt"
    bundle.save(path)
    return load_generator(path)


def test_head_is_learned_from_the_bodies_at_three_speeds_and_saved(sibling_generator):
    head = sibling_generator.bundle.speed_head
    assert head is not None
    assert head.source == "cost_minimum_3_speeds"
    assert head.base == "cost_minimum"
    assert head.n_bodies == 16
    assert 0.0 < head.tau < 0.5
    assert sibling_generator.provenance()["speed_model"].startswith("learned")


def test_a_body_sampled_200_times_has_spread_and_the_typical_gait_does_not(sibling_generator):
    body = {"height_m": np.full(200, 1.7), "neural_drive": np.full(200, 0.85)}
    typical = sibling_generator.generate(body, with_curves=False).measures
    drawn = sibling_generator.generate(body, rng=np.random.default_rng(3), predictive=True, with_curves=False,
                                       day_to_day=False).measures
    again = sibling_generator.generate(body, rng=np.random.default_rng(3), predictive=True, with_curves=False,
                                       day_to_day=False).measures
    for m in ("gait_speed_m_s", "step_length_m", "cadence_steps_min"):
        assert np.ptp(typical[m]) == 0.0, m
        assert drawn[m].std() > 0.0, m
        np.testing.assert_array_equal(drawn[m], again[m])
    # the random effect is the head's: log-speed SD ≈ tau (toy head, 200 draws)
    tau = sibling_generator.bundle.speed_head.tau
    assert 0.7 * tau < np.log(drawn["gait_speed_m_s"]).std() < 1.3 * tau


def test_a_persistent_speed_effect_keeps_a_patient_across_visits(sibling_generator):
    z = np.array([-1.5, 0.0, 1.5])
    params = {"height_m": np.full(3, 1.7), "speed_effect_z": z}
    first = sibling_generator.simulate(params)["gait_speed_m_s"]
    second = sibling_generator.simulate(params)["gait_speed_m_s"]
    np.testing.assert_array_equal(first, second)
    assert first[0] < first[1] < first[2]
    imposed = sibling_generator.simulate({**params, "speed_m_s": np.full(3, 1.1)},
                                         rng=np.random.default_rng(0))["gait_speed_m_s"]
    np.testing.assert_array_equal(imposed, 1.1)  # imposed-speed mode is exact (dose–response)


def test_training_with_the_head_is_bit_reproducible(sibling_library, toy_config, tmp_path):
    from trialsim.generative.train import train_generator

    data = load_training_data(sibling_library)
    a = train_generator(data, config=toy_config).to_bytes()
    b = train_generator(data, config=toy_config).to_bytes()
    assert a == b


def test_a_v2_library_trains_speed_as_an_output(sibling_library, tmp_path, toy_config):
    """Library v2 (``speed_source``): the free-speed solves give each body's chosen speed."""
    import shutil

    from trialsim.generative.speed_model import self_selected_targets
    from trialsim.generative.train import train_generator

    v2 = tmp_path / "library_v2"
    shutil.copytree(sibling_library, v2)
    sims = pd.read_parquet(v2 / "simulations.parquet")
    from trialsim.musculoskeletal.library import SIBLING_INDEX_BASE
    from trialsim.physiology.parameters import PARAMETERS

    sims["speed_source"] = np.where(sims["design_index"] < SIBLING_INDEX_BASE, "self_selected", "imposed")
    if "vigour" in PARAMETERS:  # physics v2's vigour varies by body: it joins the features by itself
        sims["param_vigour"] = 0.7 + 0.1 * ((sims["design_index"] % SIBLING_INDEX_BASE) % 7)
    sims.to_parquet(v2 / "simulations.parquet")
    data = load_training_data(v2)
    assert ("vigour" in data.feature_names) == ("vigour" in PARAMETERS)
    assert "joint_rigidity" not in data.feature_names  # nominal throughout: not an input
    rows, speed, source = self_selected_targets(data)
    assert source == "self_selected"
    assert len(rows) == 40 == len(np.unique(data.bodies[rows]))
    np.testing.assert_array_equal(speed, data.speed_m_s[rows])
    bundle = train_generator(data, config=toy_config)
    assert bundle.speed_head is not None
    assert bundle.speed_head.source == "self_selected"
    assert bundle.speed_head.n_bodies == 40
    # the retrain on v2 is one command
    import typer
    from typer.testing import CliRunner

    from trialsim.cli.generator import generator_app

    app = typer.Typer()
    app.add_typer(generator_app, name="generator")
    res = CliRunner().invoke(app, ["generator", "train", str(v2), "--out", str(tmp_path / "v2.pt"), "--steps", "40",
                                   "--speed-head", "1"])
    assert res.exit_code == 0, res.output
    assert "chosen speed learned directly from 40 bodies (self_selected" in res.output
    from trialsim.generative.loader import load_generator

    gen = load_generator(tmp_path / "v2.pt")
    assert gen.bundle.feature_names == data.feature_names
    assert np.isfinite(gen.simulate({"height_m": np.array([1.7, 1.8])})["gait_speed_m_s"]).all()
