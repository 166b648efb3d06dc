"""The shipped generator: loads by default, records its hashes, runs a study."""

from __future__ import annotations

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
    from trialsim.results.run import select_simulator

    gen = select_simulator("generator")
    assert isinstance(gen, GaitSimulator)
    prov = gen.provenance()
    assert prov["checkpoint_sha256"] == hashlib.sha256(default_checkpoint_path().read_bytes()).hexdigest()
    assert len(prov["library_sha256"]) == 64
    assert default_checkpoint_path().stat().st_size < 2_000_000
    fidelity = json.loads(resources.files("trialsim").joinpath(FIDELITY).read_text())
    assert fidelity["checkpoint_library_sha256"] == prov["library_sha256"]


def test_generates_finite_gait_for_a_cohort():
    from trialsim.results.run import select_simulator

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


SMALL = ROOT / "tests/data/studies/small_pd.yaml"
#: replicates of the generator runs below (enough for non-trivial success rates, small enough for CI)
REPLICATES = 8


@pytest.fixture(scope="module")
def on_generator():  # type: ignore[no-untyped-def]
    """small_pd on the generator, with the reference cross-check (the default); its progress calls are kept."""
    from trialsim import Study

    return Study.from_yaml(SMALL).replace(simulator="generator").run(
        replicates=REPLICATES, progress=lambda done, total: PROGRESS_CALLS.append((done, total)))


#: ``(done, total)`` as told to the progress callable of the ``on_generator`` run
PROGRESS_CALLS: list[tuple[int, int]] = []


