"""``trialsim physics ...`` and ``trialsim library ...`` commands (typer apps).

User mistakes raise :class:`trialsim.errors.TrialsimError` subclasses with a
one-line message; the main CLI prints it and exits 2.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import typer

from trialsim.errors import InputFileError, OutputPathError, SimulationError, TrialsimError
from trialsim.physiology.parameters import PARAMETERS

physics_app = typer.Typer(help="Build musculoskeletal models and simulate one patient's gait.", no_args_is_help=True)
library_app = typer.Typer(help="Build and inspect the simulation library.", no_args_is_help=True)


class ParameterError(TrialsimError):
    """A ``--set NAME=VALUE`` option is malformed, unknown or out of range."""


def parse_settings(settings: list[str]) -> dict[str, float]:
    """Parse ``NAME=VALUE`` strings against the parameter registry."""
    out: dict[str, float] = {}
    for item in settings:
        if "=" not in item:
            raise ParameterError(f"--set {item!r}: expected NAME=VALUE, e.g. --set strength_plantarflexors=0.6")
        name, raw = (part.strip() for part in item.split("=", 1))
        if name not in PARAMETERS:
            allowed = ", ".join(n for n in PARAMETERS if not n.endswith(("_l", "_r")))
            raise ParameterError(f"--set {name}: unknown parameter; allowed: {allowed} (and <strength|fiber_length>_<group>_<l|r>)")
        try:
            value = float(raw)
        except ValueError:
            raise ParameterError(f"--set {name}={raw}: value must be a number") from None
        p = PARAMETERS[name]
        if not math.isfinite(value) or not (p.low <= value <= p.high):
            raise ParameterError(f"--set {name}={raw}: out of range; allowed {p.low:g} to {p.high:g} {p.unit}")
        out[name] = value
    return out


def _output_dir(path: Path) -> Path:
    if path.exists() and not path.is_dir():
        raise OutputPathError(f"--out {path}: exists and is not a directory; choose a new directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputPathError(f"--out {path}: cannot create directory ({exc.strerror})") from None
    return path


@physics_app.command("params")
def params_command(sides: bool = typer.Option(False, "--sides", help="Also list the per-side (_l/_r) parameters.")) -> None:
    """List the musculoskeletal parameters: name, unit, nominal, range."""
    from rich.console import Console
    from rich.table import Table

    table = Table("name", "unit", "nominal", "range", "description")
    for p in PARAMETERS.values():
        if p.name.endswith(("_l", "_r")) and not sides:
            continue
        table.add_row(p.name, p.unit, f"{p.nominal:g}", f"{p.low:g}–{p.high:g}", p.description)
    Console().print(table)


@physics_app.command("build")
def build_command(
    set_: list[str] = typer.Option([], "--set", help="NAME=VALUE parameter override (repeatable)."),
    out: Path = typer.Option(..., "--out", help="Where to write the .osim model."),
) -> None:
    """Build a patient's OpenSim model and write it as .osim."""
    from trialsim.musculoskeletal.model import build_model

    params = parse_settings(set_)
    if out.suffix != ".osim":
        raise OutputPathError(f"--out {out}: must end in .osim")
    if out.exists() and out.is_dir():
        raise OutputPathError(f"--out {out}: is a directory; give a file name ending in .osim")
    if not out.parent.exists():
        raise OutputPathError(f"--out {out}: folder {out.parent} does not exist")
    build_model(params).printToXML(str(out))
    typer.echo(f"wrote {out}")


@physics_app.command("simulate")
def simulate_command(
    set_: list[str] = typer.Option([], "--set", help="NAME=VALUE parameter override (repeatable)."),
    speed: float | None = typer.Option(None, "--speed", help="Impose an average speed (m/s); default: the body chooses it (one free-speed solve)."),
    route: str = typer.Option("v2", "--route", help="Physics route: v2 (free speed, energy and time) or v1 (three imposed-speed solves)."),
    out: Path = typer.Option(..., "--out", help="Output directory (summary.json, curves.parquet)."),
    timeout: float = typer.Option(900.0, "--timeout", help="Seconds per solve before the worker is killed."),
    threads: int = typer.Option(1, "--threads", help="CasADi threads per solve."),
    mesh: int = typer.Option(20, "--mesh", min=10, max=100, help="Mesh intervals (default: the library's)."),
    tolerance: float = typer.Option(1e-2, "--tolerance", min=1e-6, max=1e-1, help="IPOPT convergence tolerance (default: the library's)."),
) -> None:
    """Simulate one patient's gait (Moco predictive solve, warm-started; the library's solver settings)."""
    from trialsim.musculoskeletal.library_v2 import LIBRARY_SETTINGS
    from trialsim.musculoskeletal.simulation import simulate_gait

    if route not in ("v1", "v2"):
        raise ParameterError(f"--route {route}: unknown physics route; allowed: v1, v2")
    params = parse_settings(set_)
    if speed is not None and not (0.2 <= speed <= 2.5):
        raise ParameterError(f"--speed {speed:g}: out of range; allowed 0.2 to 2.5 m/s")
    out_dir = _output_dir(out)
    sim = simulate_gait(params, speed_m_s=speed, route=route, timeout_s=timeout, threads=threads, mesh_intervals=mesh,
                        tolerance=tolerance, max_iterations=int(LIBRARY_SETTINGS["max_iterations"]))
    record = sim.to_record()
    record.pop("curves")
    if route == "v2":
        from trialsim.musculoskeletal.library_v2 import LIBRARY_VERSION, objective_settings

        record["physics"] = {"route": "v2", "library_version": LIBRARY_VERSION, **objective_settings()}
    (out_dir / "summary.json").write_text(json.dumps(record, indent=1, allow_nan=True))
    sim.curves_frame().to_parquet(out_dir / "curves.parquet", index=False)
    status = "converged" if sim.success else f"FAILED ({sim.failure_reason})"
    typer.echo(f"{status}; speed {sim.measures.get('gait_speed_m_s', math.nan):.2f} m/s ({sim.speed_source}), "
               f"stride {sim.measures.get('stride_length_m', math.nan):.2f} m, "
               f"cadence {sim.measures.get('cadence_steps_min', math.nan):.0f}/min → {out_dir}")
    if not sim.success:
        raise typer.Exit(1)


