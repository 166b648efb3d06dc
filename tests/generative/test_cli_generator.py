"""``trialsim generator ...`` / ``trialsim twin`` through typer (mounted here as the main CLI will)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from trialsim.cli.generator import generator_app, twin_command
from trialsim.errors import TrialsimError
from trialsim.spec.names import GAIT_MEASURES

app = typer.Typer()
app.add_typer(generator_app, name="generator")
app.command("twin")(twin_command)
runner = CliRunner()


def test_sample_one_row_per_condition(toy_checkpoint, tmp_path):
    cond = tmp_path / "cond.parquet"
    pd.DataFrame({"patient_id": [7, 8, 9], "neural_drive": [1.0, 0.8, 0.6], "speed_m_s": [1.2, 1.1, 1.0]}).to_parquet(cond)
    out, curves = tmp_path / "gait.parquet", tmp_path / "curves.parquet"
    res = runner.invoke(app, ["generator", "sample", "--conditions", str(cond), "--out", str(out),
                              "--checkpoint", str(toy_checkpoint), "--curves", str(curves)])
    assert res.exit_code == 0, res.output
    df = pd.read_parquet(out)
    assert len(df) == 3
    assert list(df["patient_id"]) == [7, 8, 9]
    assert set(GAIT_MEASURES) <= set(df.columns)
    np.testing.assert_allclose(df["gait_speed_m_s"], [1.2, 1.1, 1.0])
    assert len(pd.read_parquet(curves)) == 3 * 51


@pytest.mark.parametrize(("frame", "message"), [
    ({"neural_drive": [1.7]}, "out of range"),
    ({"neural_drive": ["x"]}, "must be numbers"),
    ({"neural_drive": [np.nan]}, "non-finite"),
])
def test_sample_rejects_bad_conditions_in_one_line(toy_checkpoint, tmp_path, frame, message):
    cond = tmp_path / "cond.parquet"
    pd.DataFrame(frame).to_parquet(cond)
    res = runner.invoke(app, ["generator", "sample", "--conditions", str(cond), "--out", str(tmp_path / "o.parquet"),
                              "--checkpoint", str(toy_checkpoint)])
    assert isinstance(res.exception, TrialsimError)
    assert message in str(res.exception)
    assert "\n" not in str(res.exception)
    assert not (tmp_path / "o.parquet").exists()


def test_train_rejects_missing_library_and_bad_out(tmp_path):
    res = runner.invoke(app, ["generator", "train", str(tmp_path / "nolib"), "--out", str(tmp_path / "g.pt")])
    assert isinstance(res.exception, TrialsimError)
    assert "library directory not found" in str(res.exception)
    res = runner.invoke(app, ["generator", "train", str(tmp_path), "--out", str(tmp_path / "g.txt")])
    assert isinstance(res.exception, TrialsimError)
    assert ".pt" in str(res.exception)


def test_twin_rejects_a_table_without_gait(toy_checkpoint, tmp_path):
    base = tmp_path / "base.parquet"
    pd.DataFrame({"age_years": [60.0]}).to_parquet(base)
    res = runner.invoke(app, ["twin", str(base), "--out", str(tmp_path / "t.parquet"), "--checkpoint", str(toy_checkpoint)])
    assert isinstance(res.exception, TrialsimError)
    assert "no gait-measure columns" in str(res.exception)


def _sample(app_args, tmp_path, name):  # type: ignore[no-untyped-def]
    out = tmp_path / f"{name}.parquet"
    res = runner.invoke(app, [*app_args, "--out", str(out)])
    assert res.exit_code == 0, res.output
    return pd.read_parquet(out)


def test_sample_draws_bodies_unless_typical_is_asked(toy_checkpoint, tmp_path):
    """Identical conditions give different rows (a distribution), the same rows for the same
    seed, and identical rows with --typical."""
    cond = tmp_path / "cond.parquet"
    pd.DataFrame({"neural_drive": [0.9] * 50, "height_m": [1.7] * 50}).to_parquet(cond)
    args = ["generator", "sample", "--conditions", str(cond), "--checkpoint", str(toy_checkpoint)]
    a = _sample(args, tmp_path, "a")
    b = _sample([*args, "--seed", "0"], tmp_path, "b")
    c = _sample([*args, "--seed", "1"], tmp_path, "c")
    typical = _sample([*args, "--typical"], tmp_path, "t")
    for m in ("gait_speed_m_s", "stride_length_m", "cadence_steps_min", "peak_knee_flexion_swing_deg"):
        assert a[m].std() > 0, m
        assert typical[m].nunique() == 1, m
    pd.testing.assert_frame_equal(a, b)
    assert not np.array_equal(a["gait_speed_m_s"], c["gait_speed_m_s"])
    assert abs(a["gait_speed_m_s"].mean() - typical["gait_speed_m_s"].iloc[0]) < 3 * a["gait_speed_m_s"].std()
