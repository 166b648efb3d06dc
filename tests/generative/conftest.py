"""Fixtures: a tiny TEST-ONLY library built with the toy physics, and a generator trained on it."""

from __future__ import annotations

import pytest
from fake_physics import fake_body_solve_v2, fake_physics_solve

from trialsim.generative.train import TrainConfig

#: short training for tests (the shipped checkpoint uses the defaults)
TOY_CONFIG = TrainConfig(steps=300, calibration_folds=3)


@pytest.fixture(scope="session")
def toy_config() -> TrainConfig:
    """The cheap training configuration of the toy-library tests."""
    return TOY_CONFIG


@pytest.fixture(scope="session")
def toy_generator(toy_checkpoint):
    from trialsim.generative.loader import load_generator

    return load_generator(toy_checkpoint)


@pytest.fixture(scope="session")
def toy_library(tmp_path_factory):
    from trialsim.musculoskeletal.library import build_library

    out = tmp_path_factory.mktemp("toy_library")
    build_library(out, n=60, workers=0, solve_fn=fake_physics_solve)
    return out


@pytest.fixture(scope="session")
def v2_library(tmp_path_factory):
    """A toy library v2 (32 bodies, one free-speed fake solve each)."""
    from trialsim.musculoskeletal.library_v2 import build_library_v2

    out = tmp_path_factory.mktemp("toy_library_v2")
    build_library_v2(out, n=32, workers=0, solve_fn=fake_body_solve_v2)
    return out


@pytest.fixture(scope="session")
def toy_checkpoint(toy_library, tmp_path_factory):
    from trialsim.generative.dataset import load_training_data
    from trialsim.generative.train import train_generator

    bundle = train_generator(load_training_data(toy_library), config=TOY_CONFIG)
    path = tmp_path_factory.mktemp("toy_ckpt") / "generator.pt"
    bundle.save(path)
    return path
