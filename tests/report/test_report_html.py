"""The HTML report of a real run: §5 sections in order, numbers as in summary.json, exports, integrity."""

from __future__ import annotations

import ast
import html
import json
import re
import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest
import xarray as xr

from trialsim.cli import main
from trialsim.report.credibility import VALIDATION, VERIFICATION
from trialsim.results.store import verify_manifest

from .support import ROOT, SECTIONS, html_tables, run_study, section_text


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return run_study(tmp_path_factory.mktemp("html") / "small")


@pytest.fixture(scope="module")
def page(run_dir: Path) -> str:
    return (run_dir / "report.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def summary(run_dir: Path) -> dict:
    return json.loads((run_dir / "summary.json").read_text())


def test_every_section_present_in_reference_order(page: str) -> None:
    headings = [html.unescape(h) for h in re.findall(r"<h2>(.*?)</h2>", page)]
    assert headings == list(SECTIONS)


def test_operating_characteristics_match_summary(page: str, summary: dict) -> None:
    rows = html_tables(page)["table-operating_characteristics_primary"]
    header, body = rows[0], rows[1:]
    assert len(body) == len(summary["designs"])
    col = {name: i for i, name in enumerate(header)}
    for row, design in zip(body, summary["designs"], strict=True):
        assert (row[col["scenario"]], row[col["design"]]) == (design["scenario"], design["design"])
        assert row[col["P(success)"]] == f"{design['power']:.3f}"
        assert row[col["MC SE"]] == f"{design['power_mc_se']:.3f}"
        assert row[col["bias"]] == f"{design['bias']:.4f}"
        assert row[col["coverage"]] == f"{design['coverage']:.3f}"
        expected_t1 = "–" if design["type1_error"] is None else f"{design['type1_error']:.3f}"
        assert row[col["type1 error"]] == expected_t1


def test_recommended_design_and_patients_saved_shown(page: str, summary: dict) -> None:
    rec = summary["recommended_design"]
    text = " ".join(section_text(page, "recommendation").split())
    plain = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split()).lower()
    assert rec["statement"][:80].lower() in plain  # the preamble states the search's own sentence
    if not rec["found"]:
        assert "No design meets the criteria" in text
        return
    assert f"{rec['design']}" in text
    assert f"({rec['n_total']} concurrent)" in text
    assert f"minimum power {rec['power']:.3f}" in text
    assert f"lower bound {rec['power_lower_bound']:.3f}" in text
    assert f"maximum type I error {rec['max_type1_error']:.3f}" in text
    assert f"needs {rec['conventional_n_total']} patients" in text
    if rec["saves_patients"]:
        assert f"{rec['patients_saved']} patients saved" in text
    else:
        assert "No candidate design saves patients" in text and "Recommended: the conventional trial" in text
        assert "-" + str(rec["excess_patients"]) not in text


def test_drift_curve_in_summary_tree_and_report(run_dir: Path, page: str, summary: dict) -> None:
    drift = summary["drift"]
    values = drift["values"]
    assert len(values) >= 30 and drift["dimension"] == "drift_m_s"
    half = max(drift["clinically_important_difference"], 0.5 * drift["sd_change"])
    assert max(values) == pytest.approx(half) and min(values) == pytest.approx(-half)
    for design, curve in drift["curves"].items():
        assert len(curve["type1"]) == len(values) == len(curve["power_mcse"])
        assert set(drift["tipping_points"][design]) == {"type1_above_alpha", "type1_above_2alpha", "power_below_target"}
    records = summary["drift_curve"]  # CONTRACT.md shape
    assert len(records) == len(values) * len(drift["curves"])
    assert set(records[0]) >= {"drift", "design", "type1_error", "type1_mc_se", "power"}
    assert summary["tipping_points"] == drift["tipping_points"]
    tree = xr.open_datatree(run_dir / "results.nc", engine="h5netcdf")
    ds = tree["drift"].to_dataset()
    assert ds.type1.dims == ("design", "drift_m_s")
    assert {"type1", "type1_mcse", "power", "power_mcse"} <= set(ds.data_vars)
    one = next(iter(drift["curves"]))
    assert ds.type1.sel(design=one).values.round(10).tolist() == drift["curves"][one]["type1"]
    rows = html_tables(page)["table-drift_tipping_points"]
    assert {r[0] for r in rows[1:]} == set(drift["curves"])
    assert (run_dir / "figures" / "type1_vs_drift.svg").is_file()
    assert (run_dir / "figures" / "power_vs_drift.svg").is_file()
    bayes = " ".join(section_text(page, "bayes").split())
    assert "Type I error and power against drift" in bayes and "No validated drift range is claimed" in bayes


