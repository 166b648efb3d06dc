"""The dashboard's simulator cross-check: a generator study shows both simulators side by side, a reference one does not."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
import yaml

from tests.dashboard.conftest import metrics, tab
from trialsim import Study
from trialsim.catalog import DEFAULT_STUDY
from trialsim.generative.loader import default_checkpoint_path

pytestmark = pytest.mark.skipif(not default_checkpoint_path().is_file(), reason="no shipped checkpoint")
CROSSCHECK = "Simulator cross-check"


def test_a_generator_study_shows_both_simulators_side_by_side(make_app) -> None:
    at = make_app(n_per_arm="20").run(timeout=240)
    assert not at.exception, [e.value for e in at.exception]
    tab(at, CROSSCHECK)  # the shipped study runs on the generator: its cross-check shows at once
    data = yaml.safe_load(DEFAULT_STUDY.read_text())
    data.update({"name": "pd_on_reference", "simulator": "reference"})
    at.selectbox(key="base").set_value("upload a study YAML…").run()
    at.file_uploader(key="upload").set_value(("ref.yaml", yaml.safe_dump(data).encode(), "application/x-yaml")).run(timeout=240)
    assert not at.exception, [e.value for e in at.exception]
    with pytest.raises(KeyError):  # a study on reference itself: nothing to cross-check
        tab(at, CROSSCHECK)
    data.update({"name": "pd_on_generator", "simulator": "generator"})
    at.selectbox(key="base").set_value("upload a study YAML…").run()
    at.file_uploader(key="upload").set_value(("gen.yaml", yaml.safe_dump(data).encode(), "application/x-yaml")).run(timeout=240)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error
    shown = tab(at, CROSSCHECK)
    table, recs = (d.value for d in shown.dataframe)
    oc = tab(at, "Power & type I error").dataframe[0].value
    study = Study.from_text(at.code[0].value, source="test", base_path=DEFAULT_STUDY)
    assert study.spec.simulator == "generator"
    designs = [(s.name, d) for s in study.spec.scenarios for d in dict.fromkeys(oc.design)]
    assert list(zip(table.scenario, table.design, strict=True)) == designs
    # the generator column is this run's own primary analysis, as the OC tab shows it
    primary = oc[oc.analysis == "primary"].set_index(["scenario", "design"])
    assert list(table["P(success), generator"]) == pytest.approx([primary.power[k] for k in designs])
    assert list(table["MC SE, generator"]) == pytest.approx([primary.power_mc_se[k] for k in designs])
    # the reference column is the same study on the reference simulator, through the public API
    reference = study.replace(simulator="reference").run()
    assert reference.simulator_crosscheck is None
    ref = reference.oc[reference.oc.analysis == "primary"].set_index(["scenario", "design"])
    assert list(table["P(success), reference"]) == pytest.approx([ref.power[k] for k in designs])
    assert list(table["bias, reference"]) == pytest.approx([ref.bias[k] for k in designs])
    # the flags follow the shown numbers: |difference| beyond 1.96 combined MC SEs
    diff = table["P(success), generator"] - table["P(success), reference"]
    noise = np.hypot(table["MC SE, generator"], table["MC SE, reference"])
    assert list(table["difference"]) == pytest.approx(list(diff))
    assert list(table["beyond MC noise"]) == ["yes" if abs(d) > 1.96 * n else "no" for d, n in zip(diff, noise, strict=True)]
    # each simulator's recommendation, labelled; the generator's is the headline's
    assert list(recs.simulator) == ["generator", "reference"]
    chosen = dict(zip(recs.simulator, recs["recommended design"], strict=True))
    headline = metrics(at)["Recommended design"][0]
    assert chosen["generator"] == ("none qualifies" if headline == "none in grid" else headline)
    rec = reference.recommended
    assert chosen["reference"] == (rec["design"] if rec["found"] else "none qualifies")
    sha = hashlib.sha256(default_checkpoint_path().read_bytes()).hexdigest()
    assert any(f"generator checkpoint sha256: {sha}" in c.value for c in shown.caption)
    verdict = [m.value for m in (*shown.success, *shown.warning)]
    beyond = int((table["beyond MC noise"] == "yes").sum())
    assert len(verdict) == 1
    assert verdict[0].endswith(f"; {beyond} of {len(table)} scenario × design success rates differ beyond Monte Carlo noise.")
    assert ("recommend different designs" in verdict[0]) == (chosen["generator"] != chosen["reference"])
