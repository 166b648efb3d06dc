"""``trialsim generator ...`` and ``trialsim twin`` commands (typer apps).

User mistakes raise :class:`trialsim.errors.TrialsimError` subclasses with a one-line
message; the main CLI prints it and exits 2.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

import typer

from trialsim.errors import InputFileError, OutputPathError, TrialsimError

generator_app = typer.Typer(help="Train, sample and evaluate the physics-trained gait generator.", no_args_is_help=True)


def _read_parquet(path: Path, what: str) -> Any:
    import pandas as pd

    if not path.is_file():
        raise InputFileError(f"{what} {path}: file not found")
    try:
        return pd.read_parquet(path)
    except Exception as exc:
        raise InputFileError(f"{what} {path}: not a readable parquet file ({type(exc).__name__})") from None


def _write_parquet(df: Any, out: Path) -> None:
    if out.suffix != ".parquet":
        raise OutputPathError(f"--out {out}: must end in .parquet")
    if out.is_dir():
        raise OutputPathError(f"--out {out}: is a directory; give a file name ending in .parquet")
    if not out.resolve().parent.is_dir():
        raise OutputPathError(f"--out {out}: folder {out.resolve().parent} does not exist; create it first")
    tmp = out.with_name(f".{out.name}.tmp")
    df.to_parquet(tmp, index=False)
    tmp.replace(out)


def _generator(checkpoint: Path | None) -> Any:
    from trialsim.generative.loader import load_default_generator, load_generator

    return load_default_generator() if checkpoint is None else load_generator(checkpoint)


def _conditions(df: Any, source: Path) -> dict[str, Any]:
    """Parameter columns of a conditions table, checked against the registry."""
    import numpy as np

    from trialsim.generative.simulator import SPEED_KEY
    from trialsim.physiology.parameters import PARAMETERS

    params: dict[str, Any] = {}
    for col in df.columns:
        if col not in PARAMETERS and col != SPEED_KEY:
            continue
        try:
            values = df[col].to_numpy(float)
        except (TypeError, ValueError):
            raise InputFileError(f"{source}: column {col}: values must be numbers") from None
        if not np.isfinite(values).all():
            raise InputFileError(f"{source}: column {col}: missing or non-finite values; fill them or drop the column (it then takes its nominal value)")
        low, high, unit = (0.2, 2.5, "m/s") if col == SPEED_KEY else (PARAMETERS[col].low, PARAMETERS[col].high, PARAMETERS[col].unit)
        bad = (values < low) | (values > high)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise InputFileError(f"{source}: row {row}: {col}={values[row]:g} out of range; allowed {low:g} to {high:g} {unit}")
        params[col] = values
    return params


@generator_app.command("train")
def train_command(
    library: Annotated[Path, typer.Argument(help="simulation library directory")],
    out: Annotated[Path, typer.Option(help="checkpoint file to write (.pt)")],
    seed: Annotated[int, typer.Option(help="training seed", min=0, max=2**31 - 1)] = 0,
    steps: Annotated[int, typer.Option(help="optimiser steps per fit", min=10, max=100_000)] = 1500,
    threads: Annotated[int, typer.Option(help="torch threads (fixed for determinism)", min=1, max=64)] = 1,
    speed_head: Annotated[int, typer.Option(help="self-selected speed: 0 = cost-of-transport minimum; 1 = learned directly from the bodies whose choice is known (+ per-body effect); 2 = that minimum + a learned correction (+ per-body effect); -1 = automatic (1 on a library with free-speed solves, v2; else 2)", min=-1, max=2)] = -1,
) -> None:
    """Train the generator on a library (deterministic on CPU for a seed); a library with a
    ``speed_source`` column (v2) trains the chosen speed on its self-selected solves."""
    from trialsim.generative.dataset import load_training_data
    from trialsim.generative.train import TrainConfig, train_generator

    if out.suffix != ".pt":
        raise OutputPathError(f"--out {out}: must end in .pt")
    if not out.resolve().parent.is_dir():
        raise OutputPathError(f"--out {out}: folder {out.resolve().parent} does not exist; create it first")
    data = load_training_data(library)
    bundle = train_generator(data, config=TrainConfig(seed=seed, steps=steps, threads=threads, speed_head=speed_head))
    sha = bundle.save(out)
    held = f" ({data.n - bundle.n_train} speed siblings kept for validation)" if bundle.n_train < data.n else ""
    head = bundle.speed_head
    if head is not None:
        rule = "directly" if head.base == "none" else "as a correction to the cost-of-transport minimum"
        held += (f"; chosen speed learned {rule} from {head.n_bodies} bodies ({head.source}; ridge {head.ridge:.3g}), "
                 f"per-body effect SD {head.tau:.3f}")
    typer.echo(f"trained on {bundle.n_train} converged simulations{held} -> {out} ({out.stat().st_size / 1024:.0f} KiB, sha256 {sha[:16]}…, library {data.library_sha256[:16]}…)")


@generator_app.command("sample")
def sample_command(
    conditions: Annotated[Path, typer.Option(help="parquet: one row per patient, columns = physics parameter names (others nominal; optional speed_m_s imposes a speed; other columns are copied)")],
    out: Annotated[Path, typer.Option(help="output .parquet: one row per condition row, gait-measure columns")],
    checkpoint: Annotated[Path | None, typer.Option(help="generator checkpoint (default: the shipped one)")] = None,
    seed: Annotated[int, typer.Option(help="seed of the draws: each row is a new body drawn from the generator's predictive distribution (between-body variation the parameters do not explain, model uncertainty) on one day (within-body variability); same seed, same rows", min=0, max=2**32 - 1)] = 0,
    typical: Annotated[bool, typer.Option("--typical", help="the typical gait of each condition instead of a draw (identical conditions give identical rows)")] = False,
    curves: Annotated[Path | None, typer.Option(help="also write the curves (long format: row, gait_cycle_pct, one column per curve) to this .parquet")] = None,
) -> None:
    """Generate gaits for a table of conditions: draws (default, seeded) or the typical gait (--typical)."""
    import numpy as np
    import pandas as pd

    from trialsim.spec.names import GAIT_MEASURES

    df = _read_parquet(conditions, "--conditions")
    if len(df) == 0:
        raise InputFileError(f"--conditions {conditions}: no rows")
    if len(df) > 5_000_000:
        raise TrialsimError(f"--conditions {conditions}: {len(df)} rows; allowed up to 5000000 per call")
    params = _conditions(df, conditions)
    if out.suffix != ".parquet" or (curves is not None and curves.suffix != ".parquet"):
        raise OutputPathError("--out/--curves: must end in .parquet")
    gen = _generator(checkpoint)
    rng = None if typical else np.random.default_rng(seed)
    if not params:
        params = {"height_m": np.full(len(df), 1.75)}
    g = gen.generate(params, rng=rng, predictive=not typical, with_curves=curves is not None)
    result = df.copy()
    for m in GAIT_MEASURES:
        result[m] = g.measures[m]
    result["cost_of_transport"] = g.cost_of_transport
    result["speed_self_selected"] = g.self_selected
    result.attrs["provenance"] = json.dumps({**gen.provenance(), "draw": "typical" if typical else f"seed {seed}"})
    _write_parquet(result, out)
    if curves is not None:
        n, p, _ = g.curves.shape
        long = pd.DataFrame({"row": np.repeat(np.arange(n), p), "gait_cycle_pct": np.tile(g.gait_cycle_pct, n)})
        for j, name in enumerate(g.curve_names):
            long[name] = g.curves[:, :, j].reshape(-1)
        _write_parquet(long, curves)
    what = "typical gaits" if typical else f"gaits drawn with seed {seed}"
    typer.echo(f"{len(result)} {what} -> {out} (generator {gen.provenance()['checkpoint_sha256'][:16]}…)")


@generator_app.command("evaluate")
def evaluate_command(
    library: Annotated[Path, typer.Argument(help="simulation library directory")],
    checkpoint: Annotated[Path, typer.Argument(help="generator checkpoint (.pt)")],
    folds: Annotated[int, typer.Option(help="cross-validation folds, grouped by body (a body's solves are held out together, each once)", min=2, max=50)] = 5,
    seed: Annotated[int, typer.Option(help="seed of the fold split and predictive draws", min=0)] = 0,
    out: Annotated[Path | None, typer.Option(help="write the figures as JSON here")] = None,
    twin: Annotated[bool, typer.Option(help="also measure digital-twin interval coverage")] = True,
    speed_only: Annotated[bool, typer.Option("--speed-only", help="only the held-out self-selected speed (seconds; a recipe with the direct speed head, the automatic choice on library v2)")] = False,
) -> None:
    """Fidelity on simulations never seen in training (K-fold, grouped by body): MAE/R², curve RMSE,
    coverage, C2ST AUC, and the self-selected speed against the physics' (issue #15's figures)."""
    from trialsim.generative.evaluate import evaluate_generator, evaluate_speed_selection

    if out is not None and (out.suffix != ".json" or not out.resolve().parent.is_dir()):
        raise OutputPathError(f"--out {out}: must be a .json file in an existing folder")
    if speed_only:
        report = evaluate_speed_selection(library, checkpoint, folds=folds, seed=seed)
        _write_json(report, out)
        for line in speed_lines(report["self_selected_speed_vs_physics"]):
            typer.echo(line)
        return
    report = evaluate_generator(library, checkpoint, folds=folds, seed=seed, twin=twin)
    if twin:
        from trialsim.generative.loader import load_generator
        from trialsim.generative.twin import fit_twin, twin_calibration

        gen = load_generator(checkpoint)
        measures = ["gait_speed_m_s", "stride_length_m", "cadence_steps_min", "stance_pct",
                    "double_support_pct", "stride_time_cv_pct", "peak_knee_flexion_swing_deg"]
        model = fit_twin(gen, measures=measures, device="walkway", seed=seed)
        report["twin_simulated"] = {"measures": measures, "device": "walkway",
                          "held_out": "500 fresh simulated patients (prior predictive of the generator)",
                          **twin_calibration(gen, model, n=500, seed=seed + 1)}
    _write_json(report, out)
    for line in fidelity_lines(report):
        typer.echo(line)


def _write_json(report: dict[str, Any], out: Path | None) -> None:
    if out is not None:
        tmp = out.with_name(f".{out.name}.tmp")
        tmp.write_text(json.dumps(report, indent=1, allow_nan=True) + "\n")
        tmp.replace(out)


def speed_lines(speed: dict[str, Any]) -> list[str]:
    """The held-out self-selected speed figures, with issue #15's targets met or missed."""
    if speed.get("n_bodies", 0) < 3:
        return [f"self_selected_speed_vs_physics: {speed.get('n_bodies', 0)} bodies with a known choice (need 3)"]
    met = speed.get("targets_met", {})

    def verdict(key: str) -> str:
        return "" if key not in met else (" met" if met[key] else " MISSED")

    return [
        f"self_selected_speed_vs_physics: {speed['n_bodies']} held-out bodies ({speed.get('source', '?')}, "
        f"{speed.get('folds', '?')} grouped folds), physics {speed['physics_mean_m_s']:.2f} ± {speed['physics_sd_m_s']:.2f} m/s",
        f"  r {speed['correlation']:.2f} (target ≥ 0.7:{verdict('correlation')})",
        f"  MAE {speed['mae_m_s']:.3f} m/s = {speed.get('mae_ratio_vs_constant', float('nan')):.2f} × a constant's "
        f"{speed.get('constant_mae_m_s', float('nan')):.3f} (target ≤ 0.7 ×:{verdict('mae_ratio_vs_constant')}); "
        f"bias {speed['bias_m_s']:+.3f}",
        f"  sampled bodies' SD {speed.get('sampled_sd_m_s', float('nan')):.3f} m/s = "
        f"{speed.get('sampled_sd_ratio', float('nan')):.2f} × the physics' (target ≥ 0.8:{verdict('sampled_sd_ratio')})",
    ]


