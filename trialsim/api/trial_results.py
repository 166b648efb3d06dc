"""``TrialResults``: one object over a run's DataTree, fresh from :meth:`Study.run` or reopened from disk.

Running and writing are separate: a result in memory is written with :meth:`save`
(atomically, with a manifest of sha256 hashes) and read back with :meth:`open`, which
refuses a directory altered since. What a scenario is (null or not, drift) and what an
analysis is (borrowing, PROCOVA) are coordinates of the tree, read here, never parsed
from names.

Examples
--------
>>> results = Study.from_yaml("studies/pd_gait_speed_phase2.yaml").run(replicates=50)  # doctest: +SKIP
>>> results.oc.query("analysis == 'primary' and is_null")  # doctest: +SKIP
>>> results.save("runs/pd"); TrialResults.open("runs/pd").report(format="pdf")  # doctest: +SKIP
"""

from __future__ import annotations

import json
import shutil
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import xarray as xr
import yaml

from trialsim.errors import OutputPathError, TrialsimError
from trialsim.plotting.namespace import ResultPlots
from trialsim.plotting.prepare import drift_frame, oc_frame
from trialsim.results.store import load_summary, load_tree, write_manifest
from trialsim.spec.study import StudySpec

__all__ = ["TrialResults", "check_output_dir", "partial_dir"]

ReportFormat = Literal["html", "pdf"]


def partial_dir(out: Path) -> Path:
    return out.with_name(out.name + ".partial")


def check_output_dir(out: Path, *, force: bool = False) -> None:
    """Refuse unsafe output paths before any work starts."""
    if str(out).strip() == "" or out.name in ("", ".", ".."):
        raise OutputPathError(f"--out: {str(out)!r} is not a directory name; give e.g. --out runs/my_study")
    if out.exists() and not out.is_dir():
        raise OutputPathError(f"--out: {out} exists and is a file; give a new directory path")
    if out.exists() and any(out.iterdir()) and not force:
        raise OutputPathError(f"--out: {out} exists and is not empty; choose a new directory or pass --force")
    parent = out.resolve().parent
    if not parent.exists():
        raise OutputPathError(f"--out: parent folder {parent} does not exist; create it first")


