"""``Study``: one validated study a person can hold, change and run.

Constructing a ``Study`` only reads and validates YAML; :meth:`Study.run` does the work
and returns :class:`~trialsim.api.trial_results.TrialResults`. :meth:`Study.replace`
never edits the study in place: it re-renders the YAML with the changes, validates it
exactly as a file is validated, and returns a new ``Study`` — so the YAML recorded in
the results' provenance is always the study that ran.

Examples
--------
>>> from trialsim import Study
>>> study = Study.from_yaml("studies/pd_gait_speed_phase2.yaml")  # doctest: +SKIP
>>> results = study.replace(n_per_arm=[20, 40]).run(replicates=100)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml

from trialsim.errors import SpecError
from trialsim.spec.loading import LoadedStudy, load_study, study_from_text
from trialsim.spec.study import StudySpec

if TYPE_CHECKING:
    import xarray as xr

    from trialsim.api.trial_results import TrialResults

__all__ = ["Study"]

Borrowing = Literal["none", "robust_mixture", "commensurate", "full"]
Engine = Literal["fast", "pymc"]


def _set_path(data: dict[str, Any], dotted: str, value: object, *, source: str) -> None:
    """Set ``a.b.c`` in nested YAML data (list items by index: ``arms.1.allocation``)."""
    node: Any = data
    parts = dotted.split(".")
    for i, part in enumerate(parts[:-1]):
        key: Any = int(part) if isinstance(node, list) and part.isdigit() else part
        try:
            nxt = node[key]
        except (KeyError, IndexError, TypeError):
            if isinstance(node, dict):
                nxt = node[key] = {}
            else:
                raise SpecError([f"{source}: {'.'.join(parts[: i + 1])}: no such item to set {dotted}"]) from None
        node = nxt
    last: Any = int(parts[-1]) if isinstance(node, list) and parts[-1].isdigit() else parts[-1]
    try:
        node[last] = value
    except (IndexError, TypeError):
        raise SpecError([f"{source}: {dotted}: cannot set (its parent is not a mapping or list)"]) from None


def _phase_progress(progress: bool | Callable[[int, int], None], phase: int,
                    phases: int) -> Callable[[int, int], None] | None:
    """A progress callable for phase ``phase`` of ``phases`` equal-sized runs: ``(done, total)``
    of that run is told as ``(phase · total + done, phases · total)``."""
    if not callable(progress):
        return None
    tell = progress
    return lambda done, total: tell(phase * total + done, phases * total)


@dataclass(frozen=True)
class Study:
    """A validated study: its spec, resolved cohort and the YAML text it came from."""

    loaded: LoadedStudy
    #: the study file the cohort path is resolved against (None: shipped cohorts by name)
    base_path: Path | None = None

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_yaml(cls, path: str | Path) -> Study:
        """Read and validate a study YAML file (and its cohort).

        Examples
        --------
        >>> Study.from_yaml("studies/pd_gait_speed_phase2.yaml").name  # doctest: +SKIP
        'pd_gait_speed_phase2'
        """
        path = Path(path)
        return cls(load_study(path), path)

    @classmethod
    def from_text(cls, text: str, *, source: str = "<study text>", base_path: str | Path | None = None) -> Study:
        """Validate a study given as YAML text; ``base_path`` resolves a relative cohort path."""
        base = Path(base_path) if base_path is not None else None
        return cls(study_from_text(text, source=source, base_path=base), base)

    @classmethod
    def from_provenance(cls, attrs: Mapping[str, str]) -> Study:
        """The study recorded in a run's provenance (its study and cohort YAML texts)."""
        from trialsim.spec.cohort import CohortSpec
        from trialsim.spec.loading import parse_yaml, validate_spec

        source = f"{attrs.get('study_source', 'results')} (provenance)"
        text = attrs["study_yaml"]
        spec: StudySpec = validate_spec(StudySpec, parse_yaml(text, source=source), source=source)
        cohort_text = attrs.get("cohort_yaml", "(inline)")
        if isinstance(spec.cohort, CohortSpec) or cohort_text == "(inline)":
            return cls(study_from_text(text, source=source))
        cohort_source = attrs.get("cohort_source", "cohort (provenance)")
        cohort = validate_spec(CohortSpec, parse_yaml(cohort_text, source=cohort_source), source=cohort_source)
        return cls(LoadedStudy(spec, cohort, source, text, cohort_source, cohort_text))

    @classmethod
    def shipped(cls, name: str) -> Study:
        """A study shipped in ``studies/`` by name; an unknown name lists the shipped ones."""
        from trialsim.catalog import shipped_studies

        studies = {p.stem: p for p in shipped_studies()}
        if name not in studies:
            raise SpecError([f"study: {name!r} is not a shipped study (allowed: {', '.join(studies)})"])
        return cls.from_yaml(studies[name])

    # ------------------------------------------------------------------ views
    @property
    def spec(self) -> StudySpec:
        return self.loaded.spec

    @property
    def name(self) -> str:
        return self.loaded.spec.name

    @property
    def yaml_text(self) -> str:
        return self.loaded.yaml_text

    @property
    def source(self) -> str:
        return self.loaded.source

    @property
    def config_sha256(self) -> str:
        return self.loaded.config_sha256

    def __repr__(self) -> str:
        s = self.spec
        return (f"Study({s.name!r}, cohort={self.loaded.cohort.name!r}, n_per_arm={s.design.n_per_arm}, "
                f"scenarios={[x.name for x in s.scenarios]}, replicates={s.replicates}, seed={s.seed})")

    # ------------------------------------------------------------------ changes
    def replace(
        self,
        *,
        name: str | None = None,
        seed: int | None = None,
        replicates: int | None = None,
        n_per_arm: Sequence[int] | None = None,
        synthetic_control_n: Sequence[int] | None = None,
        allocation_ratios: Sequence[float] | None = None,
        drift_outcome_offset: float | None = None,
        drift_age_shift_years: float | None = None,
        borrowing: Borrowing | None = None,
        engine: Engine | None = None,
        simulator: str | None = None,
        device: str | None = None,
        fields: Mapping[str, object] | None = None,
        source: str | None = None,
    ) -> Study:
        """A new study with these changes, validated like a YAML file (this one is unchanged).

        ``drift_*`` set the synthetic controls' drift (``synthetic_control.drift``, endpoint
        units / years); ``fields`` sets any other YAML field by dotted path, e.g.
        ``{"analysis.borrowing.robust_weight": 0.3, "scenarios.1.drift.outcome_offset": -0.02}``.
        ``source`` names where the changes come from in error messages (default: the
        study's file and the changed fields).

        Examples
        --------
        >>> small = study.replace(n_per_arm=[20, 40], drift_outcome_offset=-0.02)  # doctest: +SKIP
        >>> small.spec.design.n_per_arm  # doctest: +SKIP
        [20, 40]
        """
        data = yaml.safe_load(self.loaded.yaml_text)
        changes: dict[str, object] = {}
        named = {
            "name": name, "seed": seed, "replicates": replicates,
            "design.n_per_arm": None if n_per_arm is None else [int(n) for n in n_per_arm],
            "design.synthetic_control_n": None if synthetic_control_n is None else [int(n) for n in synthetic_control_n],
            "design.allocation_ratios": None if allocation_ratios is None else [float(r) for r in allocation_ratios],
            "synthetic_control.drift.outcome_offset": drift_outcome_offset,
            "synthetic_control.drift.age_shift_years": drift_age_shift_years,
            "analysis.borrowing.method": borrowing, "analysis.engine": engine,
            "simulator": simulator, "endpoint.device": device,
        }
        changes.update({k: v for k, v in named.items() if v is not None})
        changes.update(dict(fields or {}))
        if not changes:
            return self
        source = source or f"{self.loaded.source} (replace: {', '.join(changes)})"
        for path, value in changes.items():
            _set_path(data, path, value, source=source)
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
        return Study(study_from_text(text, source=source, base_path=self.base_path), self.base_path)

    # ------------------------------------------------------------------ work
    def run(
        self,
        *,
        replicates: int | None = None,
        workers: int = 1,
        seed: int | None = None,
        scheduler: str | None = None,
        progress: bool | Callable[[int, int], None] = False,
        checkpoint: Path | None = None,
        example_posteriors: bool = False,
        cross_check: bool = True,
        command: str = "",
    ) -> TrialResults:
        """Simulate and analyse every scenario × design; the results stay in memory until saved.

        ``replicates`` and ``seed`` override the study's (the results record the study with
        them applied). ``workers`` > 1 uses a Dask LocalCluster (or ``scheduler``); the
        numbers do not depend on it. ``progress``: True for a progress bar, or a callable
        ``(done, total)`` told after each replicate block (of the primary run, then of the
        cross-check: ``total`` counts both). ``example_posteriors`` also fits
        the example trials with NUTS (PyMC) and keeps their draws and ArviZ diagnostics
        (R-hat, ESS, divergences) for ``results.plot.example_posteriors()`` and the report.
        For NUTS on every replicate, use ``study.replace(engine="pymc").run(replicates=5)``.
        ``cross_check``: a study on the generator is also run, with the same seed, designs and
        replicates, on the closed-form ``reference`` simulator, and both simulators' operating
        characteristics are kept side by side (``results.simulator_crosscheck``, the report);
        the primary numbers are the same with or without it. Ignored for ``reference`` studies.

        Examples
        --------
        >>> results = Study.from_yaml("studies/pd_gait_speed_phase2.yaml").run(replicates=50)  # doctest: +SKIP
        >>> results.recommended["design"]  # doctest: +SKIP
        """
        from trialsim.api.trial_results import TrialResults
        from trialsim.results.adaptive import add_replicates_while_unclear
        from trialsim.results.assemble import assemble_results
        from trialsim.results.crosscheck import add_crosscheck, needs_crosscheck
        from trialsim.results.run import run_study

        study = self.replace(replicates=replicates, seed=seed)
        crosscheck = cross_check and needs_crosscheck(study.spec.simulator)
        run = run_study(study.loaded, workers=workers, scheduler=scheduler, checkpoint=checkpoint,
                        quiet=progress is not True, on_progress=_phase_progress(progress, 0, 2 if crosscheck else 1))
        run = add_replicates_while_unclear(run, workers=workers, scheduler=scheduler, checkpoint=checkpoint,
                                           quiet=progress is not True)
        tree, summary = assemble_results(run, command=command or f"Study.from_yaml({self.loaded.source!r}).run()",
                                         example_posteriors_nuts=example_posteriors)
        if crosscheck:
            tree, summary = add_crosscheck(tree, summary, run, workers=workers, scheduler=scheduler,
                                           checkpoint=checkpoint, quiet=progress is not True,
                                           on_progress=_phase_progress(progress, 1, 2))
        return TrialResults(tree, summary)

    def example_trials(self, *, scenario: str, design: str, n_trials: int = 3) -> xr.Dataset:
        """Patient-level data of replicates ``0 .. n_trials-1`` of one design under one scenario
        (the same virtual patients a run analyses)."""
        from trialsim.results.run import select_simulator, true_effect
        from trialsim.trial.examples import example_trials
        from trialsim.trial.simulate import candidate_designs

        scenarios = {s.name: s for s in self.spec.scenarios}
        designs = {d.label: d for d in candidate_designs(self.spec)}
        if scenario not in scenarios:
            raise SpecError([f"scenario: {scenario!r} not in study {self.name} (allowed: {', '.join(scenarios)})"])
        if design not in designs:
            raise SpecError([f"design: {design!r} not in the grid of {self.name} (allowed: {', '.join(designs)})"])
        simulator = select_simulator(self.spec.simulator)
        effect = true_effect(self.loaded, scenario=scenarios[scenario], simulator=simulator)
        return example_trials(self.loaded, scenario=scenarios[scenario], design=designs[design], simulator=simulator,
                              effect=effect, n_trials=n_trials)
