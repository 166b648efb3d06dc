"""``Study``: constructors validate, ``replace`` returns a new validated study, ``run`` records the study that ran."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from trialsim import Study
from trialsim.errors import SpecError, TrialsimError

ROOT = Path(__file__).resolve().parents[2]
SMALL = ROOT / "tests" / "data" / "studies" / "small_pd.yaml"


def test_import_trialsim_is_light() -> None:
    import subprocess
    import sys

    code = ("import sys, trialsim; from trialsim import Study, TrialResults; "
            "heavy = [m for m in ('opensim', 'torch', 'pymc', 'streamlit', 'arviz') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


def test_replace_returns_a_new_validated_study_with_rerendered_yaml() -> None:
    study = Study.from_yaml(SMALL)
    changed = study.replace(n_per_arm=[10, 30], seed=5, drift_outcome_offset=-0.02,
                            fields={"analysis.borrowing.robust_weight": 0.6})
    assert study.spec.design.n_per_arm == [20, 40]
    assert study.spec.seed == 11
    assert changed.spec.design.n_per_arm == [10, 30]
    assert changed.spec.synthetic_control.drift.outcome_offset == -0.02
    assert changed.spec.analysis.borrowing.robust_weight == 0.6
    rendered = yaml.safe_load(changed.yaml_text)
    assert rendered["seed"] == 5
    assert rendered["design"]["n_per_arm"] == [10, 30]
    assert changed.config_sha256 != study.config_sha256
    assert study.replace() is study


@pytest.mark.parametrize(("kwargs", "expected"), [
    ({"n_per_arm": []}, "design.n_per_arm:"),
    ({"fields": {"endpoint.colour": "blue"}}, "endpoint.colour: unknown key"),
    ({"seed": -1}, "seed:"),
    ({"fields": {"arms.7.allocation": 0.5}}, "arms.7: no such item"),
])
def test_bad_replacement_is_a_one_line_error_naming_the_field(kwargs: dict, expected: str) -> None:
    with pytest.raises(SpecError) as info:
        Study.from_yaml(SMALL).replace(**kwargs)
    message = str(info.value)
    assert expected in message
    assert "\n" not in message
    assert "small_pd.yaml (replace:" in message


def test_unknown_names_list_the_allowed_ones() -> None:
    with pytest.raises(SpecError, match=r"not a shipped study \(allowed: .*pd_gait_speed_phase2"):
        Study.shipped("does_not_exist")
    with pytest.raises(SpecError, match=r"simulator: .*physics"):
        Study.from_yaml(SMALL).replace(simulator="physics")
    from trialsim.analysis.engines import engine_named
    from trialsim.generative.simulators import simulator_named
    from trialsim.sensors.devices import device_named

    for lookup, name, allowed in ((simulator_named, "physics", "reference, generator"),
                                  (engine_named, "stan", "fast, pymc"), (device_named, "radar", "walkway")):
        with pytest.raises(TrialsimError, match=allowed):
            lookup(name)


def test_run_overrides_are_the_study_that_ran() -> None:
    study = Study.from_yaml(SMALL)
    results = study.run(replicates=12, seed=3)
    ran = Study.from_provenance(results.provenance)
    assert results.spec == ran.spec
    assert ran.spec.seed == 3
    assert ran.spec.replicates == 12
    assert results.summary["seed"] == 3
    assert results.summary["replicates"] == 12
    assert results.summary["config_sha256"] == study.replace(replicates=12, seed=3).config_sha256
    # same seed, same numbers, whichever way the overrides are given
    again = study.replace(seed=3).run(replicates=12)
    assert again.oc.equals(results.oc)


def test_condition_mappings_are_a_registry() -> None:
    from trialsim.physiology.disease import CONDITION_MAPPINGS, condition_mapping
    from trialsim.spec.cohort import CohortSpec

    condition_field = CohortSpec.model_fields["condition"].annotation
    assert set(CONDITION_MAPPINGS) == set(condition_field.__args__)  # every condition a cohort may name has a mapping
    with pytest.raises(TrialsimError, match=r"condition: 'als' unknown \(allowed: healthy, parkinsons"):
        condition_mapping("als")
