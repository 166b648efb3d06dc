"""The report's calibration table: targets, the generator's fit and residuals."""

from __future__ import annotations

from types import SimpleNamespace

from trialsim.report.blocks import Paragraph, Section, Table
from trialsim.report.model_section import _calibration_part
from trialsim.spec.loading import load_shipped_cohort


def test_cohort_with_targets_gets_a_calibration_table():
    cohort = load_shipped_cohort("healthy_older").model_dump(mode="json")
    section = Section("model", "4")
    _calibration_part(SimpleNamespace(cohort=cohort, simulator="reference"), section)  # type: ignore[arg-type]
    tab = next(b for b in section.blocks if isinstance(b, Table) and b.name == "calibration_targets")
    assert len(tab.rows) == 4
    assert tab.rows[0][0] == "male, 60–70 y"
    text = " ".join(b.text for b in section.blocks if isinstance(b, Paragraph))
    assert "not this run's simulator (reference)" in text


def test_cohort_without_targets_adds_nothing():
    section = Section("model", "4")
    cohort = load_shipped_cohort("early_pd").model_dump(mode="json")
    _calibration_part(SimpleNamespace(cohort=cohort, simulator="reference"), section)  # type: ignore[arg-type]
    assert section.blocks == []
