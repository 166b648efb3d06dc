"""Reading study and cohort YAML safely, with one-line errors.

Every problem becomes ``file: field.path: what is wrong (allowed: …)``. YAML is read
with a safe loader that also refuses alias bombs and oversized documents; no YAML
ever constructs a Python object or names an import path.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from trialsim.errors import InputFileError, SpecError
from trialsim.spec.cohort import CohortSpec
from trialsim.spec.study import StudySpec, severity_shift_problems

MAX_YAML_BYTES = 1_000_000
MAX_ALIASES = 20
MAX_NODES = 200_000


class _BoundedSafeLoader(yaml.SafeLoader):
    """SafeLoader that refuses alias bombs and very large documents."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._aliases = 0
        self._nodes = 0

    def compose_node(self, parent: Any, index: Any) -> Any:  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                mark = self.peek_event().start_mark
                raise yaml.YAMLError(
                    f"line {mark.line + 1}: more than {MAX_ALIASES} YAML aliases (alias bombs are refused; write values out)"
                )
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise yaml.YAMLError(f"more than {MAX_NODES} YAML nodes (document too large)")
        return super().compose_node(parent, index)


def read_text(path: Path, *, what: str = "file") -> str:
    """Read a UTF-8 text file or raise a one-line :class:`InputFileError`."""
    if not path.exists():
        raise InputFileError(f"{path}: {what} not found (check the path)")
    if not path.is_file():
        raise InputFileError(f"{path}: not a regular file (give a {what} path)")
    size = path.stat().st_size
    if size > MAX_YAML_BYTES:
        raise InputFileError(f"{path}: {size} bytes, larger than the {MAX_YAML_BYTES}-byte limit for a {what}")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputFileError(f"{path}: not UTF-8 text (invalid byte at offset {exc.start}); save it as UTF-8") from None


def parse_yaml(text: str, *, source: str) -> dict[str, Any]:
    """Parse YAML text into a mapping, turning every YAML problem into one line."""
    if "\x00" in text:
        raise SpecError([f"{source}: contains NUL bytes; not a YAML text file"])
    try:
        loader = _BoundedSafeLoader(text)
        try:
            data = loader.get_single_data()
        finally:
            loader.dispose()
    except yaml.constructor.ConstructorError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else "?"
        tag = (exc.problem or "").split("tag")[-1].strip(" '!")
        raise SpecError([f"{source}: line {line}: YAML tag {tag!r} is not allowed (plain YAML only: no Python objects)"]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1} column {mark.column + 1}: " if mark else ""
        raise SpecError([f"{source}: {where}YAML syntax error: {exc.problem or exc.context}"]) from None
    except yaml.YAMLError as exc:
        raise SpecError([f"{source}: {exc}"]) from None
    except RecursionError:
        raise SpecError([f"{source}: YAML nested too deeply"]) from None
    if not isinstance(data, dict):
        kind = "empty" if data is None else type(data).__name__
        raise SpecError([f"{source}: expected a mapping of keys at the top level, got {kind}"])
    return data


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """Walk a pydantic model class along ``loc`` and return the model found there."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part))
            if field is None:
                return None
            current = field.annotation
        candidates = [current, *get_args(current)]
        nested = [c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)]
        for arg in get_args(current):
            if get_origin(arg) is list:
                nested += [a for a in get_args(arg) if isinstance(a, type) and issubclass(a, BaseModel)]
        if get_origin(current) is list:
            nested += [a for a in get_args(current) if isinstance(a, type) and issubclass(a, BaseModel)]
        if not nested:
            return None
        current = nested[0]
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def format_validation_error(exc: ValidationError, *, source: str, model: type[BaseModel]) -> list[str]:
    """One line per problem: ``source: field.path: what is wrong (allowed: …)``."""
    lines = []
    for err in exc.errors(include_url=False):
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and "[" in p) and p not in ("function-after",))
        where = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in loc).replace(".[", "[") or "(top level)"
        kind = err["type"]
        msg = err["msg"]
        if kind == "extra_forbidden":
            owner = _model_at(model, loc[:-1])
            allowed = ", ".join(owner.model_fields) if owner else "see `trialsim schema`"
            msg = f"unknown key (allowed: {allowed})"
        elif kind == "missing":
            msg = "required key is missing"
        elif kind in ("literal_error", "union_tag_invalid"):
            expected = (err.get("ctx") or {}).get("expected", "")
            msg = f"invalid value {err.get('input')!r} (allowed: {expected.replace(chr(39), '')})"
        elif kind.startswith("value_error"):
            msg = msg.removeprefix("Value error, ")
        lines.append(f"{source}: {where}: {msg}")
    return lines


def config_sha256(data: dict[str, Any]) -> str:
    """Hash of a spec's canonical JSON (key order and YAML formatting do not matter)."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def load_cohort(path: str | Path) -> CohortSpec:
    """Load and validate a cohort YAML file.

    Examples
    --------
    >>> cohort = load_cohort("cohorts/early_pd.yaml")  # doctest: +SKIP
    """
    path = Path(path)
    data = parse_yaml(read_text(path, what="cohort YAML"), source=str(path))
    return validate_spec(CohortSpec, data, source=str(path))


