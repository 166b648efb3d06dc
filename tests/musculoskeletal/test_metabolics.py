"""Muscle metabolic cost (Bhargava 2004) of saved Moco solutions, and its library column."""

from __future__ import annotations

import gzip
import json
import math
import shutil

import pandas as pd
import pytest

from trialsim.errors import SimulationError
from trialsim.musculoskeletal.gait import nominal_guess_path
from trialsim.musculoskeletal.library import METABOLICS_VERSION, consolidate
from trialsim.musculoskeletal.metabolics import MetabolicCost

#: the shipped nominal solution: params {}, half cycle, 1.25 m/s
NOMINAL_SPEED_M_S = 1.25


@pytest.fixture(scope="module")
def nominal_cost():
    pytest.importorskip("opensim")
    from trialsim.musculoskeletal.metabolics import metabolic_cost

    return metabolic_cost({}, solution_path=nominal_guess_path())


def test_cost_of_transport_is_gross_power_over_speed():
    cost = MetabolicCost(muscle_power_w_kg=3.0, basal_power_w_kg=1.2, speed_m_s=1.4, duration_s=0.5)
    assert cost.metabolic_power_w_kg == pytest.approx(4.2)
    assert cost.cost_of_transport_j_kg_m == pytest.approx(3.0)
    assert cost.net_cost_of_transport_j_kg_m == pytest.approx(3.0 / 1.4)
    assert cost.to_dict()["metabolic_cost_of_transport_j_kg_m"] == pytest.approx(3.0)


@pytest.mark.opensim
def test_nominal_metabolic_cost_is_physiological(nominal_cost):
    # Healthy adults near 1.25 m/s: gross CoT ≈ 3.3–3.5 J/kg/m, net ≈ 2.0–2.5 (Ralston 1958,
    # Bastien 2005). Tolerance: gross 2.8–4.5 and net 1.5–3.3 J/kg/m (a 2-D, 18-muscle model
    # without arms or trunk muscles; Bhargava-type models over-predict by ≈ 10–30 %).
    assert nominal_cost.basal_power_w_kg == pytest.approx(1.2)
    assert nominal_cost.speed_m_s == pytest.approx(NOMINAL_SPEED_M_S, rel=1e-3)  # from the pelvis
    assert 2.8 < nominal_cost.cost_of_transport_j_kg_m < 4.5
    assert 1.5 < nominal_cost.net_cost_of_transport_j_kg_m < 3.3
    assert 1.5 < nominal_cost.muscle_power_w_kg < 4.5
    assert nominal_cost.duration_s == pytest.approx(0.53, abs=0.05)  # half a stride


@pytest.mark.opensim
def test_gzipped_solution_and_imposed_speed(nominal_cost, tmp_path):
    from trialsim.musculoskeletal.metabolics import metabolic_cost

    gz = tmp_path / "nominal.sto.gz"
    with open(nominal_guess_path(), "rb") as src, gzip.open(gz, "wb") as dst:
        shutil.copyfileobj(src, dst)
    cost = metabolic_cost({}, solution_path=gz, speed_m_s=1.0)
    assert cost.muscle_power_w_kg == pytest.approx(nominal_cost.muscle_power_w_kg, rel=1e-9)
    assert cost.cost_of_transport_j_kg_m == pytest.approx(nominal_cost.metabolic_power_w_kg / 1.0)
    with pytest.raises(SimulationError):
        metabolic_cost({}, solution_path=tmp_path / "missing.sto.gz")


@pytest.mark.opensim
def test_heavier_patient_same_motion_costs_less_per_kg(nominal_cost):
    # Same trajectory, 130 vs 75 kg: muscle forces (∝ mass^(2/3)) and masses grow
    # less than body mass, so muscle power per kg must fall; basal per kg is unchanged.
    from trialsim.musculoskeletal.metabolics import metabolic_cost

    heavy = metabolic_cost({"body_mass_kg": 130.0}, solution_path=nominal_guess_path())
    assert heavy.muscle_power_w_kg < 0.95 * nominal_cost.muscle_power_w_kg
    assert heavy.basal_power_w_kg == nominal_cost.basal_power_w_kg


def _write_record(out, sim_id, *, success=True):
    record = {"id": sim_id, "index": 0, "phenotype": "healthy", "params": {}, "speed_m_s": NOMINAL_SPEED_M_S,
              "success": success, "status": "Solve_Succeeded", "objective": 1.0, "iterations": 1,
              "wall_time_s": 1.0, "full_cycle": False, "measures": {"gait_speed_m_s": NOMINAL_SPEED_M_S},
              "curves": {"gait_cycle_pct": [0.0, 50.0, 100.0]}}
    (out / "sims").mkdir(parents=True, exist_ok=True)
    (out / "sims" / f"{sim_id}.json").write_text(json.dumps(record))


def test_library_metabolic_columns_nan_without_solution(tmp_path):
    _write_record(tmp_path, "nosolution")
    consolidate(tmp_path)
    sims = pd.read_parquet(tmp_path / "simulations.parquet")
    assert math.isnan(sims.loc[0, "metabolic_cost_of_transport_j_kg_m"])
    assert math.isnan(sims.loc[0, "metabolic_power_w_kg"])
    assert not (tmp_path / "metabolics").exists()


@pytest.mark.opensim
def test_library_metabolic_columns_computed_once_then_cached(nominal_cost, tmp_path):
    _write_record(tmp_path, "withsolution")
    _write_record(tmp_path, "failedsolve", success=False)
    (tmp_path / "solutions").mkdir()
    for sim_id in ("withsolution", "failedsolve"):
        with open(nominal_guess_path(), "rb") as src, gzip.open(tmp_path / "solutions" / f"{sim_id}.sto.gz", "wb") as dst:
            shutil.copyfileobj(src, dst)
    consolidate(tmp_path)
    sims = pd.read_parquet(tmp_path / "simulations.parquet").set_index("sim_id")
    ok = sims.loc["withsolution"]
    assert ok["metabolic_cost_of_transport_j_kg_m"] == pytest.approx(nominal_cost.cost_of_transport_j_kg_m, rel=1e-6)
    assert ok["metabolic_power_w_kg"] == pytest.approx(nominal_cost.metabolic_power_w_kg, rel=1e-6)
    assert math.isnan(sims.loc["failedsolve", "metabolic_cost_of_transport_j_kg_m"])
    cache = tmp_path / "metabolics" / "withsolution.json"
    entry = json.loads(cache.read_text())
    assert entry["version"] == METABOLICS_VERSION
    # a second consolidation reads the cache instead of recomputing
    entry["metabolic_cost_of_transport_j_kg_m"] = 99.0
    cache.write_text(json.dumps(entry))
    consolidate(tmp_path)
    sims = pd.read_parquet(tmp_path / "simulations.parquet").set_index("sim_id")
    assert sims.loc["withsolution", "metabolic_cost_of_transport_j_kg_m"] == 99.0
