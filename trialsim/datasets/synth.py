"""Labelled synthetic sensor datasets: ``trialsim synth insoles|imu|video``.

A dataset folder holds ``subjects.csv`` (one row per virtual patient: ``subject``,
``condition``, severity, covariates, every true gait measure and the variability
traits that label the signals) and one ``<subject>.csv`` per patient, plus
``synth.json`` (what made it: cohort, n, seed, simulator and its provenance, options, and
for insoles the share of patients whose force shape is the simulator's own M rather than
the parametric one).

- Patients come from :func:`trialsim.trial.enrolment.sample_cohort` (the same virtual
  patients as ``trialsim cohort`` with that seed); their signals from
  :mod:`trialsim.sensors.recordings`, each from its own random stream
  ``(seed, "synth", kind, i)``, so a dataset is the same bit for bit however it was
  interrupted and resumed.
- Resumable: a subject's file is written to a temporary name and renamed when
  complete; a rerun with the same arguments skips finished subjects. A folder made with
  other arguments is refused (one line naming the differing field).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from trialsim.errors import OutputPathError, TrialsimError
from trialsim.generative.protocol import GaitSimulator
from trialsim.physiology.parameters import PARAMETERS
from trialsim.seeding import stream
from trialsim.sensors.recordings import imu_table, insole_recording, insole_table, video_table
from trialsim.spec.cohort import CohortSpec
from trialsim.spec.names import COVARIATES, GAIT_MEASURES

KINDS = ("insoles", "imu", "video")
MANIFEST = "synth.json"
#: manifest keys written only when set: a folder without one was made with this value
MANIFEST_DEFAULTS: dict[str, Any] = {"start_stop": False}


def _atomic_csv(df: pd.DataFrame, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    df.to_csv(tmp, index=False)
    tmp.replace(path)


def _check_folder(out: Path, manifest: dict[str, Any]) -> None:
    if out.exists() and not out.is_dir():
        raise OutputPathError(f"--out: {out} is a file; give a folder")
    if not out.resolve().parent.is_dir():
        raise OutputPathError(f"--out: folder {out.resolve().parent} does not exist; create it first")
    existing = out / MANIFEST
    if existing.is_file():
        try:
            old = json.loads(existing.read_text())
        except (OSError, json.JSONDecodeError):
            raise OutputPathError(f"{existing}: unreadable; remove the folder or give a new --out") from None
        for key in [*manifest, *(k for k in MANIFEST_DEFAULTS if k not in manifest)]:
            was, value = old.get(key, MANIFEST_DEFAULTS.get(key)), manifest.get(key, MANIFEST_DEFAULTS.get(key))
            if was != value:
                raise OutputPathError(
                    f"--out: {out} holds a dataset made with {key}={was!r}, not {value!r}; give a new --out to start another"
                )
    elif out.is_dir() and any(out.iterdir()):
        raise OutputPathError(f"--out: {out} is not empty and is not a trialsim synth folder; give a new or empty folder")


def _curves(simulator: GaitSimulator, df: pd.DataFrame) -> tuple[np.ndarray | None, tuple[str, ...], np.ndarray | None]:
    """The generator's typical cycle for each patient at its own speed (None for the reference model)."""
    generate = getattr(simulator, "generate", None)
    if generate is None:
        return None, (), None
    params = {c: df[c].to_numpy(float) for c in df.columns if c in PARAMETERS}
    params["speed_m_s"] = df["gait_speed_m_s"].to_numpy(float)
    g = generate(params, rng=None)
    return g.curves, tuple(g.curve_names), g.gait_cycle_pct


def synth_dataset(
    cohort: CohortSpec, *, kind: str, n: int, seed: int, out: Path, simulator: GaitSimulator, cohort_text: str = "",
    duration_s: float | None = None, walkway_m: float = 25.0, progress: Callable[[int, int], None] | None = None,
    start_stop: bool = False,
) -> dict[str, Any]:
    """Write (or finish) a synthetic dataset in ``out``; returns the manifest (see module docs).
    ``start_stop``: each walk starts and ends standing (insoles, imu)."""
    from trialsim.trial.enrolment import sample_cohort

    if kind not in KINDS:
        raise TrialsimError(f"kind: {kind!r} unknown (allowed: {', '.join(KINDS)})")
    if duration_s is not None and not 5.0 <= duration_s <= 3600.0:
        raise TrialsimError(f"--duration-s: {duration_s} out of range; give 5 to 3600 seconds")
    if walkway_m < 0:
        raise TrialsimError(f"--walkway-m: {walkway_m} is negative; give metres of straight walkway (0 = no turns)")
    duration = duration_s if duration_s is not None else (120.0 if kind == "insoles" else 60.0)
    manifest: dict[str, Any] = {
        "kind": kind, "cohort": cohort.name, "cohort_sha256": hashlib.sha256(cohort_text.encode()).hexdigest(),
        "n": n, "seed": seed, "simulator": simulator.name, "duration_s": duration, "walkway_m": walkway_m,
    }
    if start_stop:  # only when set: folders written before the option existed still resume
        manifest["start_stop"] = True
    _check_folder(out, manifest)
    df = sample_cohort(cohort, n=n, seed=seed, simulator=simulator)
    out.mkdir(exist_ok=True)
    manifest["provenance"] = simulator.provenance()
    curves, names, pct = _curves(simulator, df)
    manifest["force_shape_from_physics"] = _physics_shape_fraction(curves, names, pct) if kind == "insoles" else None
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2))
    subjects = [f"{cohort.name}_{i:05d}" for i in range(len(df))]
    traits: list[dict[str, float]] = []
    walkway = walkway_m if walkway_m > 0 else None
    for i, subject in enumerate(subjects):
        row = df.iloc[i]
        measures = {m: float(row[m]) for m in GAIT_MEASURES}
        rng = stream(seed, "synth", kind, i)
        cyc = None if curves is None else {name: curves[i, :, j] for j, name in enumerate(names)}
        common = {"motor_noise": float(row.get("motor_noise", 1.0)), "height_m": float(row["height_m"]), "rng": rng,
                  "curves": cyc, "gait_cycle_pct": pct, "paretic_side": _paretic(row)}
        path = out / f"{subject}.csv"
        if path.is_file():  # finished before an interruption: same stream, same traits
            tr = _redraw_traits(row, kind, seed, i)
        else:
            table, tr = _record(kind, measures, row, common, duration, walkway, start_stop)
            _atomic_csv(table, path)
        traits.append(tr)
        if progress is not None:
            progress(i + 1, len(subjects))
    _atomic_csv(_subjects_table(df, subjects, traits), out / "subjects.csv")
    return manifest


