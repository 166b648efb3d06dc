"""The results of a run: one xarray DataTree with provenance, ``summary.json`` and a manifest.

``DIR/results.nc`` holds ``/oc`` (scenario × design × analysis operating
characteristics), ``/replicates`` (every replicate's estimate and decision),
``/examples`` (patient-level data of a few simulated trials), ``/baseline``
(a baseline sample of the cohort) and, for studies that borrow, ``/drift`` (type I
error and power of every design against drift, dims ``(design, drift_<unit>)``). ``DIR/manifest.json`` records each file's
sha256; :func:`verify_manifest` refuses a directory altered after the run.
"""

from __future__ import annotations

import hashlib
import json
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from trialsim.errors import InputFileError, IntegrityError
from trialsim.results.drift_curve import drift_dataset, drift_summary
from trialsim.results.levers import procova_gain, variance_check
from trialsim.results.run import ANALYSES, DIAGNOSTICS, FIELDS, StudyRun
from trialsim.results.tables import assurance_table, recommend_design

MANIFEST = "manifest.json"
PACKAGES = ("trialsim", "numpy", "scipy", "pandas", "xarray", "pymc", "arviz", "pydantic", "opensim", "torch", "dask")


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def provenance(run: StudyRun, *, command: str) -> dict[str, str]:
    loaded = run.loaded
    attrs = {
        "study": loaded.spec.name,
        "seed": str(loaded.spec.seed),
        "config_sha256": loaded.config_sha256,
        "replicates": str(run.replicates),
        "study_yaml": loaded.yaml_text,
        "study_source": loaded.source,
        "cohort_yaml": loaded.cohort_yaml_text or "(inline)",
        "cohort_source": loaded.cohort_source or "(inline)",
        "command": command,
        "wall_time_s": f"{run.wall_time_s:.3f}",
        "package_versions": json.dumps(package_versions(), sort_keys=True),
    }
    attrs.update({f"simulator_{k}" if not k.startswith("simulator") else k: v for k, v in run.simulator_provenance.items()})
    return attrs


def summary_dict(run: StudyRun, table: pd.DataFrame) -> dict[str, Any]:
    """The contract of ``summary.json`` (see CONTRACT.md), from the primary analysis."""
    spec = run.loaded.spec
    primary = table[table.analysis == "primary"]

    def num(x: float) -> float | None:
        return None if x is None or not np.isfinite(x) else round(float(x), 10)

    designs = []
    for row in primary.itertuples():
        designs.append({
            "scenario": row.scenario,
            "scenario_kind": row.scenario_kind,
            "design": row.design,
            "n_per_arm": {spec.control_arm.name: int(row.n_control), spec.treatment_arm.name: int(row.n_treatment), "synthetic_control": int(row.n_synthetic)},
            "replicates": int(row.replicates),
            "power": num(row.power),
            "power_mc_se": num(row.power_mc_se),
            "type1_error": num(row.type1_error),
            "bias": num(row.bias),
            "rmse": num(row.rmse),
            "coverage": num(row.coverage),
            "true_effect": num(row.true_effect),
            "mean_ess_borrowed": num(row.mean_ess_borrowed),
            "method": row.method,
        })
    recommended = recommend_design(run, table)
    conv_n = recommended.get("conventional_n_per_arm")
    drift = drift_summary(run, drift_dataset(run))
    return {
        "study": spec.name,
        "seed": spec.seed,
        "config_sha256": run.loaded.config_sha256,
        "simulator": run.simulator_provenance.get("simulator", "unknown"),
        "endpoint": spec.endpoint.model_dump(mode="json"),
        "replicates": run.replicates,
        "designs": designs,
        "recommended_design": recommended,
        "assurance": assurance_table(run, table),
        "drift": drift,
        "drift_curve": drift_records(drift),
        "tipping_points": (drift or {}).get("tipping_points", {}),
        "procova": procova_gain(run, table, n_per_arm=conv_n if isinstance(conv_n, int) else None,
                                sd=recommended.get("conventional_sd")),  # type: ignore[arg-type]
        "variance": variance_check(run),
    }


def drift_records(drift: dict[str, Any] | None) -> list[dict[str, Any]]:
    """CONTRACT.md's ``drift_curve``: one record per borrowing design × drift (endpoint units)."""
    if not drift:
        return []
    out = []
    for design, curve in drift["curves"].items():
        for j, x in enumerate(drift["values"]):
            out.append({"drift": x, "design": design,
                        **{k: curve[k][j] for k in ("type1", "type1_mcse", "power", "power_mcse") if k in curve}})
    for rec in out:
        if "type1" in rec:
            rec["type1_error"] = rec.pop("type1")
            rec["type1_mc_se"] = rec.pop("type1_mcse")
        if "power_mcse" in rec:
            rec["power_mc_se"] = rec.pop("power_mcse")
    return out