def load_shipped_cohort(name: str) -> CohortSpec:
    """A shipped cohort by name (``early_pd``), validated."""
    from trialsim.catalog import cohort_path

    return load_cohort(cohort_path(name))


def validate_spec(model: type[Any], data: dict[str, Any], *, source: str) -> Any:
    """Validate ``data`` as ``model``; problems become a :class:`SpecError` of one-line messages."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise SpecError(format_validation_error(exc, source=source, model=model)) from None
    except RecursionError:
        raise SpecError([f"{source}: structure nested too deeply"]) from None


@dataclass(frozen=True)
class LoadedStudy:
    """A validated study with its cohort resolved, and the texts it came from."""

    spec: StudySpec
    cohort: CohortSpec
    source: str
    yaml_text: str
    cohort_source: str | None
    cohort_yaml_text: str | None

    @property
    def config_sha256(self) -> str:
        data = self.spec.model_dump(mode="json")
        data["cohort"] = self.cohort.model_dump(mode="json")
        return config_sha256(data)


def resolve_cohort_path(study_path: Path, reference: str) -> Path:
    """Resolve a study's cohort reference, refusing paths that escape the project folder.

    The project folder is the parent of the study's folder (``studies/../``), so a
    study may reference ``../cohorts/x.yaml`` but not ``../../etc/x.yaml``.
    """
    base = study_path.resolve().parent
    root = base.parent
    target = (base / reference).resolve()
    if root != target and root not in target.parents:
        raise SpecError([f"{study_path}: cohort: path {reference!r} escapes the project folder {root} (use a path like ../cohorts/NAME.yaml)"])
    return target


def study_from_text(text: str, *, source: str, base_path: Path | None = None) -> LoadedStudy:
    """Validate a study given as text (used by the dashboard's upload and by ``load_study``)."""
    data = parse_yaml(text, source=source)
    spec: StudySpec = validate_spec(StudySpec, data, source=source)
    if isinstance(spec.cohort, CohortSpec):
        _check_severity_shift(spec, spec.cohort, source)
        return LoadedStudy(spec, spec.cohort, source, text, None, None)
    if base_path is None:
        from trialsim.catalog import cohort_path

        cohort_file = cohort_path(Path(spec.cohort).name)
    else:
        cohort_file = resolve_cohort_path(base_path, spec.cohort)
    try:
        cohort_text = read_text(cohort_file, what="cohort YAML")
    except InputFileError as exc:
        raise SpecError([f"{source}: cohort: {exc} (referenced as {spec.cohort!r})"]) from None
    cohort_data = parse_yaml(cohort_text, source=str(cohort_file))
    cohort = validate_spec(CohortSpec, cohort_data, source=str(cohort_file))
    _check_severity_shift(spec, cohort, source)
    return LoadedStudy(spec, cohort, source, text, str(cohort_file), cohort_text)


def _check_severity_shift(spec: StudySpec, cohort: CohortSpec, source: str) -> None:
    problems = severity_shift_problems(spec, cohort.condition)
    if problems:
        raise SpecError([f"{source}: {p}" for p in problems])


def load_study(path: str | Path) -> LoadedStudy:
    """Load and validate a study YAML file and the cohort it references.

    Examples
    --------
    >>> study = load_study("studies/pd_gait_speed_phase2.yaml")  # doctest: +SKIP
    >>> study.spec.endpoint.measure  # doctest: +SKIP
    'gait_speed_m_s'
    """
    path = Path(path)
    text = read_text(path, what="study YAML")
    return study_from_text(text, source=str(path), base_path=path)


def detect_kind(data: dict[str, Any]) -> str:
    """Tell a study from a cohort by its keys."""
    return "study" if "arms" in data or "endpoint" in data or "cohort" in data else "cohort"