def fidelity_lines(report: dict[str, Any]) -> list[str]:
    """The figures as short ``name: value`` lines (BENCHMARKS.md-ready)."""
    lines = [f"held_out_simulations: {report['n_simulations']} ({report['folds']}-fold)"]
    for m, v in report["measures"].items():
        lines.append(f"{m}: MAE {v['mae']:.4g}, R2 {v['r2']:.3f}, coverage90 {v['coverage_90']:.2f}")
    for c, v in report["curves"].items():
        lines.append(f"curve_rmse_{c}: {v['rmse']:.4g} (physics between-sim SD {v['physics_sd']:.4g})")
    lines.append(f"coverage_90_mean: {report['coverage_90_mean']:.3f}")
    auc = report["c2st_auc"]
    lines.append(f"c2st_auc: {auc:.3f}" if math.isfinite(auc) else "c2st_auc: n/a")
    lines.append(f"self_selected_speed_interior_fraction: {report['self_selected_speed_interior_fraction']:.2f}")
    lines.extend(speed_lines(report.get("self_selected_speed_vs_physics", {})))
    if "twin_physics" in report:
        lines.append(f"twin_coverage_90_physics_held_out: {report['twin_physics']['coverage_90_mean']:.3f}")
    if "twin_simulated" in report:
        lines.append(f"twin_coverage_90_simulated_held_out: {report['twin_simulated']['coverage_90_mean']:.3f}")
    return lines