#: what a scenario is (per scenario) and what an analysis is (per analysis × design): coordinates, not names
SCENARIO_COORDS = ("scenario_kind", "effect_scale", "is_null", "true_effect", "drift_outcome_offset", "drift_age_shift_years")
ANALYSIS_COORDS = ("borrowing", "prognostic_adjustment")


def _coordinates(oc: xr.Dataset) -> xr.Dataset:
    """Move the per-scenario and per-analysis columns of the OC table into coordinates."""
    scen = {c: ("scenario", oc[c].isel(analysis=0, design=0).values) for c in SCENARIO_COORDS if c in oc}
    ana = {c: (("analysis", "design"), oc[c].isel(scenario=0).values) for c in ANALYSIS_COORDS if c in oc}
    return oc.drop_vars([*scen, *ana]).assign_coords({**scen, **ana})


def to_datatree(run: StudyRun, table: pd.DataFrame, *, examples: xr.Dataset, baseline: xr.Dataset, command: str) -> xr.DataTree:
    scen = [s.name for s in run.scenarios]
    des = [d.label for d in run.designs]
    coords = {
        "scenario": scen, "design": des,
        "n_control": ("design", [d.n_control for d in run.designs]),
        "n_treatment": ("design", [d.n_treatment for d in run.designs]),
        "n_synthetic": ("design", [d.n_synthetic for d in run.designs]),
        "effect_scale": ("scenario", [s.effect_scale for s in run.scenarios]),
        "true_effect": ("scenario", [run.true_effects[s] for s in scen]),
        "is_null": ("scenario", [s.is_null for s in run.scenarios]),
        "drift_outcome_offset": ("scenario", [(s.drift or run.loaded.spec.synthetic_control.drift).outcome_offset
                                              for s in run.scenarios]),
    }
    rep = xr.Dataset(coords={**coords, "analysis": list(ANALYSES), "replicate": np.arange(run.replicates)})
    for f in (*FIELDS, *DIAGNOSTICS):
        rep[f] = (("analysis", "scenario", "design", "replicate"), np.stack([run.per_replicate[(a, f)] for a in ANALYSES]))
    oc = _coordinates(table.set_index(["analysis", "scenario", "design"]).to_xarray())
    groups = {"/": xr.Dataset(), "/oc": oc, "/replicates": rep, "/examples": examples, "/baseline": baseline}
    drift = drift_dataset(run)
    if drift is not None:
        groups["/drift"] = drift
    tree = xr.DataTree.from_dict(groups)
    tree.attrs.update(provenance(run, command=command))
    return tree


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(directory: Path) -> None:
    files = sorted(p for p in directory.rglob("*") if p.is_file() and p.name != MANIFEST)
    entries = {str(p.relative_to(directory)): sha256_file(p) for p in files}
    (directory / MANIFEST).write_text(json.dumps({"files": entries}, indent=2, sort_keys=True))


def verify_manifest(directory: Path) -> None:
    """Raise :class:`IntegrityError` if any file differs from the run's manifest."""
    if not directory.is_dir():
        raise InputFileError(f"{directory}: results directory not found (give the --out of a trialsim run)")
    path = directory / MANIFEST
    if not path.is_file():
        raise IntegrityError(f"{directory}: no {MANIFEST}; not a complete trialsim run (re-run it)")
    try:
        entries = json.loads(path.read_text())["files"]
    except (ValueError, KeyError, TypeError):
        raise IntegrityError(f"{path}: unreadable manifest; re-run the study") from None
    for name, expected in entries.items():
        file = directory / name
        if not file.is_file():
            raise IntegrityError(f"{file}: listed in the manifest but missing; results were altered after the run")
        if sha256_file(file) != expected:
            raise IntegrityError(f"{file}: sha256 differs from the manifest; results were altered after the run (re-run the study)")


def load_summary(directory: Path) -> dict[str, Any]:
    verify_manifest(directory)
    return json.loads((directory / "summary.json").read_text())  # type: ignore[no-any-return]


def load_tree(directory: Path) -> xr.DataTree:
    verify_manifest(directory)
    return xr.open_datatree(directory / "results.nc", engine="h5netcdf").load()
