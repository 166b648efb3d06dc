"""User mistakes on the physics CLI raise TrialsimError with the field named."""

from __future__ import annotations

import pytest

from trialsim.cli.physics import ParameterError, parse_settings
from trialsim.errors import TrialsimError


def test_parse_ok():
    assert parse_settings(["height_m=1.6", "strength_plantarflexors_l = 0.5"]) == {
        "height_m": 1.6, "strength_plantarflexors_l": 0.5}


@pytest.mark.parametrize(("item", "fragment"), [
    ("heightm=1.6", "heightm"), ("height_m", "NAME=VALUE"), ("height_m=abc", "number"),
    ("height_m=9", "1.1 to 2.05"), ("neural_drive=nan", "neural_drive"),
])
def test_parse_errors(item, fragment):
    with pytest.raises(ParameterError, match=fragment):
        parse_settings([item])
    assert issubclass(ParameterError, TrialsimError)


@pytest.mark.opensim
def test_build_writes_loadable_model(tmp_path):
    from typer.testing import CliRunner

    from trialsim.cli.physics import physics_app

    pytest.importorskip("opensim")
    out = tmp_path / "m.osim"
    result = CliRunner().invoke(physics_app, ["build", "--set", "height_m=1.6", "--out", str(out)])
    assert result.exit_code == 0, result.output
    import opensim as osim

    assert osim.Model(str(out)).getMuscles().getSize() == 18


def test_status_bad_path(tmp_path):
    from trialsim.musculoskeletal.library import library_status

    with pytest.raises(TrialsimError, match="not a library"):
        library_status(tmp_path / "nope")


@pytest.mark.opensim
@pytest.mark.slow
def test_simulate_writes_summary_and_curves(tmp_path):
    import json

    import pandas as pd
    from typer.testing import CliRunner

    from trialsim.cli.physics import physics_app

    pytest.importorskip("opensim")
    out = tmp_path / "sim"
    result = CliRunner().invoke(physics_app, ["simulate", "--speed", "1.25", "--threads", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["success"]
    assert summary["measures"]["gait_speed_m_s"] == pytest.approx(1.25, abs=0.01)
    assert summary["physics"]["library_version"] == 3 and summary["physics"]["trunk_stability_weight"] > 0
    curves = pd.read_parquet(out / "curves.parquet")
    assert {"gait_cycle_pct", "curve", "value"} <= set(curves.columns)
    assert "grf_vertical_l_bw" in set(curves["curve"])


def test_simulate_unknown_route_is_one_line_exit_2(tmp_path):
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", "from trialsim.cli import main; main()", "physics", "simulate",
         "--route", "v3", "--out", str(tmp_path / "o")],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 2
    lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and "--route v3" in lines[0] and "v1, v2" in lines[0]
    assert not (tmp_path / "o").exists()
