"""End-to-end ``trialsim run`` / ``report``: outputs, provenance, integrity, determinism, resume."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import xarray as xr

from trialsim.cli import main

ROOT = Path(__file__).resolve().parents[2]
SMALL = ROOT / "tests" / "data" / "studies" / "small_pd.yaml"


def cli(args: list[str], capsys, monkeypatch) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(sys, "argv", ["trialsim", *args])
    with pytest.raises(SystemExit) as info:
        main()
    out = capsys.readouterr()
    return int(info.value.code or 0), out.out, out.err


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "small"
    subprocess.run([sys.executable, "-m", "trialsim.cli", "run", str(SMALL), "--out", str(out), "--quiet"], check=True, cwd=ROOT)
    return out


def test_outputs_and_summary_contract(finished_run: Path) -> None:
    for name in ("results.nc", "summary.json", "report.html", "manifest.json", "oc.csv"):
        assert (finished_run / name).is_file(), name
    summary = json.loads((finished_run / "summary.json").read_text())
    assert summary["study"] == "small_pd"
    assert summary["seed"] == 11
    assert len(summary["config_sha256"]) == 64
    assert len(summary["designs"]) == 2 * 4  # scenarios × designs
    for d in summary["designs"]:
        assert {"scenario", "n_per_arm", "replicates", "power", "power_mc_se", "type1_error", "bias", "coverage"} <= set(d)
        assert 0 <= d["power"] <= 1
        assert d["power_mc_se"] == pytest.approx((d["power"] * (1 - d["power"]) / d["replicates"]) ** 0.5, abs=1e-9)
    assert "patients_saved" in summary["recommended_design"] or not summary["recommended_design"]["found"]
    # assurance: power averaged over the design prior, growing with sample size
    by_design = {a["design"]: a["assurance"] for a in summary["assurance"]}
    assert all(0 <= v <= 1 for v in by_design.values())
    assert by_design["c40_t40_s0"] > by_design["c20_t20_s0"]
    tree = xr.open_datatree(finished_run / "results.nc", engine="h5netcdf")
    assert tree.attrs["config_sha256"] == summary["config_sha256"]
    assert tree.attrs["simulator"] == "reference"
    assert "schema_version: 1" in tree.attrs["study_yaml"]
    assert set(tree.children) >= {"oc", "replicates", "examples", "baseline"}


def test_report_sections_and_numbers(finished_run: Path) -> None:
    html = (finished_run / "report.html").read_text()
    for section in ("Design overview", "Individual simulated trials", "Scenario grid", "Data-generating model",
                    "Monte Carlo error", "Operating characteristics", "Bayesian items", "Recommended design", "Reproducibility"):
        assert section in html, section
    summary = json.loads((finished_run / "summary.json").read_text())
    first = summary["designs"][0]
    assert f"{first['power']:.3f}" in html
    assert "data:image/png;base64," in html
    assert (finished_run / "figures" / "power_curves.svg").is_file()
    assert (finished_run / "tables" / "operating_characteristics.csv").is_file()


def test_report_refuses_altered_results(finished_run: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(finished_run, copy)
    code, _, _ = cli(["report", str(copy)], capsys, monkeypatch)
    assert code == 0
    summary = json.loads((copy / "summary.json").read_text())
    summary["designs"][0]["power"] = 0.99
    (copy / "summary.json").write_text(json.dumps(summary))
    code, _, err = cli(["report", str(copy)], capsys, monkeypatch)
    assert code == 2
    assert "altered" in err
    assert len(err.strip().splitlines()) == 1


def test_rerun_command_reproduces_numbers(finished_run: Path, tmp_path: Path) -> None:
    tree = xr.open_datatree(finished_run / "results.nc", engine="h5netcdf")
    args = shlex.split(tree.attrs["command"])
    out_index = args.index("--out") + 1
    args[out_index] = str(tmp_path / "again")
    subprocess.run([sys.executable, "-m", "trialsim.cli", *args[1:], "--quiet"], check=True, cwd=ROOT)
    first = json.loads((finished_run / "summary.json").read_text())
    second = json.loads((tmp_path / "again" / "summary.json").read_text())
    assert first["designs"] == second["designs"]
    assert first["recommended_design"] == second["recommended_design"]


@pytest.mark.parametrize("workers", [2, 4])
def test_same_numbers_with_more_workers(finished_run: Path, tmp_path: Path, workers: int, capsys, monkeypatch) -> None:
    out = tmp_path / f"w{workers}"
    code, _, _ = cli(["run", str(SMALL), "--out", str(out), "--workers", str(workers), "--quiet"], capsys, monkeypatch)
    assert code == 0
    a = json.loads((finished_run / "summary.json").read_text())
    b = json.loads((out / "summary.json").read_text())
    assert a["designs"] == b["designs"]
    assert a["recommended_design"] == b["recommended_design"]


def test_nothing_written_outside_the_output_directory(tmp_path: Path) -> None:
    work = tmp_path / "cwd"
    work.mkdir()
    subprocess.run([sys.executable, "-m", "trialsim.cli", "run", str(SMALL), "--out", "result", "--quiet", "--replicates", "20"], check=True, cwd=work)
    assert sorted(p.name for p in work.iterdir()) == ["result"]


def test_resume_after_kill_matches_uninterrupted(finished_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "trialsim.cli", "run", str(SMALL), "--out", str(out), "--quiet", "--replicates", "60"]
    proc = subprocess.Popen(cmd, cwd=ROOT, start_new_session=True)
    tasks = out.with_name("killed.partial") / "tasks"
    deadline = time.time() + 120
    while time.time() < deadline and not (tasks.is_dir() and any(tasks.glob("*.pkl"))):
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not out.exists(), "a killed run must not leave a half-written output directory"
    subprocess.run([*cmd, "--resume"], check=True, cwd=ROOT)
    a = json.loads((finished_run / "summary.json").read_text())
    b = json.loads((out / "summary.json").read_text())
    assert a["designs"] == b["designs"]


def test_bad_invocations_write_nothing(tmp_path: Path, capsys, monkeypatch) -> None:
    out = tmp_path / "never"
    code, _, err = cli(["run", str(SMALL), "--out", str(out), "--replicates", "1000000000000"], capsys, monkeypatch)
    assert code == 2
    assert "patient-visit simulations" in err and "hours" in err
    code, _, err = cli(["run", str(tmp_path / "missing.yaml"), "--out", str(out)], capsys, monkeypatch)
    assert code == 2
    assert "not found" in err
    code, _, err = cli(["run", str(SMALL), "--out", str(tmp_path / "no" / "such" / "dir")], capsys, monkeypatch)
    assert code == 2
    assert "does not exist" in err
    code, _, err = cli(["run", str(SMALL), "--out", str(out), "--workers", "0"], capsys, monkeypatch)
    assert code == 2
    assert not out.exists()
    assert not out.with_name("never.partial").exists()
    existing = tmp_path / "exists"
    existing.mkdir()
    (existing / "keep.txt").write_text("mine")
    code, _, err = cli(["run", str(SMALL), "--out", str(existing)], capsys, monkeypatch)
    assert code == 2
    assert (existing / "keep.txt").read_text() == "mine"


def test_cohort_command(tmp_path: Path, capsys, monkeypatch) -> None:
    out = tmp_path / "c.parquet"
    code, text, _ = cli(["cohort", str(ROOT / "cohorts" / "early_pd.yaml"), "--n", "25", "--seed", "3", "--out", str(out)], capsys, monkeypatch)
    assert code == 0
    import pandas as pd

    df = pd.read_parquet(out)
    assert len(df) == 25
    for col in ("age_years", "sex", "height_m", "body_mass_kg", "hoehn_yahr", "updrs_iii", "gait_speed_m_s",
                "step_length_m", "stride_length_m", "cadence_steps_min", "stride_time_s", "stride_time_cv_pct",
                "stance_pct", "swing_pct", "double_support_pct", "peak_knee_flexion_swing_deg", "strength_plantarflexors"):
        assert col in df.columns, col


def test_schema_command(tmp_path: Path, capsys, monkeypatch) -> None:
    code, _, _ = cli(["schema", "--out", str(tmp_path)], capsys, monkeypatch)
    assert code == 0
    schema = json.loads((tmp_path / "study.schema.json").read_text())
    assert "arms" in schema["properties"]


def test_crosscheck_line_states_the_reference_recommendation() -> None:
    from trialsim.cli.main import crosscheck_line

    assert crosscheck_line({"simulator": "reference"}) is None
    entry = {"simulator": "reference", "primary_simulator": "generator", "primary_checkpoint_sha256": "ab" * 32,
             "recommended_design": {"found": True, "design": "c40_t40_s60", "n_total": 80.0, "power": 0.861,
                                    "conventional_n_total": 120.0}}
    line = crosscheck_line({"simulator_crosscheck": entry})
    assert line is not None
    assert line.startswith("cross-check: on the reference simulator (same seed and design) the rule recommends "
                           "c40_t40_s60 (80 concurrent patients; power 0.86); conventional trial 120 patients")
    assert "abababababababab…" in line
    entry["recommended_design"] = {"found": False, "conventional_n_total": None}
    assert "recommends no design in the grid (the generator's" in str(crosscheck_line({"simulator_crosscheck": entry}))
