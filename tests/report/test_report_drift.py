"""A study with drift under the null: type I error across drift, tipping point, gaps, no recommendation."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from .support import html_tables, run_study, section_text

DRIFT = Path(__file__).parent / "data" / "drift_pd.yaml"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return run_study(tmp_path_factory.mktemp("drift") / "drift", study=DRIFT, replicates=30)


@pytest.fixture(scope="module")
def page(run_dir: Path) -> str:
    return (run_dir / "report.html").read_text(encoding="utf-8")


def _expected_tipping(summary: dict, drifts: dict[str, float]) -> dict[str, float | None]:
    bound = summary["recommended_design"]["criteria"]["max_type1_error"]
    out: dict[str, float | None] = {}
    for d in summary["designs"]:
        if not d["scenario_kind"].endswith("null"):
            continue
        out.setdefault(d["design"], None)
        size = abs(drifts[d["scenario"]])
        current = out[d["design"]]
        if d["type1_error"] > bound and (current is None or size < abs(current)):
            out[d["design"]] = drifts[d["scenario"]]
    return out


def test_tipping_point_is_smallest_drift_exceeding_the_bound(run_dir: Path, page: str) -> None:
    summary = json.loads((run_dir / "summary.json").read_text())
    drifts = {"no_effect": 0.0, "drift_small": -0.005, "drift_large": -0.05, "drift_favourable": 0.03}
    expected = _expected_tipping(summary, drifts)
    assert any(v is not None for v in expected.values()), "the study must show a tipping point"
    rows = html_tables(page)["table-tipping_points"]
    col = {name: i for i, name in enumerate(rows[0])}
    shown = {r[col["design"]]: r[col["tipping drift"]] for r in rows[1:]}
    assert shown == {k: ("beyond grid" if v is None else f"{v:+g}") for k, v in expected.items()}
    exported = pd.read_csv(run_dir / "tables" / "tipping_points.csv")
    assert set(exported.design) == set(expected)


def test_type1_error_across_drift_table_and_figure(run_dir: Path, page: str) -> None:
    summary = json.loads((run_dir / "summary.json").read_text())
    rows = html_tables(page)["table-type1_error_across_drift"]
    col = {name: i for i, name in enumerate(rows[0])}
    primary = {(r[col["scenario"]], r[col["design"]]): r for r in rows[1:] if r[col["analysis"]] == "primary"}
    for d in summary["designs"]:
        if d["scenario_kind"].endswith("null"):
            row = primary[(d["scenario"], d["design"])]
            assert row[col["type1 error"]] == f"{d['type1_error']:.3f}"
            assert row[col["within bound"]] == ("yes" if d["type1_error"] <= 0.1 else "NO")
    assert (run_dir / "figures" / "type1_across_drift.svg").is_file()
    oc = section_text(page, "oc")
    assert "not assessed" not in oc


def test_grid_adequacy_and_missing_recommendation_stated(run_dir: Path, page: str) -> None:
    scen = " ".join(section_text(page, "scenarios").split())
    assert "covered: drift of synthetic controls under the null — drifts tested: -0.05, -0.005, 0, +0.03" in scen
    assert "covered: drift in both directions" in scen
    assert "gap: effect smaller than expected" in scen
    summary = json.loads((run_dir / "summary.json").read_text())
    rec = " ".join(section_text(page, "recommendation").split())
    assert summary["recommended_design"]["found"] is False
    assert "No design meets the criteria" in rec
    model = " ".join(section_text(page, "model").split())
    assert "cohort early_pd" in model  # inline cohort read from the study YAML