def test_progress_covers_the_primary_run_and_the_crosscheck(on_generator) -> None:  # type: ignore[no-untyped-def]
    """The dashboard's bar: one total for both runs, never going back, full only at the end."""
    assert PROGRESS_CALLS, "no progress reported"
    totals = {total for _, total in PROGRESS_CALLS}
    assert len(totals) == 1, totals
    total = totals.pop()
    done = [d for d, _ in PROGRESS_CALLS]
    assert done == sorted(done) and done[-1] == total
    half = [d for d in done if d <= total // 2]
    assert half and half[-1] == total // 2, "the primary run should end at half of the bar"
    assert len([d for d in done if d > total // 2]) >= 1, "the cross-check's blocks are not reported"


def test_a_study_runs_on_the_generator(on_generator) -> None:  # type: ignore[no-untyped-def]
    results = on_generator
    assert results.summary["simulator"] == "generator"
    assert "simulator_checkpoint_sha256" in results.provenance


def test_the_primary_numbers_are_the_same_bit_for_bit_with_and_without_the_crosscheck(on_generator) -> None:  # type: ignore[no-untyped-def]
    """Issue #15: the reference cross-check is run after the primary run and never changes it."""
    import xarray as xr

    from trialsim import Study

    plain = Study.from_yaml(SMALL).replace(simulator="generator").run(replicates=REPLICATES, cross_check=False)
    assert plain.simulator_crosscheck is None
    assert "simulator_crosscheck" not in plain.summary
    assert "simulator_crosscheck" not in plain.tree.children
    assert set(on_generator.tree.children) == set(plain.tree.children) | {"simulator_crosscheck"}
    for group in plain.tree.children:
        xr.testing.assert_identical(on_generator.tree[group].to_dataset(), plain.tree[group].to_dataset())
    assert {k: v for k, v in on_generator.summary.items() if k != "simulator_crosscheck"} == plain.summary
    timing = "wall_time_s"
    assert {k: v for k, v in on_generator.provenance.items() if k != timing} == {
        k: v for k, v in plain.provenance.items() if k != timing}
    # the cross-check's generator side is the run's own /oc, not a recomputation
    check = on_generator.tree["simulator_crosscheck"].to_dataset().sel(simulator="generator")
    oc = on_generator.tree["oc"].to_dataset().sel(analysis="primary")
    for name in ("power", "power_mc_se", "type1_error", "bias", "coverage"):
        np.testing.assert_array_equal(check[name].transpose("scenario", "design").values,
                                      oc[name].sel(scenario=check.scenario, design=check.design)
                                      .transpose("scenario", "design").values, err_msg=name)


def test_the_crosscheck_is_the_same_study_on_the_reference_simulator(on_generator) -> None:  # type: ignore[no-untyped-def]
    """Same seed, designs, scenarios and replicates: the cross-check equals a plain reference run, number for number
    (so it is deterministic), and its recommendation is the reference run's."""
    from trialsim import Study

    reference = Study.from_yaml(SMALL).run(replicates=REPLICATES)
    assert reference.summary["simulator"] == "reference"
    assert reference.simulator_crosscheck is None
    check = on_generator.tree["simulator_crosscheck"].to_dataset()
    assert list(check.simulator.values) == ["generator", "reference"]
    assert list(check.role.values) == ["primary", "cross-check"]
    ref = reference.tree["oc"].to_dataset().sel(analysis="primary")
    for name in ("power", "power_mc_se", "type1_error", "bias", "rmse", "coverage"):
        np.testing.assert_array_equal(check[name].sel(simulator="reference").transpose("scenario", "design").values,
                                      ref[name].sel(scenario=check.scenario, design=check.design)
                                      .transpose("scenario", "design").values, err_msg=name)
    np.testing.assert_array_equal(check.true_effect.sel(simulator="reference").values,
                                  ref.true_effect.sel(scenario=check.scenario).values)
    entry = on_generator.summary["simulator_crosscheck"]
    assert entry["simulator"] == "reference"
    assert entry["replicates"] == REPLICATES
    assert entry["seed"] == reference.summary["seed"]
    rec = reference.recommended
    assert entry["recommended_design"]["found"] == bool(rec.get("found"))
    assert entry["recommended_design"]["design"] == (rec.get("design") if rec.get("found") else None)
    assert entry["recommended_design"]["conventional_n_total"] == reference.recommended["conventional_n_total"]
    assert [(d["scenario"], d["design"], d["power"]) for d in entry["designs"]] == [
        (d["scenario"], d["design"], d["power"]) for d in reference.summary["designs"]]
    table = on_generator.simulator_crosscheck
    assert table is not None
    assert len(table) == 2 * check.sizes["scenario"] * check.sizes["design"]
    assert set(table.simulator) == {"generator", "reference"}


@pytest.fixture(scope="module")
def generator_run_dir(tmp_path_factory):  # type: ignore[no-untyped-def]
    """``trialsim run`` of small_pd with ``simulator: generator`` (as a user would), and what it printed."""
    import shutil
    import subprocess
    import sys

    root = tmp_path_factory.mktemp("generator_study")
    (root / "studies").mkdir()
    shutil.copytree(ROOT / "tests/data/cohorts", root / "cohorts")
    study = root / "studies" / "small_pd_generator.yaml"
    study.write_text(SMALL.read_text() + "simulator: generator\n")
    out = root / "run"
    proc = subprocess.run([sys.executable, "-m", "trialsim.cli", "run", str(study), "--out", str(out), "--replicates",
                           str(REPLICATES), "--quiet"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return out, proc.stdout


def test_results_nc_records_the_checkpoint_hash_and_the_crosscheck(generator_run_dir) -> None:  # type: ignore[no-untyped-def]
    from trialsim import TrialResults

    out, _ = generator_run_dir
    sha = hashlib.sha256(default_checkpoint_path().read_bytes()).hexdigest()
    results = TrialResults.open(out)
    assert results.provenance["simulator_checkpoint_sha256"] == sha
    check = results.tree["simulator_crosscheck"].to_dataset()
    assert check.attrs["primary_checkpoint_sha256"] == sha
    assert check.attrs["crosscheck_simulator"] == "reference"
    assert check.attrs["seed"] == "11"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["simulator_crosscheck"]["primary_checkpoint_sha256"] == sha
    assert results.simulator_crosscheck is not None


def test_the_report_shows_both_simulators_side_by_side(generator_run_dir) -> None:  # type: ignore[no-untyped-def]
    import xarray as xr

    from tests.report.support import html_tables, section_text

    out, printed = generator_run_dir
    page = (out / "report.html").read_text(encoding="utf-8")
    tables = html_tables(page)
    header, *body = tables["table-simulator_crosscheck"]
    for label in ("P(success), generator", "P(success), reference", "bias, generator", "bias, reference",
                  "true effect, generator", "true effect, reference"):
        assert label in header, label
    check = xr.open_datatree(out / "results.nc", engine="h5netcdf")["simulator_crosscheck"].to_dataset()
    assert len(body) == check.sizes["scenario"] * check.sizes["design"]
    col = {name: i for i, name in enumerate(header)}
    for row in body:
        at = check.sel(scenario=row[col["scenario"]], design=row[col["design"]])
        for sim in ("generator", "reference"):
            assert row[col[f"P(success), {sim}"]] == f"{float(at.power.sel(simulator=sim)):.3f}"
    recs = tables["table-simulator_crosscheck_recommendation"]
    assert [r[0] for r in recs[1:]] == ["generator", "reference"]
    text = section_text(page, "oc")
    assert "6.1 Simulator cross-check" in text
    assert str(check.attrs["primary_checkpoint_sha256"]) in text
    assert (out / "tables" / "simulator_crosscheck.csv").is_file()
    assert "cross-check: on the reference simulator (same seed and design)" in printed


def _speed(gen, **params: float) -> float:  # type: ignore[no-untyped-def]
    q = {"height_m": 1.75, "body_mass_kg": 75.0, **params}
    return float(np.ravel(gen.simulate({k: np.array([v]) for k, v in q.items()})["gait_speed_m_s"])[0])


def test_self_selected_speed_moves_the_expected_way():
    """The shipped generator (trained on library v3: each body's own free-speed solve, direct
    speed head, typical body): a taller body walks faster, reduced vigour and weakness slow it,
    as the physics does (v3 physics, 70 y nominal 1.19 m/s: 1.90 m → 1.22, vigour 0.6 → 1.09,
    plantar flexors × 0.5 → 0.91; BENCHMARKS.md). Measured on the shipped checkpoint (1.75 m,
    75 kg, 355 library bodies): nominal 1.236; 1.55 / 1.90 m → 1.157 / 1.288; vigour 0.6 → 1.106;
    every muscle × 0.6 → 1.066; plantar flexors × 0.5 → 1.161 (about a quarter of the physics' −0.28);
    joint rigidity × 2 → 1.225 (186 bodies: 1.230; 1.156 / 1.277; 1.104; 1.054; 1.175; 1.214; 126
    bodies: 1.229; 1.151 / 1.279; 1.107; 1.048; 1.185; 1.206). Stiffness,
    contracture, rigidity and slow activation never speed it up (the head's sign bounds). (v2-trained: nominal 1.363, vigour 0.6 → 1.228, plantar flexors × 0.5 → 1.322.)"""
    from trialsim.generative.loader import load_default_generator

    gen = load_default_generator()
    nominal = _speed(gen)
    assert 0.9 < nominal < 1.5
    assert _speed(gen, height_m=1.55) < nominal - 0.05
    assert _speed(gen, height_m=1.90) > nominal + 0.03
    assert _speed(gen, vigour=0.6) < nominal - 0.08
    for slowing in (dict(passive_stiffness=2.5), dict(fiber_length_knee_flexors=0.75), dict(joint_rigidity=2.0),
                    dict(neural_drive=0.6, passive_stiffness=2.0, activation_time_scale=1.8)):
        assert _speed(gen, **slowing) <= nominal + 1e-9, slowing


@pytest.mark.xfail(strict=True, reason="measured: library v3's physics speeds up with passive stiffness (× 2: 1.22 vs "
                   "1.19 m/s, 70 y) and hamstring contracture (fibres × 0.75: 1.34), as v2's did (1.38, 1.52 vs "
                   "1.27) — issue #14's failing direction rows; the speed head's sign bounds hold those effects at "
                   "0 (355-body checkpoint: stiffness × 2.5 and contracture: 1.236 = nominal; drive 0.6 + stiffness "
                   "2 + slow activation: −0.036, not −0.05; 186 bodies: −0.045), so a stiff or contracted body "
                   "does not slow")
def test_stiffness_and_contracture_slow_the_chosen_speed():
    from trialsim.generative.loader import load_default_generator

    gen = load_default_generator()
    nominal = _speed(gen)
    assert _speed(gen, passive_stiffness=2.5) < nominal - 0.05
    assert _speed(gen, fiber_length_knee_flexors=0.75) < nominal - 0.05
    assert _speed(gen, neural_drive=0.6, passive_stiffness=2.0, activation_time_scale=1.8) < nominal - 0.05


def test_weakness_slows_self_selected_speed():
    """Weak plantar flexors and weak muscles overall walk slower, as in the physics (v3, 70 y:
    plantar flexors × 0.5 → 0.91 vs 1.19 m/s); measured on the shipped checkpoint (355 bodies) 1.161
    and 1.066 vs 1.236 m/s (186 bodies: 1.175, 1.054 vs 1.230) — the direction holds, the
    plantar-flexor size is far smaller than the physics' (BENCHMARKS.md). Reduced neural drive alone
    does not speed up (1.236)."""
    from trialsim.generative.loader import load_default_generator

    gen = load_default_generator()
    nominal = _speed(gen)
    assert _speed(gen, strength_plantarflexors=0.5) < nominal - 0.01
    groups = ("hip_flexors", "hip_extensors", "knee_flexors", "knee_extensors", "plantarflexors", "dorsiflexors")
    assert _speed(gen, **{f"strength_{g}": 0.6 for g in groups}) < nominal - 0.05
    assert _speed(gen, neural_drive=0.7) <= nominal + 0.005


def test_200_samples_of_one_body_spread_and_the_typical_gait_does_not():
    """Issue #15: sampling the same conditions gives a distribution (per-body speed effect +
    the flow's residual), seeded; the typical gait is one point."""
    from trialsim.generative.loader import load_default_generator

    gen = load_default_generator()
    body = {"height_m": np.full(200, 1.7), "strength_plantarflexors": np.full(200, 0.7), "age_years": np.full(200, 68.0)}
    drawn = gen.generate(body, rng=np.random.default_rng(1), predictive=True, with_curves=False).measures
    typical = gen.generate(body, with_curves=False).measures
    for m in ("gait_speed_m_s", "step_length_m", "cadence_steps_min"):
        assert drawn[m].std() > 0.01 * drawn[m].mean(), m
        assert np.ptp(typical[m]) == 0.0, m
    tau = gen.bundle.speed_head.tau
    assert 0.8 * tau < np.log(drawn["gait_speed_m_s"]).std() < 1.3 * tau
