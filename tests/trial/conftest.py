"""Shared fixtures of the trial-layer tests: the shipped PD study and a way to vary it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from trialsim.spec.loading import LoadedStudy, load_study

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def pd_study() -> LoadedStudy:
    return load_study(ROOT / "studies" / "pd_gait_speed_phase2.yaml")


def with_fields(loaded: LoadedStudy, **update: object) -> LoadedStudy:
    """The study with top-level spec fields replaced (cohort and sources kept)."""
    spec = loaded.spec.model_copy(update=update)
    return LoadedStudy(spec, loaded.cohort, loaded.source, loaded.yaml_text, loaded.cohort_source, loaded.cohort_yaml_text)


@pytest.fixture
def vary() -> Callable[..., LoadedStudy]:
    return with_fields