@library_app.command("build")
def library_build_command(
    n: int = typer.Option(..., "--n", min=1, help="Number of design samples."),
    workers: int = typer.Option(1, "--workers", min=0, help="Parallel solves (Dask LocalCluster when > 1; 0 or 1: one at a time)."),
    out: Path = typer.Option(..., "--out", help="Library directory (resumes if it exists)."),
    scheduler: str | None = typer.Option(None, "--scheduler", help="Address of an existing dask scheduler."),
    seed: int = typer.Option(0, "--seed"),
    timeout: float = typer.Option(600.0, "--timeout", help="Seconds per solve."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bar."),
    speed_siblings: int = typer.Option(0, "--speed-siblings", min=0,
                                       help="Also solve the first K healthy/PD/CP bodies at two more speeds."),
    version: int = typer.Option(3, "--version", min=1, max=3,
                                help="Library version: 3 (one free-speed solve per body, the current objective) or 1 "
                                     "(imposed speeds); 2 is read-only."),
) -> None:
    """Build (or resume) a simulation library."""
    from trialsim.musculoskeletal.library import build_library, library_status
    from trialsim.musculoskeletal.library_v2 import LIBRARY_VERSION, build_library_v2

    if n > 100_000:
        raise TrialsimError(f"--n {n}: too many samples; allowed up to 100000")
    if version == 2:
        raise ParameterError(f"--version 2: library v2's objective has been replaced by v{LIBRARY_VERSION}'s "
                             f"(head-arms-trunk stability); its data stay readable; build --version {LIBRARY_VERSION}")
    out_dir = _output_dir(out)
    if version == LIBRARY_VERSION:
        build_library_v2(out_dir, n=n, workers=workers, scheduler_address=scheduler, seed=seed,
                         timeout_s=max(timeout, 1800.0) if timeout == 600.0 else timeout, quiet=quiet,
                         speed_siblings=speed_siblings)
    else:
        build_library(out_dir, n=n, workers=workers, scheduler_address=scheduler, seed=seed, timeout_s=timeout,
                      quiet=quiet, speed_siblings=speed_siblings)
    _print_status(library_status(out_dir))


@library_app.command("status")
def library_status_command(
    directory: Path | None = typer.Argument(None, help="Library directory (default: the shipped library v3, the generator's training set)."),
) -> None:
    """Show done / failed / pending counts and failure reasons."""
    from trialsim.musculoskeletal.library import (
        GENERATOR_LIBRARY_VERSION,
        library_status,
        shipped_library_dir,
    )

    directory = shipped_library_dir(GENERATOR_LIBRARY_VERSION) if directory is None else directory
    if not directory.exists():
        raise InputFileError(f"{directory}: library directory not found")
    _print_status(library_status(directory))


@library_app.command("path")
def library_path_command(
    version: int | None = typer.Option(None, "--version", min=1, max=3,
                                       help="3: library v3 (current objective, the shipped generator's training set; "
                                            "default); 2: library v2; 1: the v1 library."),
) -> None:
    """Print the directory of a library shipped with the package (default: the generator's, v3)."""
    from trialsim.musculoskeletal.library import GENERATOR_LIBRARY_VERSION, shipped_library_dir

    typer.echo(str(shipped_library_dir(GENERATOR_LIBRARY_VERSION if version is None else version)))


def _print_status(status: dict[str, object]) -> None:
    typer.echo(f"done: {status['done']}  failed: {status['failed']}  pending: {status['pending']}")
    sources = status.get("converged_by_speed_source") or {}
    if isinstance(sources, dict) and sources:
        typer.echo("converged: " + ", ".join(f"{k} {v}" for k, v in sorted(sources.items())))
    reasons = status.get("failure_reasons") or {}
    assert isinstance(reasons, dict)
    for reason, count in reasons.items():
        typer.echo(f"  {count} × {reason}")


__all__ = ["ParameterError", "SimulationError", "library_app", "parse_settings", "physics_app"]
