"""``trialsim synth insoles|imu|video`` and ``trialsim fidelity`` (mounted by :mod:`trialsim.cli`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from trialsim.errors import TrialsimError

synth_app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False)

CohortArg = Annotated[Path, typer.Argument(help="cohort YAML")]
NOpt = Annotated[int, typer.Option("--n", help="number of virtual patients", min=1, max=1_000_000)]
SeedOpt = Annotated[int, typer.Option(help="random seed", min=0, max=2**32 - 1)]
OutOpt = Annotated[Path, typer.Option(help="output folder (resumed if it holds the same dataset)")]
SimOpt = Annotated[str, typer.Option(help="reference or generator")]
DurationOpt = Annotated[float | None, typer.Option(help="seconds of walking per subject (default 120 insoles, 60 imu)")]
WalkwayOpt = Annotated[float, typer.Option(help="metres of straight walkway between turns (0 = no turns)")]
QuietOpt = Annotated[bool, typer.Option(help="no progress bar")]
StartStopOpt = Annotated[bool, typer.Option("--start-stop", help="each walk starts and ends standing (3 steps to reach speed, 3 to stop)")]


def _synth(kind: str, cohort_file: Path, *, n: int, seed: int, out: Path, simulator: str, duration_s: float | None,
           walkway_m: float, quiet: bool, start_stop: bool = False) -> None:
    from rich.progress import Progress

    from trialsim.datasets.synth import synth_dataset
    from trialsim.generative.simulators import simulator_named as select_simulator
    from trialsim.spec.loading import load_cohort, read_text

    if simulator not in ("reference", "generator"):
        raise TrialsimError(f"--simulator: {simulator!r} unknown (allowed: reference, generator)")
    cohort = load_cohort(cohort_file)
    text = read_text(cohort_file, what="cohort YAML")
    with Progress(disable=quiet, transient=True) as bar:
        task = bar.add_task(f"synth {kind}", total=n)
        manifest = synth_dataset(
            cohort, kind=kind, n=n, seed=seed, out=out, simulator=select_simulator(simulator), cohort_text=text,
            duration_s=duration_s, walkway_m=walkway_m, progress=lambda done, total: bar.update(task, completed=done, total=total),
            start_stop=start_stop,
        )
    typer.echo(f"{manifest['n']} {kind} subjects -> {out} (subjects.csv + one CSV per subject)")


@synth_app.command("insoles")
def synth_insoles(cohort_file: CohortArg, n: NOpt = 100, seed: SeedOpt = 0, out: OutOpt = Path("synth_insoles"),
                  simulator: SimOpt = "reference", duration_s: DurationOpt = None, walkway_m: WalkwayOpt = 25.0,
                  quiet: QuietOpt = False, start_stop: StartStopOpt = False) -> None:
    """Insole forces (gaitpdb layout: time_s, l1…l8, r1…r8, total_l_n, total_r_n at 100 Hz)."""
    _synth("insoles", cohort_file, n=n, seed=seed, out=out, simulator=simulator, duration_s=duration_s, walkway_m=walkway_m, quiet=quiet,
           start_stop=start_stop)


@synth_app.command("imu")
def synth_imu(cohort_file: CohortArg, n: NOpt = 100, seed: SeedOpt = 0, out: OutOpt = Path("synth_imu"),
              simulator: SimOpt = "reference", duration_s: DurationOpt = None, walkway_m: WalkwayOpt = 25.0,
              quiet: QuietOpt = False, start_stop: StartStopOpt = False) -> None:
    """Accelerometer and gyroscope at lumbar and both ankles (100 Hz; frame in trialsim.sensors.imu)."""
    _synth("imu", cohort_file, n=n, seed=seed, out=out, simulator=simulator, duration_s=duration_s, walkway_m=walkway_m, quiet=quiet,
           start_stop=start_stop)


@synth_app.command("video")
def synth_video(cohort_file: CohortArg, n: NOpt = 100, seed: SeedOpt = 0, out: OutOpt = Path("synth_video"),
                simulator: SimOpt = "reference", quiet: QuietOpt = False) -> None:
    """2-D keypoints (hips, knees, ankles, toes; pixels, 30 fps) of a pass in front of a side camera."""
    _synth("video", cohort_file, n=n, seed=seed, out=out, simulator=simulator, duration_s=None, walkway_m=0.0, quiet=quiet)


def fidelity_command(
    real_dir: Annotated[Path, typer.Argument(help="folder of real insole recordings: subjects.csv + <subject>.csv (gaitpdb layout)")],
    synthetic: Annotated[Path | None, typer.Option(help="folder written by `trialsim synth insoles`")] = None,
    cohort: Annotated[Path | None, typer.Option(help="or: a cohort YAML to synthesise in memory")] = None,
    n: Annotated[int, typer.Option("--n", help="with --cohort: virtual patients", min=5, max=100_000)] = 200,
    seed: SeedOpt = 0,
    simulator: SimOpt = "reference",
    out: Annotated[Path, typer.Option(help="output folder for fidelity.html and fidelity.csv")] = Path("fidelity"),
    group: Annotated[str | None, typer.Option(help="subjects.csv column to compare within (default: pd, or condition)")] = None,
) -> None:
    """Synthetic vs real recordings: same features, standardised differences, classifier two-sample AUC, HTML."""
    from trialsim.datasets.fidelity import fidelity_report

    path = fidelity_report(real_dir, synthetic, out=out, group=group, cohort=cohort, n=n, seed=seed, simulator=simulator)
    typer.echo(str(path))
