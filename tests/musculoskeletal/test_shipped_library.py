"""The shipped physics library against published norms (reads parquet only: fast).

Bovi et al. 2011 (Gait Posture 33:6; REFERENCE.md), adults at natural speed: cadence
109.8 ± 9.1 steps/min, stride 1.33 ± 0.12 m, stance 62.6 ± 2.0 %, peak swing knee
flexion 64.1 ± 4.9°. Compared: the median of the library's healthy adults (height >
1.6 m) solved at 1.15–1.5 m/s, Bovi's natural-speed range.

Tolerances: cadence and stride within 1 SD (measured on 36 solves of the 271-converged library: +0.33 / +0.42 SD); swing knee
flexion within 2 SD (measured −1.8 SD: the model's swing is stiff); stance
within 4 SD (measured −3.5 SD, a known deficit: the two-sphere foot has no toe segment,
so toe-off comes early — MOCO-NOTES, musculoskeletal/README). The last bound guards
against the deficit growing, it does not claim stance is right.
"""

from __future__ import annotations

import pytest

from trialsim.musculoskeletal.library import library_status, load_library, shipped_library_dir

BOVI = {"cadence_steps_min": (109.8, 9.1, 1.0), "stride_length_m": (1.33, 0.12, 1.0),
        "peak_knee_flexion_swing_deg": (64.1, 4.9, 2.0), "stance_pct": (62.6, 2.0, 4.0)}


@pytest.fixture(scope="module")
def healthy_adults():  # type: ignore[no-untyped-def]
    sims = load_library().successful
    adults = sims[(sims["phenotype"] == "healthy") & (sims["param_height_m"] > 1.6)
                  & sims["gait_speed_m_s"].between(1.15, 1.5)]
    assert len(adults) >= 8, "too few healthy adult solves at natural speed in the shipped library"
    return adults


@pytest.mark.parametrize("measure", list(BOVI))
def test_healthy_adults_within_bovi_bands(healthy_adults, measure: str) -> None:  # type: ignore[no-untyped-def]
    mean, sd, k = BOVI[measure]
    median = float(healthy_adults[measure].median())
    assert abs(median - mean) <= k * sd, f"{measure}: library median {median:.2f} vs Bovi {mean} ± {k} × {sd}"


def test_shipped_library_is_consistent() -> None:
    status = library_status(shipped_library_dir())
    sims = load_library().simulations
    assert status["done"] + status["failed"] == len(sims)
    assert status["done"] >= 40
    # every converged solve keeps its Moco solution and its settings
    ok = sims[sims["success"]]
    for sim_id in ok["sim_id"]:
        assert (shipped_library_dir() / "solutions" / f"{sim_id}.sto.gz").exists(), sim_id
    assert set(ok["mesh_intervals"]) == {20}
    assert (ok["failure_reason"] == "").all()
    assert (sims.loc[~sims["success"], "failure_reason"] != "").all()


def test_library_cli_defaults_to_the_generators_library() -> None:
    """`library path` and `library status` without arguments name library v3, the generator's training set."""
    import typer
    from typer.testing import CliRunner

    from trialsim.cli.physics import library_app

    app = typer.Typer()
    app.add_typer(library_app, name="library")
    runner = CliRunner()
    from trialsim.musculoskeletal.library import GENERATOR_LIBRARY_VERSION

    assert GENERATOR_LIBRARY_VERSION == 3
    res = runner.invoke(app, ["library", "path"])
    assert res.exit_code == 0 and res.output.strip() == str(shipped_library_dir(3)), res.output
    assert shipped_library_dir(3).name == "library_v3"
    res = runner.invoke(app, ["library", "path", "--version", "1"])
    assert res.output.strip() == str(shipped_library_dir(1)), res.output
    res = runner.invoke(app, ["library", "status"])
    assert res.exit_code == 0, res.output
    done = library_status(shipped_library_dir(3))["done"]
    assert f"done: {done} " in res.output and "self_selected" in res.output, res.output


def test_library_build_refuses_version_2(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Library v2's objective was replaced (v3): building v2 is a one-line error, its data stay readable."""
    import typer
    from typer.testing import CliRunner

    from trialsim.cli.physics import ParameterError, library_app

    app = typer.Typer()
    app.add_typer(library_app, name="library")
    res = CliRunner().invoke(app, ["library", "build", "--n", "2", "--out", str(tmp_path / "lib"), "--version", "2"])
    assert isinstance(res.exception, ParameterError), res.output
    assert "build --version 3" in str(res.exception) and "\n" not in str(res.exception)
    assert not (tmp_path / "lib").exists()
