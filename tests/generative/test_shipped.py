"""The shipped generator: loads by default, records its hashes, runs a study."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from trialsim.generative.loader import FIDELITY, default_checkpoint_path

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(not default_checkpoint_path().is_file(), reason="no shipped checkpoint")


def test_loads_by_default_with_hashes():
    from trialsim.generative.protocol import GaitSimulator
    from trialsim.pipeline import select_simulator

    gen = select_simulator("generator")
    assert isinstance(gen, GaitSimulator)
    prov = gen.provenance()
    assert prov["checkpoint_sha256"] == hashlib.sha256(default_checkpoint_path().read_bytes()).hexdigest()
    assert len(prov["library_sha256"]) == 64
    assert default_checkpoint_path().stat().st_size < 2_000_000
    fidelity = json.loads(resources.files("trialsim").joinpath(FIDELITY).read_text())
    assert fidelity["checkpoint_library_sha256"] == prov["library_sha256"]


def test_generates_finite_gait_for_a_cohort():
    from trialsim.pipeline import select_simulator

    gen = select_simulator("generator")
    rng = np.random.default_rng(0)
    params = {"neural_drive": rng.uniform(0.6, 1.0, (200, 3)), "passive_stiffness": rng.uniform(1.0, 2.5, (200, 3)),
              "height_m": rng.uniform(1.5, 1.9, (200, 1)), "motor_noise": rng.uniform(1.0, 2.0, (200, 1))}
    out = gen.simulate(params, rng=np.random.default_rng(1))
    for name, v in out.items():
        assert v.shape == (200, 3), name
        assert np.isfinite(v).all(), name
    assert (out["gait_speed_m_s"] > 0.3).all()
    assert (out["gait_speed_m_s"] < 2.5).all()


def test_a_study_runs_on_the_generator():
    from trialsim import api
    from trialsim.spec.loading import load_study

    loaded = load_study(ROOT / "tests/data/studies/small_pd.yaml")
    loaded = dataclasses.replace(loaded, spec=loaded.spec.model_copy(update={"simulator": "generator"}))
    run = api.run_study(loaded, replicates=4, quiet=True)
    assert run.simulator_provenance["simulator"] == "generator"
    assert "checkpoint_sha256" in run.simulator_provenance
