"""PROCOVA's gain is reported per study, and a small ρ is called what it is."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest

from trialsim.results.levers import procova_gain
from trialsim.spec.loading import load_study

DEMO = "studies/pd_gait_speed_phase2.yaml"


def _run(rho: float):
    loaded = load_study(DEMO)
    return SimpleNamespace(loaded=loaded, scenarios=loaded.spec.scenarios,
                           true_effects={"no_effect": 0.0, "expected": 0.057},
                           variance={"rho_prognostic": rho, "sd_change": 0.062})


@pytest.mark.parametrize(("rho", "little"), [(0.05, True), (0.7, False)])
def test_procova_gain_and_statement(rho, little):
    table = pd.DataFrame(columns=["scenario_kind", "n_synthetic", "design", "analysis", "power"])
    out = procova_gain(_run(rho), table, n_per_arm=22)  # type: ignore[arg-type]
    assert out["variance_reduction"] == pytest.approx(rho**2)
    assert out["does_little"] is little
    gain = out["closed_form_power_with"] - out["closed_form_power_without"]
    if little:
        assert out["statement"].startswith("PROCOVA does little here")
        assert abs(gain) < 0.01
    else:
        assert gain > 0.1
