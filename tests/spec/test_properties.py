"""Property tests: any mutation of a valid study either validates or fails with one-line SpecErrors."""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trialsim.errors import SpecError
from trialsim.spec.loading import parse_yaml, study_from_text

ROOT = Path(__file__).resolve().parents[2]
STUDY = ROOT / "studies" / "pd_gait_speed_phase2.yaml"
BASE = yaml.safe_load(STUDY.read_text())

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10**30, 10**30), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30), st.lists(st.integers(-5, 5), max_size=4), st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)


def _paths(node, prefix=()):  # type: ignore[no-untyped-def]
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, (*prefix, i))


PATHS = [p for p in _paths(BASE) if p]


def _set(data, path, value):  # type: ignore[no-untyped-def]
    import copy

    data = copy.deepcopy(data)
    node = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return data


def _check(text: str) -> None:
    try:
        study_from_text(text, source="mutated.yaml", base_path=STUDY)
    except SpecError as exc:
        assert exc.lines()
        for line in exc.lines():
            assert "\n" not in line
            assert line.startswith(("mutated.yaml", str(ROOT)))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(PATHS), value=scalars)
def test_mutated_field_gives_valid_or_one_line_errors(path, value) -> None:  # type: ignore[no-untyped-def]
    _check(yaml.safe_dump(_set(BASE, path, value), allow_unicode=True))


@settings(max_examples=100, deadline=None)
@given(key=st.text(min_size=1, max_size=20), value=scalars)
def test_unknown_top_level_keys_are_reported(key: str, value) -> None:  # type: ignore[no-untyped-def]
    data = dict(BASE)
    if key in data:
        return
    data[key] = value
    try:
        study_from_text(yaml.safe_dump(data), source="mutated.yaml", base_path=STUDY)
    except SpecError as exc:
        assert any("unknown key" in line for line in exc.lines())
    else:
        raise AssertionError("unknown key accepted")


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=200))
def test_arbitrary_text_never_escapes_as_a_non_spec_error(text: str) -> None:
    try:
        parse_yaml(text, source="random.yaml")
    except SpecError as exc:
        assert all(line.startswith("random.yaml") for line in exc.lines())
