"""Library v2's training path: every body solved once, at the speed it chose (toy physics, test-only).

A 32-body v2 library is built by the real v2 builder with the toy body solve
(``fake_physics.fake_body_solve_v2``): the toy chooses each body's speed by its cost of
transport, vigour and rigidity, plus a per-body part the parameters do not explain.
"""

from __future__ import annotations

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from trialsim.generative.dataset import load_training_data
from trialsim.generative.train import TrainConfig

#: the flow is not what chooses the speed on v2: a few steps keep these tests cheap
CHEAP = TrainConfig(steps=30, calibration_folds=2)


@pytest.fixture(scope="module")
def v2_data(v2_library):
    return load_training_data(v2_library)


def test_every_v2_row_is_a_body_at_its_own_choice(v2_data):
    from fake_physics import toy_self_selected_speed_m_s

    from trialsim.generative.speed_model import resolve_speed_head, self_selected_targets
    from trialsim.musculoskeletal.library_v2 import design

    assert v2_data.n == 32 == int(v2_data.bodies.max()) + 1
    rows, speed, source = self_selected_targets(v2_data)
    assert source == "self_selected"
    assert len(rows) == 32
    assert resolve_speed_head(-1, v2_data) == 1
    assert {"vigour", "joint_rigidity"} <= set(v2_data.feature_names)
    # the targets are the toy's own choices, body by body
    expected = [toy_self_selected_speed_m_s(s["params"], s["index"]) for s in design(32)]
    np.testing.assert_allclose(np.sort(speed), np.sort(expected), rtol=1e-9)


def test_auto_head_on_v2_learns_the_choice_directly_and_reproducibly(v2_data):
    from trialsim.generative.simulator import GeneratorSimulator
    from trialsim.generative.speed_model import RIDGE_GRID
    from trialsim.generative.train import train_generator

    bundle = train_generator(v2_data, config=CHEAP)
    head = bundle.speed_head
    assert head is not None
    assert (head.base, head.source, head.n_bodies) == ("none", "self_selected", 32)
    assert bundle.config["speed_head"] == -1
    assert bundle.config["speed_head_used"] == 1
    assert head.ridge in RIDGE_GRID
    assert 0.0 < head.tau < 0.2
    assert bundle.to_bytes() == train_generator(v2_data, config=CHEAP).to_bytes()
    gen = GeneratorSimulator(bundle)
    weak = gen.self_selected_speed_m_s({"strength_plantarflexors": np.array([1.0, 0.5])})
    assert weak[1] < weak[0]  # the toy's weaker body chooses a slower speed, and so does the head
    slow = gen.self_selected_speed_m_s({"vigour": np.array([1.2, 0.6])})
    assert slow[1] < slow[0]


def test_fast_speed_figures_equal_the_full_evaluation_and_meet_the_toy_targets(v2_data):
    from trialsim.generative.evaluate import cross_validated_predictions, speed_selection_fidelity
    from trialsim.generative.speed_model import held_out_speed

    cv = cross_validated_predictions(v2_data, config=CHEAP, folds=4, seed=1)
    full = speed_selection_fidelity(v2_data, cv)
    fast = held_out_speed(v2_data, folds=4, seed=1, head_seed=CHEAP.seed)
    for key in ("correlation", "mae_m_s", "constant_mae_m_s", "sampled_sd_m_s", "generator_mean_m_s"):
        assert fast[key] == pytest.approx(full[key], rel=1e-9, abs=1e-12), key
    assert fast["n_bodies"] == full["n_bodies"] == 32
    assert fast["folds"] == full["folds"] == 4
    # the toy's choice is a smooth function of four parameters plus a 4 % unexplained part
    assert full["correlation"] > 0.9, full
    assert full["mae_ratio_vs_constant"] < 0.4, full
    assert 0.8 < full["sampled_sd_ratio"] < 1.25, full
    assert all(full["targets_met"].values())


def test_speed_only_cli_prints_the_targets_and_refuses_a_cost_minimum_recipe(v2_library, tmp_path):
    import json

    from trialsim.cli.generator import generator_app
    from trialsim.errors import TrialsimError

    app = typer.Typer()
    app.add_typer(generator_app, name="generator")
    runner = CliRunner()
    ckpt = tmp_path / "v2.pt"
    res = runner.invoke(app, ["generator", "train", str(v2_library), "--out", str(ckpt), "--steps", "20"])
    assert res.exit_code == 0, res.output
    assert "chosen speed learned directly from 32 bodies (self_selected" in res.output
    out = tmp_path / "speed.json"
    res = runner.invoke(app, ["generator", "evaluate", str(v2_library), str(ckpt), "--speed-only", "--folds", "4",
                              "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "32 held-out bodies (self_selected, 4 grouped folds)" in res.output
    assert "(target ≥ 0.7: met)" in res.output
    speed = json.loads(out.read_text())["self_selected_speed_vs_physics"]
    assert speed["n_bodies"] == 32
    assert speed["correlation"] > 0.9
    ckpt2 = tmp_path / "v2_head2.pt"
    res = runner.invoke(app, ["generator", "train", str(v2_library), "--out", str(ckpt2), "--steps", "20",
                              "--speed-head", "2"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["generator", "evaluate", str(v2_library), str(ckpt2), "--speed-only"])
    assert isinstance(res.exception, TrialsimError)
    assert "without --speed-only" in str(res.exception)
    assert "\n" not in str(res.exception)


#: regression bounds for the committed library v2 (direct head, 5 grouped folds, split seed 0),
#: set below what it scored: 29 bodies r 0.65, MAE 0.75 × constant, sampled SD 1.01 × the
#: physics'; snapshots of the running build: 39 bodies 0.69 / 0.68 / 0.99, 54 bodies 0.72 /
#: 0.59 / 1.14 (BENCHMARKS.md, "Generator on library v2"). Issue #15's targets (r ≥ 0.7,
#: MAE ≤ 0.7 ×, SD ≥ 0.8 ×) are reported there, met or missed; tighten these as the library grows.
COMMITTED_V2_BOUNDS = {"correlation_min": 0.5, "mae_ratio_max": 0.85, "sd_ratio": (0.8, 1.4)}


def test_the_committed_v2_library_teaches_the_head_the_physics_choice():
    from importlib import resources
    from pathlib import Path

    from trialsim.generative.speed_model import held_out_speed

    library = Path(str(resources.files("trialsim").joinpath("data/library_v2")))
    if not (library / "simulations.parquet").is_file():
        pytest.skip("no committed library v2")
    data = load_training_data(library)
    speed = held_out_speed(data, folds=5, seed=0)
    assert speed["source"] == "self_selected"
    assert speed["n_bodies"] >= 29
    assert speed["correlation"] >= COMMITTED_V2_BOUNDS["correlation_min"], speed
    assert speed["mae_ratio_vs_constant"] <= COMMITTED_V2_BOUNDS["mae_ratio_max"], speed
    low, high = COMMITTED_V2_BOUNDS["sd_ratio"]
    assert low <= speed["sampled_sd_ratio"] <= high, speed