def _record(
    kind: str, measures: dict[str, float], row: pd.Series, common: dict[str, Any], duration: float, walkway: float | None,
    start_stop: bool = False,
) -> tuple[pd.DataFrame, dict[str, float]]:
    if kind == "insoles":
        rec, tr = insole_recording(measures, body_mass_kg=float(row["body_mass_kg"]), duration_s=duration, walkway_m=walkway,
                                   start_stop=start_stop, **common)
        return insole_table(rec), tr
    if kind == "imu":
        return imu_table(measures, duration_s=duration, walkway_m=walkway, start_stop=start_stop, **common)
    return video_table(measures, **common)


def _subjects_table(df: pd.DataFrame, subjects: list[str], traits: list[dict[str, float]]) -> pd.DataFrame:
    known = {"patient_id", "condition", "paretic_side", *COVARIATES, *GAIT_MEASURES, *PARAMETERS}
    severity = [c for c in df.columns if c not in known]
    table = pd.DataFrame({"subject": subjects, "condition": df["condition"].to_numpy()})
    for c in severity:
        table[c] = df[c].to_numpy()
    if "paretic_side" in df.columns:
        table["paretic_side"] = df["paretic_side"].to_numpy()
    for c in COVARIATES:
        table[c] = df[c].to_numpy()
    for m in GAIT_MEASURES:
        table[m] = df[m].to_numpy()
    for key in ("dfa_alpha_true", "asymmetry_true"):
        table[key] = [t.get(key, np.nan) for t in traits]
    return table


def _physics_shape_fraction(curves: np.ndarray | None, names: tuple[str, ...], pct: np.ndarray | None) -> float:
    """Share of patients whose simulated vertical GRF is M-shaped (used as is; the rest get the parametric M)."""
    from trialsim.sensors.force import shape_from_curve

    if curves is None or pct is None or "grf_vertical_r_bw" not in names:
        return 0.0
    j = names.index("grf_vertical_r_bw")
    return float(np.mean([shape_from_curve(curves[i, :, j], pct) is not None for i in range(len(curves))]))


def _paretic(row: pd.Series) -> str | None:
    side = row.get("paretic_side")
    return str(side) if isinstance(side, str) else None


def _redraw_traits(row: pd.Series, kind: str, seed: int, i: int) -> dict[str, float]:
    from trialsim.sensors.cycle import variability_traits

    alpha, asym = variability_traits(float(row.get("motor_noise", 1.0)), rng=stream(seed, "synth", kind, i),
                                     paretic_side=_paretic(row))
    return {"dfa_alpha_true": alpha, "asymmetry_true": asym}


def insole_features(
    cohort: CohortSpec, *, n: int, seed: int, simulator: GaitSimulator, duration_s: float = 120.0, walkway_m: float = 25.0,
) -> pd.DataFrame:
    """``subjects.csv`` rows of ``synth insoles`` with the recordings' features, computed in memory.

    The same patients, streams and recordings as :func:`synth_dataset` with these
    arguments (no files written): for benchmarks over thousands of subjects.
    """
    from trialsim.sensors.events import force_features
    from trialsim.trial.enrolment import sample_cohort

    df = sample_cohort(cohort, n=n, seed=seed, simulator=simulator)
    curves, names, pct = _curves(simulator, df)
    subjects = [f"{cohort.name}_{i:05d}" for i in range(len(df))]
    traits, features = [], []
    for i in range(len(df)):
        row = df.iloc[i]
        cyc = None if curves is None else {name: curves[i, :, j] for j, name in enumerate(names)}
        rec, tr = insole_recording(
            {m: float(row[m]) for m in GAIT_MEASURES}, motor_noise=float(row.get("motor_noise", 1.0)),
            height_m=float(row["height_m"]), body_mass_kg=float(row["body_mass_kg"]), rng=stream(seed, "synth", "insoles", i),
            duration_s=duration_s, walkway_m=walkway_m if walkway_m > 0 else None, curves=cyc, gait_cycle_pct=pct,
            paretic_side=_paretic(row),
        )
        traits.append(tr)
        features.append(force_features(rec.force_l_n, rec.force_r_n))
    table = _subjects_table(df, subjects, traits)
    return pd.concat([table, pd.DataFrame(features).add_prefix("feature_")], axis=1)
