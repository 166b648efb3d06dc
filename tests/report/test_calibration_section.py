"""The report's calibration table: targets, the generator's fit and residuals, and whether this run used it."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from trialsim.report.blocks import Paragraph, Section, Table
from trialsim.report.model_section import _calibration_part
from trialsim.spec.loading import load_shipped_cohort


def _text(section: Section) -> str:
    return " ".join(b.text for b in section.blocks if isinstance(b, Paragraph))


def test_cohort_with_targets_gets_a_calibration_table():
    cohort = load_shipped_cohort("healthy_older").model_dump(mode="json")
    section = Section("model", "4")
    _calibration_part(SimpleNamespace(cohort=cohort, simulator="reference", attrs={}), section)  # type: ignore[arg-type]
    tab = next(b for b in section.blocks if isinstance(b, Table) and b.name == "calibration_targets")
    assert len(tab.rows) == 4
    assert tab.rows[0][0] == "male, 60–70 y"
    text = _text(section)
    assert "not this run's simulator (reference)" in text
    assert "were not drawn with it" in text


def test_cohort_without_targets_adds_nothing_on_reference():
    section = Section("model", "4")
    cohort = load_shipped_cohort("ambulant_cp").model_dump(mode="json")
    _calibration_part(SimpleNamespace(cohort=cohort, simulator="reference", attrs={}), section)  # type: ignore[arg-type]
    assert section.blocks == []


def test_generator_run_states_the_effect_it_recorded():
    from trialsim.generative.loader import load_default_generator
    from trialsim.population.calibration import calibrate

    spec = load_shipped_cohort("healthy_older")
    fit = calibrate(spec, load_default_generator(), seed=0)
    attrs = {"simulator_speed_effect": "calibrated", "simulator_speed_effect_shift": repr(fit.shift),
             "simulator_speed_effect_scale": repr(fit.scale)}
    section = Section("model", "4")
    _calibration_part(SimpleNamespace(cohort=spec.model_dump(mode="json"), simulator="generator", attrs=attrs), section)  # type: ignore[arg-type]
    text = _text(section)
    assert "this run's patients were drawn with it" in text
    assert "differs from the one" not in text and "not the one this run used" not in text
    sha = load_default_generator().bundle.sha256
    same = {**attrs, "simulator_checkpoint_sha256": sha, "simulator_speed_effect_shift": repr(fit.shift + 0.5)}
    section = Section("model", "4")
    _calibration_part(SimpleNamespace(cohort=spec.model_dump(mode="json"), simulator="generator", attrs=same), section)  # type: ignore[arg-type]
    assert "on the same checkpoint: the cohort, the severity → physiology mapping or the calibration code changed" in _text(section)
    other = {**attrs, "simulator_checkpoint_sha256": "0" * 64}
    section = Section("model", "4")
    _calibration_part(SimpleNamespace(cohort=spec.model_dump(mode="json"), simulator="generator", attrs=other), section)  # type: ignore[arg-type]
    assert "not the one this run used (000000000000…)" in _text(section)


@pytest.mark.parametrize(("attrs", "expected"), [
    ({"simulator_speed_effect": "uncalibrated"}, "uncalibrated effect u ~ N(0, 1)"),
    ({}, "record no per-body speed effect"),
])
def test_generator_run_without_targets_says_what_it_drew(attrs, expected):
    section = Section("model", "4")
    cohort = load_shipped_cohort("ambulant_cp").model_dump(mode="json")
    _calibration_part(SimpleNamespace(cohort=cohort, simulator="generator", attrs=attrs), section)  # type: ignore[arg-type]
    assert expected in _text(section)
