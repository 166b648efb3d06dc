"""Dashboard settings: URL parameters checked like CLI options, and widget values turned into a :class:`Study`.

Nothing here imports Streamlit; ``app.py`` draws the widgets and shows the one-line
errors these functions raise. A study is only ever changed through
:meth:`Study.replace`, so the dashboard's study is validated exactly like a file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trialsim.api.study import Study
from trialsim.catalog import DEFAULT_STUDY, shipped_studies

N_OPTIONS = [10, 15, 20, 25, 30, 40, 50, 60, 80, 100, 120, 150, 200, 300]
SYNTHETIC_OPTIONS = [0, 25, 50, 100, 200, 400]
RATIOS = {"1:1": 1.0, "3:2": 1.5, "2:1": 2.0, "3:1": 3.0, "1:2": 0.5}
MECHANISMS = ["symptomatic", "disease-modifying", "symptomatic + disease-modifying"]
REPLICATES_RANGE = (10, 5000)
N_RANGE = (2, 5000)
DEFAULT_REPLICATES = 50
UPLOAD = "upload a study YAML…"
BORROWING = ["none", "robust_mixture", "commensurate", "full"]
#: widget keys reset whenever the base study changes (so their defaults follow it)
SETTING_KEYS = ("cohort", "mechanism", "effect_multiplier", "dm_fraction", "responder_fraction", "device", "n_per_arm",
                "ratio", "synthetic_enabled", "synthetic_n", "borrowing", "robust_weight", "commensurate_sd",
                "drift_offset", "drift_age", "replicates", "seed")


@dataclass(frozen=True)
class QuerySettings:
    """Initial widget values from the page URL (``?study=…&n_per_arm=20,40&replicates=50``)."""

    study: str
    n_per_arm: list[int] | None
    replicates: int | None


def _ints(name: str, raw: str, *, low: int, high: int, example: str) -> list[int]:
    values = []
    for part in (p.strip() for p in raw.split(",")):
        if not part.lstrip("-").isdigit():
            raise ValueError(f"URL parameter {name}={raw}: {part!r} is not a whole number (e.g. ?{name}={example})")
        value = int(part)
        if not low <= value <= high:
            raise ValueError(f"URL parameter {name}={raw}: {value} is not in the range {low}..{high} (e.g. ?{name}={example})")
        values.append(value)
    if not values:
        raise ValueError(f"URL parameter {name}: empty (e.g. ?{name}={example})")
    return values


def parse_query(params: Mapping[str, str]) -> tuple[QuerySettings, list[str]]:
    """The URL's settings and one line per problem (a bad parameter is reported, never replaced)."""
    problems: list[str] = []
    names = [p.stem for p in shipped_studies()]
    study = params.get("study", DEFAULT_STUDY.stem)
    if study not in names:
        problems.append(f"URL parameter study={study}: not a shipped study (allowed: {', '.join(names)})")
    n_per_arm = replicates = None
    if "n_per_arm" in params:
        try:
            n_per_arm = _ints("n_per_arm", params["n_per_arm"], low=N_RANGE[0], high=N_RANGE[1], example="20,40")
        except ValueError as exc:
            problems.append(str(exc))
    if "replicates" in params:
        try:
            reps = _ints("replicates", params["replicates"], low=REPLICATES_RANGE[0], high=REPLICATES_RANGE[1], example="50")
            if len(reps) != 1:
                raise ValueError(f"URL parameter replicates={params['replicates']}: give one number (e.g. ?replicates=50)")
            replicates = reps[0]
        except ValueError as exc:
            problems.append(str(exc))
    return QuerySettings(study, n_per_arm, replicates), problems


def shipped_study(name: str) -> Study:
    return Study.shipped(name)


def with_settings(study: Study, values: Mapping[str, Any]) -> Study:
    """The study the sidebar describes: the base study with the widget values applied (validated)."""
    spec = study.spec
    fields: dict[str, object] = {}
    if values["cohort"] != "(inline cohort)":
        fields["cohort"] = f"../cohorts/{values['cohort']}.yaml"
    mult, mech = float(values["effect_multiplier"]), values["mechanism"]
    if mech != "disease-modifying":
        fields["treatment.symptomatic.shifts"] = {k: round(v * mult, 6) for k, v in values["shifts"].items()}
        fields["treatment.symptomatic.severity_shift"] = {
            k: round(v * mult, 6) for k, v in values.get("severity_shift", {}).items()}
    else:
        fields["treatment.symptomatic"] = None
    fields["treatment.disease_modifying_fraction"] = (
        min(1.0, round(values["dm_fraction"] * mult, 6)) if mech != "symptomatic" else 0.0)
    fields["treatment.responder_fraction"] = values["responder_fraction"]
    ratio = RATIOS[values["ratio"]]
    for i, arm in enumerate(spec.arms):
        fields[f"arms.{i}.allocation"] = round((ratio if arm.role == "treatment" else 1.0) / (1.0 + ratio), 10)
    enabled = bool(values["synthetic_enabled"])
    fields["synthetic_control"] = {"enabled": enabled, "drift": {"age_shift_years": values["drift_age"],
                                                                 "outcome_offset": values["drift_offset"]}}
    fields["analysis.borrowing.robust_weight"] = values["robust_weight"]
    fields["analysis.borrowing.commensurate_sd"] = values["commensurate_sd"]
    return study.replace(
        device=values["device"], n_per_arm=sorted(values["n_per_arm"]), allocation_ratios=[ratio],
        synthetic_control_n=sorted(values["synthetic_n"]) or [0],
        borrowing=values["borrowing"] if enabled else "none",
        replicates=int(values["replicates"]), seed=int(values["seed"]), fields=fields, source="dashboard settings",
    )


def base_path_of(study: Study) -> str | None:
    return str(study.base_path) if isinstance(study.base_path, Path) else None