def test_drift_figures_scale_the_y_axis_to_the_data(run_dir: Path) -> None:
    from trialsim.plotting.figures import drift_curve
    from trialsim.plotting.interactive import drift_curves

    ds = xr.open_datatree(run_dir / "results.nc", engine="h5netcdf")["drift"].to_dataset()
    fig = drift_curve(ds, variable="type1", level=0.1, extra_level=0.2)
    low, high = fig.axes[0].get_ylim()
    band_top = float((ds.type1 + 1.96 * ds.type1_mcse).where(ds.n_synthetic > 0).max())
    assert high < 1.0 and high >= max(band_top, 0.2)
    plotly = drift_curves(ds, budget=0.1, target_power=0.8)
    assert plotly.layout.yaxis.range[1] < 1.0
    assert any(t.fill == "toself" for t in plotly.data)  # MC bands


def test_self_contained_with_figures_and_tables_exported(run_dir: Path, page: str, summary: dict) -> None:
    assert not re.search(r'(src|href)="(https?:)?//', page), "the HTML must not load anything from outside"
    assert "<script" not in page
    assert "<link" not in page
    figures = re.findall(r'<figure id="figure-([a-z0-9_]+)"><img alt="[^"]*" src="data:image/png;base64,', page)
    assert {"example_trials", "power_curves", "type1_across_drift", "bias_coverage", "ess_borrowed"} <= set(figures)
    for name in figures:
        assert (run_dir / "figures" / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert b"<svg" in (run_dir / "figures" / f"{name}.svg").read_bytes()[:500]
    for name in re.findall(r'<table id="table-([a-z0-9_]+)">', page):
        assert (run_dir / "tables" / f"{name}.csv").is_file(), name
    exported = pd.read_csv(run_dir / "tables" / "operating_characteristics_primary.csv")
    assert exported.power.round(10).tolist() == [d["power"] for d in summary["designs"]]
    full = pd.read_csv(run_dir / "tables" / "operating_characteristics.csv")
    assert set(full.analysis) == {"primary", "reference"}


def test_reference_simulator_run_says_fidelity_not_applicable(page: str) -> None:
    text = " ".join(section_text(page, "model").split())
    assert "used the statistical reference simulator" in text
    assert "fidelity figures" in text
    assert "not applicable to this run" in text


def test_model_sources_and_credibility_evidence_cited(page: str) -> None:
    text = " ".join(section_text(page, "model").split())
    for source in ("Skorvanek", "Lindle", "Winter", "Falisse", "Yamada", "Park et al. 2022", "Bohannon", "Bovi",
                   "Zanardi", "Webster"):
        assert source in text, source
    for item in ("Question of interest", "Context of use", "Model influence", "Decision consequence", "Model risk",
                 "Verification", "Validation", "Applicability"):
        assert item in text, item
    assert "each cell within ±10 %" in text
    assert "[−0.25, −0.08]" in text


def test_every_evidence_test_named_in_the_report_exists() -> None:
    for test in [e.test for e in VALIDATION] + [t for _, t in VERIFICATION]:
        path, name = test.split("::")
        tree = ast.parse((ROOT / path).read_text())
        names = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
        assert name in names, test


def test_bayesian_items_and_mc_error(page: str, summary: dict) -> None:
    bayes = " ".join(section_text(page, "bayes").split())
    for item in ("Prior construction", "Design prior and analysis prior", "Success criterion",
                 "Effective sample size borrowed", "Prior sensitivity", "Tipping point", "Convergence diagnostics",
                 "Type I error and power against drift",
                 "verified against full NUTS"):
        assert item in bayes, item
    rows = html_tables(page)["table-prior_sensitivity"]
    assert len(rows) - 1 == len(summary["designs"])
    mc = " ".join(section_text(page, "replicates").split())
    bound = summary["recommended_design"]["criteria"]["max_type1_error"]
    assert f"{(bound * (1 - bound) / summary['replicates']) ** 0.5:.4f}" in mc


def test_reproducibility_section_has_yaml_verbatim_and_command(run_dir: Path, page: str) -> None:
    attrs = xr.open_datatree(run_dir / "results.nc", engine="h5netcdf").attrs
    verbatim = [html.unescape(p) for p in re.findall(r"<pre>(.*?)</pre>", page, flags=re.S)]
    assert attrs["study_yaml"] in verbatim
    assert attrs["cohort_yaml"] in verbatim
    repro = section_text(page, "repro")
    for value in (attrs["command"], attrs["config_sha256"], attrs["seed"], "numpy"):
        assert value in repro, value


def test_report_command_rerenders_identically_and_refuses_altered_figures(
    run_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy)
    monkeypatch.setattr(sys, "argv", ["trialsim", "report", str(copy)])
    with pytest.raises(SystemExit) as info:
        main()
    assert info.value.code == 0
    assert (copy / "report.html").read_bytes() == (run_dir / "report.html").read_bytes()
    verify_manifest(copy)
    (copy / "figures" / "power_curves.png").write_bytes(b"tampered")
    with pytest.raises(SystemExit) as info:
        main()
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "power_curves.png" in err
    assert "altered" in err


def test_generator_run_shows_fidelity_and_hashes_instead_of_the_notice(
    run_dir: Path, summary: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from trialsim.report import credibility
    from trialsim.report.blocks import Paragraph, Table
    from trialsim.report.sections import build_report

    fidelity = tmp_path / "fidelity.json"
    monkeypatch.setattr(credibility, "shipped_fidelity_path", lambda: fidelity)
    fidelity.write_text(json.dumps({
        "checkpoint_sha256": "ab" * 32, "n_simulations": 120, "folds": 5, "c2st_auc": 0.61, "coverage_90_mean": 0.88,
        "method": "K-fold cross-validation", "measures": {"cadence_steps_min": {"mae": 1.5, "r2": 0.93},
                                                          "gait_speed_m_s": {"mae": 0.0, "r2": 1.0}},
        "self_selected_speed_vs_physics": {"n_bodies": 43, "source": "cost_minimum_3_speeds", "physics_mean_m_s": 1.05,
                                           "physics_sd_m_s": 0.12, "mae_m_s": 0.11, "constant_mae_m_s": 0.097,
                                           "mae_ratio_vs_constant": 1.13, "correlation": 0.3, "sampled_sd_ratio": 1.2},
        "curves": {"knee_flexion_deg": {"rmse": 3.2, "physics_sd": 6.0}},
    }))
    tree = xr.open_datatree(run_dir / "results.nc", engine="h5netcdf").load()
    tree.attrs.update({"simulator": "generator", "simulator_note": "physics-trained generator",
                       "simulator_checkpoint_sha256": "ab" * 32, "simulator_library_sha256": "cd" * 32})

    def model_blocks() -> list:
        report = build_report(tree, {**summary, "simulator": "generator"})
        repro = next(b for b in report.sections[-1].blocks if isinstance(b, Table) and b.name == "provenance")
        assert ("simulator_checkpoint_sha256", tree.attrs["simulator_checkpoint_sha256"]) in repro.rows
        assert ("simulator_library_sha256", "cd" * 32) in repro.rows
        return next(s for s in report.sections if s.id == "model").blocks

    blocks = model_blocks()
    texts = " ".join(b.text for b in blocks if isinstance(b, Paragraph))
    assert "not applicable to this run" not in texts
    assert "two-sample AUC 0.610" in texts
    measures = next(b for b in blocks if isinstance(b, Table) and b.name == "generator_fidelity_measures")
    assert ("cadence_steps_min", "1.500", "0.930") in measures.rows
    assert not any(r[0] == "gait_speed_m_s" for r in measures.rows)  # exact by construction: dropped
    speed = next(b for b in blocks if isinstance(b, Table) and b.name == "generator_fidelity_self_selected_speed")
    assert ("correlation r (target ≥ 0.7)", "0.300", "") in speed.rows
    assert ("MAE, constant predictor", "0.097", "m/s") in speed.rows
    curves = next(b for b in blocks if isinstance(b, Table) and b.name == "generator_fidelity_curves")
    assert ("knee_flexion_deg", "3.200", "6.000") in curves.rows

    tree.attrs["simulator_checkpoint_sha256"] = "ef" * 32  # another checkpoint: the shipped figures do not apply
    blocks = model_blocks()
    warnings = [b.text for b in blocks if isinstance(b, Paragraph) and b.kind == "warning"]
    assert any("do not apply" in w for w in warnings)
    assert not any(isinstance(b, Table) and b.name.startswith("generator_fidelity") for b in blocks)


def test_tree_and_summary_of_different_runs_are_refused(run_dir: Path, summary: dict) -> None:
    from trialsim.errors import IntegrityError
    from trialsim.report.sections import build_report

    tree = xr.open_datatree(run_dir / "results.nc", engine="h5netcdf").load()
    with pytest.raises(IntegrityError, match="different runs"):
        build_report(tree, {**summary, "config_sha256": "0" * 64})


def test_a_reference_run_has_no_simulator_crosscheck(run_dir: Path, page: str, summary: dict) -> None:
    """The cross-check (issue #15) compares another simulator with ``reference``: a run on ``reference`` says so
    and stores, prints and tabulates no second simulator."""
    assert summary["simulator"] == "reference"
    assert "simulator_crosscheck" not in summary
    assert "simulator_crosscheck" not in xr.open_datatree(run_dir / "results.nc", engine="h5netcdf").children
    assert "table-simulator_crosscheck" not in html_tables(page)
    text = section_text(page, "oc")
    assert "6.1 Simulator cross-check" in text
    assert "used the reference simulator, the cross-check simulator itself" in text
