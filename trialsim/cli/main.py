"""The ``trialsim`` command line (typer). User mistakes: one line on stderr, exit code 2."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer

from trialsim.cli.generator import generator_app, twin_command
from trialsim.cli.physics import library_app, physics_app
from trialsim.cli.sensors import fidelity_command, synth_app
from trialsim.errors import SpecError, TrialsimError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False, help="In-silico clinical trials in movement disorders.")


def recommendation_line(rec: dict[str, object]) -> str:
    """One line: what the run recommends, saving or not (the same words as summary.json)."""
    conv = rec.get("conventional_n_total")
    uncertainty = rec.get("uncertainty")
    uncertain = isinstance(uncertainty, dict) and uncertainty.get("choice_uncertain")
    tail = "; choice uncertain across bootstrap resamples" if uncertain else ""
    if rec.get("found") and rec.get("saves_patients"):
        return (f"recommended: {rec['design']} ({rec['n_total']} concurrent patients; power {rec['power']:.2f}, "
                f"lower bound {rec['power_lower_bound']:.2f}; {rec['patients_saved']} patients saved vs the conventional "
                f"{conv}{tail})")
    if conv is not None:
        smallest = f"; smallest simulated design that qualifies: {rec['design']} ({rec['n_total']})" if rec.get("found") else ""
        return (f"recommended: the conventional 1:1 trial, {rec.get('conventional_n_per_arm')} per arm ({conv} patients, "
                f"closed form); no candidate design saves patients{smallest}{tail}")
    return f"no design met the criteria: {rec.get('reason')}"


def crosscheck_line(summary: dict[str, object]) -> str | None:
    """One line: what the same study recommends on the ``reference`` simulator (None without a cross-check)."""
    check = summary.get("simulator_crosscheck")
    if not isinstance(check, dict):
        return None
    rec = check.get("recommended_design") or {}
    found = (f"{rec['design']} ({rec['n_total']:.0f} concurrent patients; power {rec['power']:.2f})" if rec.get("found")
             else "no design in the grid")
    conv = rec.get("conventional_n_total")
    return (f"cross-check: on the {check['simulator']} simulator (same seed and design) the rule recommends {found}"
            + (f"; conventional trial {conv:.0f} patients" if conv is not None else "")
            + f" (the {check['primary_simulator']}'s result is above; checkpoint sha256 "
            f"{str(check.get('primary_checkpoint_sha256', ''))[:16]}…; report section 6.1)")


def _fail(message: str) -> None:
    raise TrialsimError(message)


@app.command()
def validate(files: Annotated[list[Path], typer.Argument(help="study or cohort YAML files")]) -> None:
    """Check study/cohort YAML files: exit 0, or 2 with one line per problem."""
    from trialsim.spec.loading import detect_kind, load_cohort, load_study, parse_yaml, read_text

    problems: list[str] = []
    for path in files:
        try:
            data = parse_yaml(read_text(path, what="YAML file"), source=str(path))
            if detect_kind(data) == "study":
                loaded = load_study(path)
                from trialsim.trial.simulate import check_study

                check_study(loaded)
            else:
                load_cohort(path)
        except SpecError as exc:
            problems.extend(exc.lines())
        except TrialsimError as exc:
            problems.append(str(exc))
    if problems:
        for line in problems:
            typer.echo(line, err=True)
        raise typer.Exit(2)
    typer.echo(f"{len(files)} file(s) valid")


@app.command()
def schema(out: Annotated[Path, typer.Option(help="folder for the JSON Schema files")] = Path("schemas")) -> None:
    """Write JSON Schemas of the study and cohort YAML (for editor autocomplete)."""
    from trialsim.spec.cohort import CohortSpec
    from trialsim.spec.study import StudySpec

    if out.exists() and not out.is_dir():
        _fail(f"--out: {out} is a file; give a folder")
    out.mkdir(parents=True, exist_ok=True)
    for name, model in (("study", StudySpec), ("cohort", CohortSpec)):
        path = out / f"{name}.schema.json"
        path.write_text(json.dumps(model.model_json_schema(), indent=2))
        typer.echo(str(path))


def _atomic_parquet(df, out: Path) -> None:  # type: ignore[no-untyped-def]
    if out.suffix != ".parquet":
        _fail(f"--out: {out} must end in .parquet")
    if not out.resolve().parent.is_dir():
        _fail(f"--out: folder {out.resolve().parent} does not exist; create it first")
    tmp = out.with_name(f".{out.name}.tmp")
    df.to_parquet(tmp, index=False)
    tmp.replace(out)


@app.command()
def cohort(
    cohort_file: Annotated[Path, typer.Argument(help="cohort YAML")],
    n: Annotated[int, typer.Option("--n", help="number of eligible patients", min=1, max=10_000_000)] = 100,
    seed: Annotated[int, typer.Option(help="random seed", min=0, max=2**32 - 1)] = 0,
    out: Annotated[Path, typer.Option(help="output .parquet file")] = Path("cohort.parquet"),
    simulator: Annotated[str, typer.Option(help="generator (physics-trained, calibrated cohorts) or reference (statistical formula)")] = "generator",
) -> None:
    """Sample virtual patients: covariates, severity, musculoskeletal parameters, baseline gait."""
    from trialsim.generative.simulators import SIMULATORS
    from trialsim.results.run import select_simulator
    from trialsim.spec.loading import load_cohort
    from trialsim.trial.enrolment import sample_cohort

    if simulator not in SIMULATORS:
        _fail(f"--simulator: {simulator!r} unknown (allowed: {', '.join(SIMULATORS)})")
    spec = load_cohort(cohort_file)
    if out.suffix != ".parquet":
        _fail(f"--out: {out} must end in .parquet")
    df = sample_cohort(spec, n=n, seed=seed, simulator=select_simulator(simulator))
    _atomic_parquet(df, out)
    typer.echo(f"{len(df)} patients on the {simulator} simulator -> {out} (screen-failure rate {df.attrs['screen_failure_rate']:.1%})")


@app.command()
def run(
    study: Annotated[Path, typer.Argument(help="study YAML")],
    out: Annotated[Path, typer.Option(help="output directory (must not exist, or pass --force)")],
    replicates: Annotated[int | None, typer.Option(help="override the study's replicates", min=1)] = None,
    workers: Annotated[int, typer.Option(help="parallel workers (Dask LocalCluster when > 1)", min=1, max=512)] = 1,
    seed: Annotated[int | None, typer.Option(help="override the study's seed", min=0, max=2**32 - 1)] = None,
    scheduler: Annotated[str | None, typer.Option(help="address of an existing Dask scheduler")] = None,
    resume: Annotated[bool, typer.Option(help="continue an interrupted run from its checkpoints")] = False,
    force: Annotated[bool, typer.Option(help="replace an existing output directory")] = False,
    quiet: Annotated[bool, typer.Option(help="no progress bars")] = False,
    example_posteriors: Annotated[bool, typer.Option(help="also fit the example trials with NUTS (PyMC; ArviZ diagnostics in the report)")] = False,
    cross_check: Annotated[bool, typer.Option(help="a study on the generator is also run on the reference simulator, shown side by side")] = True,
) -> None:
    """Run a study end to end: results.nc, summary.json, report.html in OUT."""
    from trialsim.api.study import Study
    from trialsim.api.workflow import execute_study

    parts = ["trialsim", "run", str(study), "--out", str(out)]
    if replicates is not None:
        parts += ["--replicates", str(replicates)]
    if seed is not None:
        parts += ["--seed", str(seed)]
    if example_posteriors:
        parts += ["--example-posteriors"]
    if not cross_check:
        parts += ["--no-cross-check"]
    results = execute_study(
        Study.from_yaml(study), out, replicates=replicates, seed=seed, workers=workers, scheduler=scheduler,
        resume=resume, force=force, quiet=quiet, example_posteriors=example_posteriors, cross_check=cross_check,
        command=shlex.join(parts),
    )
    typer.echo(recommendation_line(results.recommended))
    line = crosscheck_line(results.summary)
    if line:
        typer.echo(line)
    typer.echo(f"report: {out / 'report.html'}")


@app.command()
def report(
    directory: Annotated[Path, typer.Argument(help="results directory of a trialsim run")],
    format: Annotated[str, typer.Option("--format", help="html or pdf")] = "html",
) -> None:
    """Render the simulation report of a finished run (refuses altered results)."""
    from trialsim.api.trial_results import TrialResults

    if format not in ("html", "pdf"):
        _fail(f"--format: {format!r} unknown (allowed: html, pdf)")
    typer.echo(str(TrialResults.open(directory).report(format=format)))  # type: ignore[arg-type]


@app.command()
def dashboard(port: Annotated[int, typer.Option(help="port", min=1024, max=65535)] = 8501) -> None:
    """Start the Streamlit dashboard (streamlit run app.py)."""
    import subprocess

    from trialsim.catalog import PROJECT_ROOT

    app_file = PROJECT_ROOT / "app.py"
    if not app_file.is_file():
        _fail(f"{app_file}: dashboard app not found (run from a trialsim checkout)")
    raise typer.Exit(subprocess.call([sys.executable, "-m", "streamlit", "run", str(app_file), "--server.port", str(port), "--server.headless", "true"]))


app.add_typer(physics_app, name="physics", help="patient-specific OpenSim models and Moco gait simulations")
app.add_typer(library_app, name="library", help="the simulation library")
app.add_typer(generator_app, name="generator", help="the physics-trained gait generator")
app.command("twin", help="digital twins: inferred parameters and predicted control outcome")(twin_command)
app.add_typer(synth_app, name="synth", help="labelled synthetic sensor datasets (insoles, imu, video)")
app.command("fidelity", help="synthetic vs real recordings: same features, two-sample test, HTML")(fidelity_command)


def main() -> None:
    """Entry point: run the CLI, turning user mistakes into one line and exit code 2."""
    from typer._click.exceptions import ClickException, NoArgsIsHelpError

    try:
        code = app(standalone_mode=False)
    except TrialsimError as exc:
        message = "\n".join(exc.lines()) if isinstance(exc, SpecError) else str(exc)
        typer.echo(message if isinstance(exc, SpecError) else f"error: {message}", err=True)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(130)
    except NoArgsIsHelpError as exc:
        exc.show()
        sys.exit(0)
    except ClickException as exc:
        typer.echo(f"error: {exc.format_message()}".replace("\n", " "), err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
