"""CLI, dashboard, report and the Python API give identical numbers for the same study and seed."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd

from tests.dashboard.conftest import metrics
from tests.report.support import html_tables
from trialsim import Study
from trialsim.catalog import COHORTS_DIR


def test_cli_dashboard_report_and_api_agree(make_app, tmp_path: Path) -> None:
    # the dashboard runs its settings (default study, 20 replicates, n_per_arm 20,40)…
    at = make_app(seed="123").run(timeout=240)
    assert not at.exception
    shown, text = metrics(at), at.code[0].value
    dashboard_oc = at.dataframe[0].value
    # …the same YAML, saved as a study file, is run by the CLI
    (tmp_path / "studies").mkdir()
    shutil.copytree(COHORTS_DIR, tmp_path / "cohorts")
    study_file = tmp_path / "studies" / "from_dashboard.yaml"
    study_file.write_text(text)
    out = tmp_path / "run"
    subprocess.run([sys.executable, "-m", "trialsim", "run", str(study_file), "--out", str(out), "--quiet"],
                   check=True, cwd=Path(__file__).resolve().parents[2])
    summary = json.loads((out / "summary.json").read_text())
    cli_oc = pd.read_csv(out / "oc.csv")
    # …and by the Python API
    api = Study.from_yaml(study_file).run()

    rec = summary["recommended_design"]
    assert api.recommended == rec
    if rec["found"]:
        assert shown["Recommended design"][0] == rec["design"]
        assert shown["Power (worst alternative)"][0] == f"{rec['power']:.3f}"
        assert shown["Max type I error"][0] == f"{rec['max_type1_error']:.3f}"
    else:
        assert shown["Recommended design"][0] == "none in grid"
    key = ["analysis", "scenario", "design"]
    merged = dashboard_oc.merge(cli_oc, on=key, suffixes=("_dashboard", "_cli")).merge(api.oc, on=key)
    assert len(merged) == len(cli_oc) == len(api.oc) == len(dashboard_oc)
    for column in ("power", "power_mc_se", "bias", "coverage"):
        assert (merged[f"{column}_dashboard"].to_numpy() == merged[f"{column}_cli"].to_numpy()).all(), column
        assert (merged[f"{column}_cli"].to_numpy() == merged[column].to_numpy()).all(), column
    # the report prints the same numbers
    rows = html_tables((out / "report.html").read_text())["table-operating_characteristics_primary"]
    header, body = rows[0], rows[1:]
    col = {name: i for i, name in enumerate(header)}
    primary = cli_oc[cli_oc.analysis == "primary"].set_index(["scenario", "design"])
    for row in body:
        expected = primary.loc[(row[col["scenario"]], row[col["design"]])]
        assert row[col["P(success)"]] == f"{expected.power:.3f}"
