"""A symptomatic effect given in clinical terms (``severity_shift``) reaches every simulator.

A study's drug can say "patients move as if 17 MDS-UPDRS III points less severe"; the shift
goes through the cohort's severity → physiology mapping, so the reference model (which
reads neural drive, stiffness and activation time) and the physics-v2 generator (which also
reads vigour and joint rigidity) both see it, without a hand-made set of parameter shifts
per simulator.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from trialsim.errors import SpecError
from trialsim.physiology.disease import parkinsons_effects
from trialsim.spec.loading import LoadedStudy, study_from_text
from trialsim.spec.study import SymptomaticEffect, TreatmentSpec
from trialsim.trial.enrolment import enrol
from trialsim.trial.simulate import _trajectory_params, true_effect

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "studies" / "pd_gait_speed_phase2.yaml"
UPDRS_POINTS = -17.0


def _demo_with(symptomatic: dict[str, object], cohort: str | None = None) -> LoadedStudy:
    data = yaml.safe_load(DEMO.read_text())
    data["treatment"]["symptomatic"] = symptomatic
    if cohort is not None:
        data["cohort"] = cohort
    return study_from_text(yaml.safe_dump(data), source="demo.yaml", base_path=DEMO)


@pytest.fixture(scope="module")
def by_severity() -> LoadedStudy:
    return _demo_with({"severity_shift": {"updrs_iii": UPDRS_POINTS}, "onset_weeks": 4})


def test_the_shift_moves_every_parameter_the_pd_mapping_moves(by_severity: LoadedStudy) -> None:
    from trialsim.results.run import select_simulator

    study, cohort = by_severity.spec, by_severity.cohort
    e = enrol(cohort, n=300, seed=1, key=("severity-shift",), simulator=select_simulator("reference"))
    weeks = np.asarray(study.visits_weeks, dtype=float)
    control = _trajectory_params(study, cohort, e.candidates, weeks=weeks, treated=False, effect_scale=1.0)
    treated = _trajectory_params(study, cohort, e.candidates, weeks=weeks, treated=True, effect_scale=1.0)
    responder = e.candidates.responder_u < study.treatment.responder_fraction
    full = weeks >= study.treatment.symptomatic.onset_weeks  # type: ignore[union-attr]
    slope = {k: (v[1] - v[0]) for k, v in ((k, parkinsons_effects(np.array([0.0, 1.0]))[k]) for k in
                                            ("vigour", "joint_rigidity", "neural_drive", "activation_time_scale"))}
    for name in ("vigour", "joint_rigidity", "neural_drive", "activation_time_scale"):
        diff = treated[name] - control[name]
        assert np.all(diff[:, 0] == 0.0), name  # baseline: the drug has not acted
        assert np.all(diff[~responder] == 0.0), name  # non-responders are untouched
        moved = diff[responder][:, full]
        # unclipped patients move by the mapping's slope × 17 points (jitter multiplies some parameters)
        expected = slope[name] * UPDRS_POINTS
        assert np.median(moved) == pytest.approx(expected, rel=0.15), (name, np.median(moved), expected)


@pytest.mark.parametrize("simulator_name", ["reference", "generator"])
def test_both_simulators_see_the_drug(by_severity: LoadedStudy, simulator_name: str) -> None:
    from trialsim.results.run import select_simulator

    simulator = select_simulator(simulator_name)
    expected = next(s for s in by_severity.spec.scenarios if s.effect_scale > 0)
    effect = true_effect(by_severity, scenario=expected, simulator=simulator, n=2000)
    assert effect > 0.01, (simulator_name, effect)  # m/s of benefit, both simulators


def test_severity_shift_and_parameter_shifts_combine(by_severity: LoadedStudy) -> None:
    from trialsim.results.run import select_simulator

    both = _demo_with({"severity_shift": {"updrs_iii": UPDRS_POINTS}, "shifts": {"strength_plantarflexors": 0.2},
                       "onset_weeks": 4})
    simulator = select_simulator("reference")
    scenario = next(s for s in both.spec.scenarios if s.effect_scale > 0)
    alone = true_effect(by_severity, scenario=scenario, simulator=simulator, n=2000)
    combined = true_effect(both, scenario=scenario, simulator=simulator, n=2000)
    assert combined > alone + 0.005


def test_bad_severity_shifts_are_one_line_errors() -> None:
    with pytest.raises(ValueError, match="unknown severity score 'updrs'"):
        SymptomaticEffect(severity_shift={"updrs": -5})
    with pytest.raises(ValueError, match="give a finite number of score points"):
        SymptomaticEffect(severity_shift={"updrs_iii": float("nan")})
    with pytest.raises(ValueError, match="give a finite number"):
        SymptomaticEffect(shifts={"neural_drive": float("nan")})
    with pytest.raises(ValueError, match="beyond the score's span"):
        TreatmentSpec(symptomatic={"severity_shift": {"moca_score": 40}})  # type: ignore[arg-type]
    with pytest.raises(SpecError) as info:
        _demo_with({"severity_shift": {"moca_score": 3}})
    message = str(info.value)
    assert "treatment.symptomatic.severity_shift: moca_score does not apply to a parkinsons cohort (allowed: updrs_iii)" in message
    assert "\n" not in message.strip()


def test_cli_exit_2_on_a_severity_shift_of_the_wrong_condition(tmp_path: Path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from trialsim.cli import main

    data = yaml.safe_load(DEMO.read_text())
    data["treatment"]["symptomatic"] = {"severity_shift": {"fugl_meyer_le": 5}}
    (tmp_path / "early_pd.yaml").write_text((ROOT / "cohorts" / "early_pd.yaml").read_text())  # nothing written in the repo
    data["cohort"] = "early_pd.yaml"
    study = tmp_path / "severity_shift_wrong_condition.yaml"
    study.write_text(yaml.safe_dump(data))
    monkeypatch.setattr(sys, "argv", ["trialsim", "run", str(study), "--out", str(tmp_path / "out"), "--replicates", "2"])
    with pytest.raises(SystemExit) as exit_info:
        main()
    err = capsys.readouterr().err.strip()
    assert exit_info.value.code == 2
    assert err.count("\n") == 0 and "fugl_meyer_le does not apply to a parkinsons cohort" in err, err
    assert not (tmp_path / "out").exists()


def test_severity_spans_agree_with_the_progression_scores() -> None:
    """The spec's score names and spans are the trial mechanisms' (one list, no drift)."""
    from trialsim.spec.study import SEVERITY_SCORE, SEVERITY_SPAN
    from trialsim.trial import mechanisms

    assert SEVERITY_SCORE == {condition: score for condition, (score, _) in mechanisms.PROGRESSION_SCORE.items()}
    assert set(SEVERITY_SPAN) == set(mechanisms.SCORE_BOUNDS)
    for score, (low, high) in mechanisms.SCORE_BOUNDS.items():
        assert SEVERITY_SPAN[score] == pytest.approx(high - low)
