"""The public API the CLI, the dashboard and users' scripts call.

Everything here is re-exported lazily so ``import trialsim.api`` stays light.

Examples
--------
>>> from trialsim import api
>>> loaded = api.load_study("studies/pd_gait_speed_phase2.yaml")  # doctest: +SKIP
>>> run = api.run_study(loaded, replicates=50, quiet=True)         # doctest: +SKIP
>>> table = api.oc_table(run)                                       # doctest: +SKIP
>>> api.recommend_design(run, table)["design"]                      # doctest: +SKIP
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "load_study": "trialsim.spec.loading",
    "load_cohort": "trialsim.spec.loading",
    "study_from_text": "trialsim.spec.loading",
    "LoadedStudy": "trialsim.spec.loading",
    "StudySpec": "trialsim.spec.study",
    "CohortSpec": "trialsim.spec.cohort",
    "run_study": "trialsim.pipeline",
    "select_simulator": "trialsim.pipeline",
    "StudyRun": "trialsim.pipeline",
    "execute_study": "trialsim.workflow",
    "assemble_results": "trialsim.workflow",
    "oc_table": "trialsim.results.operating",
    "recommend_design": "trialsim.results.operating",
    "summary_dict": "trialsim.results.store",
    "to_datatree": "trialsim.results.store",
    "load_tree": "trialsim.results.store",
    "load_summary": "trialsim.results.store",
    "verify_manifest": "trialsim.results.store",
    "sample_cohort": "trialsim.trial.enrolment",
    "example_trials": "trialsim.trial.examples",
    "baseline_sample": "trialsim.trial.examples",
    "candidate_designs": "trialsim.trial.simulate",
    "true_effect": "trialsim.trial.simulate",
    "render_html": "trialsim.report.render",
    "shipped_studies": "trialsim.catalog",
    "shipped_cohorts": "trialsim.catalog",
    "DEVICES": "trialsim.sensors.devices",
    "PARAMETERS": "trialsim.physiology.parameters",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'trialsim.api' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