def twin_command(
    baseline: Annotated[Path, typer.Argument(help="parquet: one row per patient, baseline gait-measure columns (+ height_m, body_mass_kg, age_years where known)")],
    out: Annotated[Path, typer.Option(help="output .parquet: inferred parameters and predicted control outcome per patient")],
    endpoint: Annotated[str, typer.Option(help="gait measure to predict")] = "gait_speed_m_s",
    followup_weeks: Annotated[float, typer.Option(help="weeks from baseline to the predicted visit", min=0, max=520)] = 24.0,
    device: Annotated[str | None, typer.Option(help="device that measured the baseline (its error is part of the model)")] = None,
    checkpoint: Annotated[Path | None, typer.Option(help="generator checkpoint (default: the shipped one)")] = None,
    seed: Annotated[int, typer.Option(help="seed", min=0, max=2**31 - 1)] = 0,
    draws: Annotated[int, typer.Option(help="posterior draws per patient", min=10, max=10_000)] = 200,
) -> None:
    """Digital twins: each patient's inferred physiology (with uncertainty) and predicted control-arm outcome."""
    import numpy as np

    from trialsim.generative.twin import make_twins
    from trialsim.sensors.devices import DEVICES
    from trialsim.spec.names import GAIT_MEASURES

    if endpoint not in GAIT_MEASURES:
        raise TrialsimError(f"--endpoint {endpoint}: unknown; allowed: {', '.join(GAIT_MEASURES)}")
    if device is not None and device not in DEVICES:
        raise TrialsimError(f"--device {device}: unknown; allowed: {', '.join(DEVICES)}")
    if out.suffix != ".parquet":
        raise OutputPathError(f"--out {out}: must end in .parquet")
    df = _read_parquet(baseline, "BASELINE")
    measures = [m for m in GAIT_MEASURES if m in df.columns]
    if not measures:
        raise InputFileError(f"{baseline}: no gait-measure columns; expected some of {', '.join(GAIT_MEASURES)}")
    if len(df) == 0 or len(df) > 1_000_000:
        raise InputFileError(f"{baseline}: {len(df)} rows; allowed 1 to 1000000")
    for col in (*measures, *(c for c in ("height_m", "body_mass_kg", "age_years") if c in df.columns)):
        values = df[col].to_numpy(float)
        if not np.isfinite(values).all():
            raise InputFileError(f"{baseline}: column {col}: missing or non-finite values; impute or drop those rows")
    result = make_twins(df, generator=_generator(checkpoint), endpoint=endpoint, followup_weeks=followup_weeks,
                        device=device, draws=draws, seed=seed)
    result.attrs = {"twin": json.dumps(result.attrs.get("twin", {}))}
    _write_parquet(result, out)
    typer.echo(f"{len(result)} twins -> {out} (from {', '.join(measures)})")
