"""``TrialResults``: save/open round trip (every plot and ``.oc`` exactly), integrity, coordinates, drift curve."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from trialsim import Study, TrialResults
from trialsim.errors import IntegrityError, TrialsimError

ROOT = Path(__file__).resolve().parents[2]
SMALL = ROOT / "tests" / "data" / "studies" / "small_pd.yaml"
PLOTS = {
    "power": {}, "type1_vs_drift": {}, "trajectories": {"trial": 1},
    "posteriors": {"scenario": "no_effect"},
}


@pytest.fixture(scope="module")
def fresh() -> TrialResults:
    study = Study.from_yaml(SMALL).replace(fields={"scenarios": [
        {"name": "no_effect", "effect_scale": 0.0},
        {"name": "no_effect_drift_minus", "effect_scale": 0.0, "drift": {"outcome_offset": -0.03}},
        {"name": "expected", "effect_scale": 1.0},
        {"name": "expected_drift_minus", "effect_scale": 1.0, "drift": {"outcome_offset": -0.03}},
    ]})
    return study.run(replicates=30)


@pytest.fixture(scope="module")
def saved(fresh: TrialResults, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fresh.save(tmp_path_factory.mktemp("results") / "run")


def _lines(fig) -> list[np.ndarray]:  # type: ignore[no-untyped-def]
    return [np.asarray(line.get_xydata()) for ax in fig.axes for line in ax.get_lines()]


def test_open_reproduces_oc_and_every_plot_exactly(fresh: TrialResults, saved: Path) -> None:
    opened = TrialResults.open(saved)
    pd.testing.assert_frame_equal(opened.oc, fresh.oc, check_exact=True)
    pd.testing.assert_frame_equal(opened.drift_curve, fresh.drift_curve, check_exact=True)
    assert opened.recommended == fresh.recommended
    for name, kwargs in PLOTS.items():
        a = getattr(fresh.plot, name)(backend="plotly", **kwargs).to_plotly_json()
        b = getattr(opened.plot, name)(backend="plotly", **kwargs).to_plotly_json()
        assert json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str), name
        fa, fb = getattr(fresh.plot, name)(**kwargs), getattr(opened.plot, name)(**kwargs)
        la, lb = _lines(fa), _lines(fb)
        assert la, name
        assert len(la) == len(lb), name
        for x, y in zip(la, lb, strict=True):
            np.testing.assert_array_equal(x, y)


def test_saving_needs_no_rerun_and_is_reproducible(fresh: TrialResults, saved: Path, tmp_path: Path) -> None:
    second = fresh.save(tmp_path / "again", report=None)
    for name in ("summary.json", "oc.csv"):
        assert (second / name).read_bytes() == (saved / name).read_bytes()
    assert not (tmp_path / "again.partial").exists()
    with pytest.raises(TrialsimError, match="exists and is not empty"):
        fresh.save(second)


def test_tampered_directory_is_refused_with_one_line(saved: Path, tmp_path: Path) -> None:
    import shutil

    for victim in ("results.nc", "summary.json"):
        copy = tmp_path / victim
        shutil.copytree(saved, copy)
        data = bytearray((copy / victim).read_bytes())
        data[len(data) // 2] ^= 0xFF
        (copy / victim).write_bytes(bytes(data))
        with pytest.raises(IntegrityError) as info:
            TrialResults.open(copy)
        assert "sha256 differs from the manifest" in str(info.value)
        assert "\n" not in str(info.value)
    out = subprocess.run([sys.executable, "-m", "trialsim", "report", str(tmp_path / "results.nc")],
                         capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1
    assert "Traceback" not in out.stderr


def test_scenario_and_analysis_kinds_are_coordinates(fresh: TrialResults) -> None:
    oc = fresh.tree["oc"]
    for name in ("is_null", "drift_outcome_offset", "effect_scale"):
        assert name in oc.coords
        assert oc.coords[name].dims == ("scenario",)
    for name in ("borrowing", "prognostic_adjustment"):
        assert oc.coords[name].dims == ("analysis", "design")
    table = fresh.oc
    assert set(table[table.is_null].scenario) == {"no_effect", "no_effect_drift_minus"}
    borrowing = table[(table.analysis == "primary") & (table.n_synthetic > 0)].borrowing
    assert set(borrowing) == {"robust_mixture"}
    assert set(table[table.analysis == "reference"].borrowing) == {"none"}


def test_drift_curve_from_scenarios(fresh: TrialResults) -> None:
    tree = fresh.tree.copy()
    if "drift" in tree.children:  # a run that swept drift; without the sweep the scenarios give the curve
        del tree["drift"]
    curve = TrialResults(tree, fresh.summary).drift_curve
    assert list(curve.columns) == ["design", "n_synthetic", "drift", "type1_error", "type1_mc_se", "power", "power_mc_se"]
    assert sorted(set(curve.drift)) == [-0.03, 0.0]
    oc = fresh.oc
    row = curve[(curve.design == "c20_t20_s60") & (curve.drift == -0.03)].iloc[0]
    expected = oc[(oc.analysis == "primary") & (oc.scenario == "no_effect_drift_minus") & (oc.design == "c20_t20_s60")]
    assert row.type1_error == expected.power.iloc[0]


def test_drift_curve_reads_a_drift_group_when_present(fresh: TrialResults) -> None:
    import xarray as xr

    designs = [str(d) for d in fresh.tree["oc"].design.values]
    drifts = np.linspace(-0.05, 0.05, 11)
    sweep = xr.Dataset({name: (("design", "drift_m_s"), np.full((len(designs), 11), value))
                        for name, value in (("type1", 0.04), ("type1_mcse", 0.01), ("power", 0.8), ("power_mcse", 0.02))},
                       coords={"design": designs, "drift_m_s": drifts})
    tree = fresh.tree.copy()
    tree["drift"] = xr.DataTree(sweep)
    curve = TrialResults(tree, fresh.summary).drift_curve
    assert len(curve) == len(designs) * 11
    assert (curve.type1_error == 0.04).all()
    fig = TrialResults(tree, fresh.summary).plot.type1_vs_drift(backend="plotly")
    assert 1 <= len([t for t in fig.data if t.mode == "lines+markers"]) <= 8


def test_plots_are_readable_by_default(fresh: TrialResults) -> None:
    fig = fresh.plot.power()
    for ax in fig.axes:
        assert len(ax.get_lines()) <= 8 + 2  # ≤ 8 series, the reference line, the circled design
        low, high = ax.get_ylim()
        assert high - low < 1.0 or low > 0  # scaled to the data, not a fixed 0-1 axis
    drift = fresh.plot.type1_vs_drift()
    low, high = drift.axes[0].get_ylim()
    assert high < 1.0
    with pytest.raises(TrialsimError, match=r"design: 'c9_t9_s0' not in these results \(allowed: "):
        fresh.plot.posteriors(design="c9_t9_s0")


def test_report_of_in_memory_results_needs_a_directory(fresh: TrialResults, tmp_path: Path) -> None:
    unsaved = TrialResults(fresh.tree, fresh.summary)
    with pytest.raises(TrialsimError, match="save"):
        unsaved.report()
    path = unsaved.report(format="html", directory=tmp_path)
    assert path.read_text().lstrip().lower().startswith("<!doctype html")
