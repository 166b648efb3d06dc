"""``trialsim synth`` and ``trialsim fidelity``: outputs, determinism, resume, one-line errors with exit 2."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

from trialsim.cli import main

ROOT = Path(__file__).resolve().parents[2]
PD = ROOT / "cohorts" / "early_pd.yaml"
HEALTHY = ROOT / "cohorts" / "healthy_older.yaml"


def cli(args: list[str], capsys, monkeypatch) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(sys, "argv", ["trialsim", *args])
    with pytest.raises(SystemExit) as info:
        main()
    out = capsys.readouterr()
    return int(info.value.code or 0), out.out, out.err


def _synth(kind: str, cohort: Path, out: Path, capsys, monkeypatch, *extra: str) -> None:  # type: ignore[no-untyped-def]
    code, _, err = cli(["synth", kind, str(cohort), "--n", "3", "--seed", "4", "--out", str(out), "--quiet", *extra], capsys, monkeypatch)
    assert code == 0, err


def test_synth_insoles_writes_the_gaitpdb_layout_deterministically_and_resumes(tmp_path, capsys, monkeypatch):
    a, b = tmp_path / "a", tmp_path / "b"
    _synth("insoles", PD, a, capsys, monkeypatch, "--duration-s", "30")
    subjects = pd.read_csv(a / "subjects.csv")
    assert list(subjects.columns[:2]) == ["subject", "condition"]
    for col in ("hoehn_yahr", "age_years", "sex", "height_m", "body_mass_kg", "gait_speed_m_s", "stride_time_s", "dfa_alpha_true"):
        assert col in subjects.columns
    rec = pd.read_csv(a / f"{subjects.subject[0]}.csv")
    assert list(rec.columns) == ["time_s", *(f"l{i}" for i in range(1, 9)), *(f"r{i}" for i in range(1, 9)), "total_l_n", "total_r_n"]
    assert rec["time_s"].diff().dropna().round(4).eq(0.01).all()  # 100 Hz
    assert (rec[[f"l{i}" for i in range(1, 9)]].sum(axis=1) - rec["total_l_n"]).abs().max() < 0.1
    # same seed, same bytes; an interrupted run finishes to the same bytes
    _synth("insoles", PD, b, capsys, monkeypatch, "--duration-s", "30")
    files = sorted(p.name for p in a.glob("*.csv"))
    assert files == sorted(p.name for p in b.glob("*.csv"))
    assert all((a / f).read_bytes() == (b / f).read_bytes() for f in files)
    (b / files[0]).unlink()
    (b / "subjects.csv").unlink()
    _synth("insoles", PD, b, capsys, monkeypatch, "--duration-s", "30")
    assert all((a / f).read_bytes() == (b / f).read_bytes() for f in files)


def test_synth_imu_and_video(tmp_path, capsys, monkeypatch):
    _synth("imu", HEALTHY, tmp_path / "imu", capsys, monkeypatch, "--duration-s", "10")
    subject = pd.read_csv(tmp_path / "imu" / "subjects.csv").subject[0]
    imu = pd.read_csv(tmp_path / "imu" / f"{subject}.csv")
    assert {"time_s", "lumbar_acc_y", "ankle_r_gyro_z", "ankle_l_acc_x"} <= set(imu.columns)
    assert imu["lumbar_acc_y"].mean() == pytest.approx(9.8, abs=1.0)  # gravity included
    _synth("video", HEALTHY, tmp_path / "video", capsys, monkeypatch)
    video = pd.read_csv(tmp_path / "video" / f"{subject}.csv")
    assert {"frame", "time_s", "hip_r_x_px", "toe_l_y_px"} <= set(video.columns)


def test_fidelity_compares_two_folders_and_writes_html(tmp_path, capsys, monkeypatch):
    _synth("insoles", PD, tmp_path / "pd", capsys, monkeypatch, "--duration-s", "40")
    _synth("insoles", HEALTHY, tmp_path / "hc", capsys, monkeypatch, "--duration-s", "40", "--simulator", "reference")
    # a "real" folder in the raw PhysioNet layout (19 whitespace columns, no header)
    real = tmp_path / "real"
    real.mkdir()
    subjects = pd.read_csv(tmp_path / "hc" / "subjects.csv")
    pd.DataFrame({"subject": subjects.subject, "pd": 0}).to_csv(real / "subjects.csv", index=False)
    for s in subjects.subject:
        pd.read_csv(tmp_path / "hc" / f"{s}.csv").to_csv(real / f"{s}.txt", sep="\t", header=False, index=False)
    code, _out, err = cli(["fidelity", str(real), "--synthetic", str(tmp_path / "pd"), "--out", str(tmp_path / "fid")], capsys, monkeypatch)
    assert code == 0, err
    html = (tmp_path / "fid" / "fidelity.html").read_text()
    assert "two-sample" in html
    assert "data:image/png;base64" in html
    table = pd.read_csv(tmp_path / "fid" / "fidelity.csv")
    assert {"group", "feature", "standardised_difference", "c2st_auc"} <= set(table.columns)
    assert set(table.group) == {"all"}  # real controls vs synthetic PD share no group
    # or against a cohort synthesised in memory, compared within the shared group
    code, _, err = cli(["fidelity", str(real), "--cohort", str(HEALTHY), "--n", "6", "--out", str(tmp_path / "fid2")], capsys, monkeypatch)
    assert code == 0, err
    assert set(pd.read_csv(tmp_path / "fid2" / "fidelity.csv").group) == {"all", "control"}


def _one_line_exit_2(args: list[str], capsys, monkeypatch, needle: str) -> None:  # type: ignore[no-untyped-def]
    code, _, err = cli(args, capsys, monkeypatch)
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    assert needle in err, err


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["synth", "insoles", "nope.yaml", "--n", "2", "--out", "{tmp}/x"], "nope.yaml"),
        (["synth", "insoles", str(PD), "--n", "2", "--out", "{tmp}/x", "--simulator", "physics"], "--simulator"),
        (["synth", "insoles", str(PD), "--n", "0", "--out", "{tmp}/x"], "--n"),
        (["synth", "insoles", str(PD), "--n", "2", "--out", "{tmp}/file.txt"], "--out"),
        (["synth", "insoles", str(PD), "--n", "2", "--out", "{tmp}/missing/deeper"], "--out"),
        (["synth", "insoles", str(PD), "--n", "2", "--out", "{tmp}/x", "--duration-s", "1"], "--duration-s"),
        (["fidelity", "{tmp}/nowhere", "--synthetic", "{tmp}"], "nowhere"),
        (["fidelity", "{tmp}", "--synthetic", "{tmp}"], "subjects.csv"),
        (["fidelity", "{tmp}/bad", "--synthetic", "{tmp}/bad"], "bad"),
        (["fidelity", "{tmp}/bad"], "--synthetic"),
        (["fidelity", "{tmp}/bad", "--cohort", "nope.yaml"], "nope.yaml"),
    ],
)
def test_bad_input_gives_one_line_and_exit_2(args, needle, tmp_path, capsys, monkeypatch):
    (tmp_path / "file.txt").write_text("x")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "subjects.csv").write_text("subject\ns1\n")
    (bad / "s1.csv").write_text("time_s,foo\n0,1\n")
    _one_line_exit_2([a.replace("{tmp}", str(tmp_path)) for a in args], capsys, monkeypatch, needle)


def test_synth_refuses_a_folder_made_with_other_arguments(tmp_path, capsys, monkeypatch):
    _synth("video", HEALTHY, tmp_path / "v", capsys, monkeypatch)
    _one_line_exit_2(["synth", "video", str(HEALTHY), "--n", "3", "--seed", "5", "--out", str(tmp_path / "v"), "--quiet"],
                     capsys, monkeypatch, "seed")


def test_synth_start_stop_walks_start_and_end_standing(tmp_path, capsys, monkeypatch):
    """`--start-stop`: the walk starts and ends standing (3 slower, longer steps at each end), so the
    recording is longer; the package's own detector drops those strides as outliers, the way
    gaitpdb analyses clean starts and stops, and reads the rest of the walk as without the option."""
    import json

    import numpy as np

    from trialsim.sensors.events import foot_events

    plain, ramped = tmp_path / "plain", tmp_path / "ramped"
    _synth("insoles", HEALTHY, plain, capsys, monkeypatch, "--duration-s", "20", "--walkway-m", "0")
    _synth("insoles", HEALTHY, ramped, capsys, monkeypatch, "--duration-s", "20", "--walkway-m", "0", "--start-stop")
    assert json.loads((ramped / "synth.json").read_text())["start_stop"] is True
    assert "start_stop" not in json.loads((plain / "synth.json").read_text())
    subject = pd.read_csv(plain / "subjects.csv").subject[0]
    recs = {name: pd.read_csv(folder / f"{subject}.csv") for name, folder in (("plain", plain), ("ramped", ramped))}
    # the six transient steps take ≈ 0.3 s longer than at steady speed (step time ∝ speed^−0.5)
    assert 0.15 <= (len(recs["ramped"]) - len(recs["plain"])) / 100.0 <= 0.6
    events = {name: foot_events(rec.total_r_n.to_numpy(), rec.total_l_n.to_numpy(), sample_rate_hz=100.0)
              for name, rec in recs.items()}
    a, b = events["plain"], events["ramped"]
    assert b.heel_strike_s[0] > a.heel_strike_s[0] + 0.5, "the starting stride was not dropped by the cleaning"
    shift = b.heel_strike_s[0] - a.heel_strike_s[1]  # the first clean stride is the plain walk's second
    np.testing.assert_allclose(b.stride_s, a.stride_s[1: 1 + len(b.stride_s)], atol=0.011)
    np.testing.assert_allclose(b.heel_strike_s - shift, a.heel_strike_s[1: 1 + len(b.stride_s)], atol=0.011)
    # a folder made with --start-stop does not resume without it, nor the other way round (exit 2, one line)
    for folder, flags in ((ramped, ()), (plain, ("--start-stop",))):
        code, _, err = cli(["synth", "insoles", str(HEALTHY), "--n", "3", "--seed", "4", "--out", str(folder), "--quiet",
                            "--duration-s", "20", "--walkway-m", "0", *flags], capsys, monkeypatch)
        assert code == 2 and "start_stop=" in err and err.strip().count("\n") == 0, err
