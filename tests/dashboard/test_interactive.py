"""The dashboard's plotly figures show the data they are given, and the gait view's geometry is right."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.dashboard.conftest import array
from trialsim.plotting import interactive as figures
from trialsim.plotting import interactive_results as results_figures
from trialsim.plotting.prepare import PosteriorData, PowerData

DATA = Path(figures.__file__).resolve().parents[1] / "data"


def test_published_norms_are_the_sourced_values() -> None:
    bovi = figures.NORMS["bovi_2011_adults"]
    assert bovi["cadence_steps_min"] == (109.8, 9.1)
    assert bovi["stride_length_m"] == (1.33, 0.12)
    assert bovi["stance_pct"] == (62.6, 2.0)
    assert bovi["peak_knee_flexion_swing_deg"] == (64.1, 4.9)
    bohannon = figures.NORMS["bohannon_2011_comfortable_speed_m_s"]["by_decade"]
    assert [lo for lo, _ in bohannon] == [20, 30, 40, 50, 60, 70, 80]
    assert all(0.9 < v < 1.5 for pair in bohannon.values() for v in pair)
    winter = figures.NORMS["winter_2009_segments"]
    assert (winter["thigh"], winter["shank"], winter["foot"]) == (0.245, 0.246, 0.152)
    assert all("20" in entry["source"] for entry in figures.NORMS.values())


@pytest.mark.parametrize("height_m", [1.2, 1.75])
def test_stick_figure_segments_follow_height_and_feet_touch_the_ground(height_m: float) -> None:
    curves, _ = figures.gait_cycle_curves()
    fig = figures.stick_figure(curves, height_m=height_m, stride_time_s=1.1, speed_m_s=1.2)
    assert 20 <= len(fig.frames) <= 50
    assert fig.layout.updatemenus[0].buttons[0].label.endswith("play")
    for frame in fig.frames:
        legs = [t for t in frame.data if t.name in ("left leg", "right leg")]
        assert len(legs) == 2
        lowest = min(min(y for y in t.y) for t in legs)
        assert lowest == pytest.approx(0.0, abs=1e-9)
        for leg in legs:
            p = np.c_[leg.x, leg.y]
            assert np.linalg.norm(p[1] - p[0]) == pytest.approx(0.245 * height_m)
            assert np.linalg.norm(p[2] - p[1]) == pytest.approx(0.246 * height_m)


def test_half_cycle_solution_is_mirrored_into_a_continuous_full_cycle(tmp_path) -> None:
    import shutil

    shutil.copy(DATA / "nominal_guess.sto", tmp_path / "nominal_guess.sto")  # no library: the Moco solution is used
    curves, source = figures.gait_cycle_curves(data_dir=tmp_path)
    assert "OpenSim/Moco" in source
    assert curves.gait_cycle_pct.iloc[0] == 0
    assert curves.gait_cycle_pct.iloc[-1] < 100
    half = len(curves) // 2
    for joint in figures.ANGLE_COLUMNS:
        right, left = curves[f"{joint}_r_deg"].to_numpy(), curves[f"{joint}_l_deg"].to_numpy()
        np.testing.assert_allclose(right[half:], left[:half])
        # no jump where the mirrored half joins, nor at the wrap-around
        steps = np.abs(np.diff(np.r_[right, right[0]]))
        assert steps.max() < 8.0, (joint, steps.argmax())
    knee = curves.knee_flexion_r_deg
    assert knee.max() > 45  # swing-phase knee flexion
    assert knee[curves.gait_cycle_pct > 50].max() > knee[curves.gait_cycle_pct < 50].max()


def test_reference_kinematics_are_used_when_no_simulation_is_shipped(tmp_path: Path) -> None:
    curves, source = figures.gait_cycle_curves(data_dir=tmp_path)
    assert source.startswith("normative reference kinematics")
    assert len(curves) == 51
    np.testing.assert_allclose(curves.knee_flexion_r_deg.iloc[0], curves.knee_flexion_r_deg.iloc[-1], atol=1e-9)


def test_library_curves_win_and_the_nearest_solve_is_chosen(tmp_path: Path) -> None:
    shutil.copy(DATA / "nominal_guess.sto", tmp_path)
    library = tmp_path / "library"
    library.mkdir()
    pct = np.linspace(0, 100, 51)
    sims, curves = [], []
    for i, (height, offset) in enumerate([(1.5, 10.0), (1.8, 20.0)]):
        sims.append({"sim_id": f"s{i}", "success": True, "objective": 1.0, "param_height_m": height, "gait_speed_m_s": 1.1})
        curves.append(pd.DataFrame({"sim_id": f"s{i}", "gait_cycle_pct": pct,
                                    **{f"{j}_{s}_deg": offset + 0 * pct for j in figures.ANGLE_COLUMNS for s in "rl"}}))
    pd.DataFrame(sims).to_parquet(library / "simulations.parquet")
    pd.concat(curves).to_parquet(library / "curves.parquet")
    chosen, source = figures.gait_cycle_curves(height_m=1.78, speed_m_s=1.1, data_dir=tmp_path)
    assert "library solve s1" in source
    assert (chosen.hip_flexion_r_deg == 20.0).all()


def _power_data() -> PowerData:
    rows = []
    for scenario, null in (("null", True), ("alt", False)):
        for n, p in ((40, 0.5), (80, 0.9)):
            rows.append({"scenario": scenario, "is_null": null, "series": "primary analysis, no synthetic controls",
                         "analysis": "primary", "n_synthetic": 0, "design": f"c{n // 2}_t{n // 2}_s0", "n_total": n,
                         "power": 0.03 if null else p, "power_mc_se": 0.06})
    return PowerData(pd.DataFrame(rows), {"null": 0.05, "alt": 0.8}, None)


def test_power_curves_plot_the_table_with_monte_carlo_bands() -> None:
    fig = results_figures.power(_power_data()).to_plotly_json()
    lines = [t for t in fig["data"] if t.get("mode") == "lines+markers"]
    assert [array(t["y"]) for t in lines] == [[0.03, 0.03], [0.5, 0.9]]
    bands = [t for t in fig["data"] if t.get("mode") == "lines" and t.get("showlegend") is False]
    upper, lower = array(bands[2]["y"]), array(bands[3]["y"])
    assert upper == pytest.approx([0.5 + 1.96 * 0.06, 1.0])  # clipped at 1
    assert lower == pytest.approx([0.5 - 1.96 * 0.06, 0.9 - 1.96 * 0.06])
    assert sorted(s["y0"] for s in fig["layout"]["shapes"]) == [0.05, 0.8]
    # the type I panel's axis is scaled to the data and the bound, not 0-1
    low, high = fig["layout"]["yaxis"]["range"]
    assert low == 0.0  # the band reaches below 0 and is clipped there
    assert 0.03 + 1.96 * 0.06 < high < 0.2


def test_posterior_intervals_show_every_replicate_coloured_by_decision() -> None:
    r = 30
    rng = np.random.default_rng(0)
    mean = rng.normal(0.05, 0.02, r)
    frame = pd.DataFrame({"scenario": "alt", "replicate": np.arange(r), "effect_mean": mean, "ci_low": mean - 0.03,
                          "ci_high": mean + 0.03, "success": mean - 0.03 > 0})
    fig = results_figures.posteriors(PosteriorData(frame, "alt", "c20_t20_s0", {"alt": 0.05}, 0.0))
    success, failure = fig.data
    assert len(success.x) + len(failure.x) == r
    assert len(success.x) == int((mean - 0.03 > 0).sum())
    assert np.all(np.diff(np.r_[failure.y, success.y][np.argsort(np.r_[failure.x, success.x])]) >= 0)