class TrialResults:
    """Operating characteristics, recommendation, drift curve, example trials and provenance of one run."""

    def __init__(self, tree: xr.DataTree, summary: dict[str, Any], *, directory: Path | None = None) -> None:
        self._tree = tree
        self._summary = summary
        self._directory = directory

    # ------------------------------------------------------------------ reading
    @classmethod
    def open(cls, directory: str | Path) -> TrialResults:
        """Reopen a saved run; a directory altered after the run is refused with a one-line error.

        Examples
        --------
        >>> TrialResults.open("runs/pd").recommended["design"]  # doctest: +SKIP
        """
        path = Path(directory)
        summary = load_summary(path)
        return cls(load_tree(path), summary, directory=path)

    @property
    def tree(self) -> xr.DataTree:
        """The whole results tree (``/oc``, ``/replicates``, ``/examples``, ``/baseline`` and, when present, ``/drift``)."""
        return self._tree

    @property
    def summary(self) -> dict[str, Any]:
        """The ``summary.json`` contract as a dict."""
        return self._summary

    @property
    def directory(self) -> Path | None:
        """Where the results were saved or opened from (None while only in memory)."""
        return self._directory

    @cached_property
    def oc(self) -> pd.DataFrame:
        """Tidy operating characteristics: one row per analysis × scenario × design.

        Columns include ``is_null``, ``drift_outcome_offset`` (scenario coordinates) and
        ``borrowing``, ``prognostic_adjustment`` (analysis coordinates) beside ``power``,
        ``power_mc_se``, ``type1_error``, ``bias``, ``coverage`` and the arm sizes.
        """
        return oc_frame(self._tree)

    @property
    def recommended(self) -> dict[str, Any]:
        """The recommended design (``found`` False, with a reason, when none qualifies)."""
        return dict(self._summary["recommended_design"])

    @cached_property
    def drift_curve(self) -> pd.DataFrame:
        """Type I error and power against the synthetic controls' drift, per design.

        From the ``/drift`` group when the run swept drift, otherwise from the scenarios'
        ``drift_outcome_offset`` coordinate. Columns: ``design``, ``drift``, ``type1_error``,
        ``type1_mc_se``, ``power``, ``power_mc_se`` (NaN where the grid has no such scenario).
        """
        return drift_frame(self._tree)

    @cached_property
    def simulator_crosscheck(self) -> pd.DataFrame | None:
        """The same study on the closed-form ``reference`` simulator beside the primary simulator's, or None.

        One row per simulator × scenario × design (primary analysis) with ``role``
        (``primary`` / ``cross-check``), ``power``, ``power_mc_se``, ``type1_error``, ``bias``,
        ``rmse``, ``coverage``, the simulator's ``true_effect`` and its recommendation
        (``recommended_design``, ``recommended_n_total``, ``conventional_n_total``). None when
        the run used ``reference`` itself or ran without the cross-check; the generator
        checkpoint's sha256 is ``provenance["simulator_checkpoint_sha256"]``.
        """
        if "simulator_crosscheck" not in self._tree.children:
            return None
        ds = self._tree["simulator_crosscheck"].to_dataset()
        per_simulator = [v for v in ds.data_vars if ds[v].dims == ("simulator",)]
        frame = ds.drop_vars(per_simulator).to_dataframe().reset_index()
        extra = ds[per_simulator].to_dataframe().reset_index().drop(columns="role")
        return frame.merge(extra, on="simulator", how="left")

    @property
    def examples(self) -> xr.Dataset:
        """Patient-level data of a few simulated trials (trial × patient × visit)."""
        return self._tree["examples"].to_dataset()

    @property
    def baseline(self) -> xr.Dataset:
        """Baseline covariates and gait of a sample of the cohort."""
        return self._tree["baseline"].to_dataset()

    @property
    def provenance(self) -> dict[str, str]:
        """Study YAML that ran, its hash, seed, replicates, command, package and simulator versions."""
        return {str(k): str(v) for k, v in self._tree.attrs.items()}

    @cached_property
    def spec(self) -> StudySpec:
        """The validated study spec that ran (from the YAML in the provenance).

        ``Study.from_provenance(results.provenance)`` rebuilds the whole :class:`Study`.
        """
        return StudySpec.model_validate(yaml.safe_load(self.provenance["study_yaml"]))

    @property
    def plot(self) -> ResultPlots:
        """Figures of these results: ``.power()``, ``.type1_vs_drift()``, ``.posteriors()``, ``.trajectories()``."""
        return ResultPlots(self._tree, self._summary)

    def __repr__(self) -> str:
        rec = self.recommended
        where = f", directory={str(self._directory)!r}" if self._directory else " (in memory)"
        best = rec.get("design") if rec.get("found") else "none"
        return (f"TrialResults({self._summary['study']!r}, replicates={self._summary['replicates']}, "
                f"designs={self._tree['oc'].sizes['design']}, scenarios={self._tree['oc'].sizes['scenario']}, "
                f"recommended={best!r}{where})")

    # ------------------------------------------------------------------ writing
    def save(self, directory: str | Path, *, force: bool = False, report: ReportFormat | None = "html") -> Path:
        """Write ``results.nc``, ``summary.json``, ``oc.csv`` (and the report) with a manifest, atomically.

        Everything is written to ``DIR.partial/out`` and renamed to ``DIR`` only when
        complete, so ``DIR`` is never half-written. ``force`` replaces an existing ``DIR``.
        """
        out = Path(directory)
        if out.name not in ("", ".", ".."):
            out.parent.mkdir(parents=True, exist_ok=True)
        check_output_dir(out, force=force)
        partial = partial_dir(out)
        staging = partial / "out"
        if staging.exists():
            shutil.rmtree(staging)
        staging.mkdir(parents=True)
        self._tree.to_netcdf(staging / "results.nc", engine="h5netcdf")
        self._tree["oc"].to_dataset().to_dataframe().reset_index().to_csv(staging / "oc.csv", index=False)
        (staging / "summary.json").write_text(json.dumps(self._summary, indent=2, sort_keys=False, allow_nan=False))
        if report is not None:
            _render(staging, report, tree=self._tree, summary=self._summary)
        write_manifest(staging)
        if out.exists():
            shutil.rmtree(out)
        staging.rename(out)
        if partial.is_dir() and not any(partial.iterdir()):
            partial.rmdir()
        self._directory = out
        return out

    def report(self, *, format: ReportFormat = "html", directory: str | Path | None = None) -> Path:
        """Render the simulation report into the results directory (the manifest is updated).

        In memory results need ``directory`` (or :meth:`save` first).
        """
        if format not in ("html", "pdf"):
            raise TrialsimError(f"format: {format!r} unknown (allowed: html, pdf)")
        target = Path(directory) if directory is not None else self._directory
        if target is None:
            raise TrialsimError("report: these results are not saved; call results.save(DIR) first or pass directory=")
        if self._directory is not None and target == self._directory:
            load_summary(target)  # refuse a directory altered since it was opened or saved
        target.mkdir(parents=True, exist_ok=True)
        path = _render(target, format, tree=self._tree, summary=self._summary)
        write_manifest(target)
        return path


def _render(directory: Path, format: str, *, tree: xr.DataTree, summary: dict[str, Any]) -> Path:
    if format == "pdf":
        from trialsim.report.pdf import render_pdf

        return render_pdf(directory, tree=tree, summary=summary)
    from trialsim.report.render import render_html

    return render_html(directory, tree=tree, summary=summary)
