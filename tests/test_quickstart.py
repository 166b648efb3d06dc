"""The README's quick start (examples/quickstart.py) runs, and its numbers are what the run says."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

QUICKSTART = Path(__file__).resolve().parents[1] / "examples" / "quickstart.py"


def test_quickstart_runs_and_its_numbers_hold(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main = runpy.run_path(str(QUICKSTART))["main"]
    numbers = main(tmp_path, replicates=100)
    printed = capsys.readouterr().out
    assert numbers["replicates"] == 100
    # the simulated symptomatic effect on 24-week gait speed is a few cm/s (README: 0.064 m/s on the generator)
    assert 0.03 < numbers["true_effect_m_s"] < 0.09
    # more patients, more power (same virtual patients in both designs)
    assert numbers["power_c40_t40_s0"] > numbers["power_c20_t20_s0"]
    # synthetic controls 0.02 m/s worse than concurrent ones raise the borrowing designs' type I error
    # above that of the same concurrent arms without synthetic controls (same virtual patients)
    assert numbers["type1_excess_from_borrowing"] > 0
    assert numbers["oc_reopened_equal"] is True
    assert numbers["study_yaml_has_drift"] is True
    assert Path(numbers["report"]).is_file()
    for name in ("power.png", "type1_vs_drift.png", "run/results.nc", "run/manifest.json", "run/report.html"):
        assert (tmp_path / name).is_file(), name
    assert f"recommended: {numbers['recommended'] or 'none'}" in printed


def test_readme_shows_the_quickstart() -> None:
    readme = (QUICKSTART.parents[1] / "README.md").read_text()
    assert "examples/quickstart.py" in readme
    for line in ("Study.from_yaml(", ".replace(n_per_arm=[20, 40]", ".run(replicates=", "results.plot.power()",
                 "results.save(", "TrialResults.open(", ".report(format="):
        assert line in readme, line
