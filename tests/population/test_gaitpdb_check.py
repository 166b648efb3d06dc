"""CHECK (never a fit) of the calibrated generator against real usual-walk speeds: PhysioNet
gaitpdb "Si" (Frenkel-Toledo 2005; 35 PD at H&Y 2–3, 29 controls; REFERENCE §3).

Each real subject gets 200 virtual copies with the same age, sex, height and mass (PD: the
subject's MDS-UPDRS III, or its stage's mean where missing), between-patient parameter noise
and the speed preference calibrated on Bohannon's healthy strata. Tolerances: each group's mean
within ± 0.08 m/s of the real one (≈ 2.5 standard errors of a 29–35-person mean with SD
0.14–0.17) and the PD − control gap within ± 0.08 m/s of the real −0.14.
Skipped (with the reason) where the recordings are not present: they never ship. One caveat
(session 9): these figures were looked at for each PD vigour slope tried before the shipped
one was chosen by the library's design range (BENCHMARKS.md), so they are not a blind check
of that parameter.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

SUBJECTS = Path(__file__).resolve().parents[2].parent / "shared" / "reference-data" / "gaitpdb-si" / "subjects.csv"
COPIES = 200


def _subjects():  # type: ignore[no-untyped-def]
    import os

    import pandas as pd

    path = Path(os.environ.get("TRIALSIM_GAITPDB_SI", SUBJECTS))
    if not path.is_file():
        pytest.skip(f"gaitpdb-si reference recordings not present at {path} (checking data, not shipped)")
    return pd.read_csv(path)


@pytest.fixture(scope="module")
def virtual_vs_real():
    from trialsim.generative.loader import load_default_generator
    from trialsim.physiology.disease import UPDRS_BY_HOEHN_YAHR, map_to_parameters, noise_keys
    from trialsim.population.calibration import calibrate
    from trialsim.seeding import stream
    from trialsim.spec.loading import load_shipped_cohort

    real = _subjects()
    real = real[np.isfinite(real.speed_01_m_s)]
    gen = load_default_generator()
    fit = calibrate(load_shipped_cohort("healthy_older"), gen, seed=0)
    out = {}
    for group, rows in real.groupby("pd"):
        n = len(rows) * COPIES
        rep = rows.loc[rows.index.repeat(COPIES)]
        mass = rep.body_mass_kg.fillna(rep.body_mass_kg.mean()).to_numpy(float)
        covariates = {"age_years": rep.age_years.to_numpy(float), "sex": rep.female.to_numpy(float),
                      "height_m": rep.height_m.to_numpy(float), "body_mass_kg": mass}
        severity = {}
        if group == 1:
            stage_mean = rep.hoehn_yahr.map(lambda s: UPDRS_BY_HOEHN_YAHR.get(float(s), 26.0))
            severity = {"updrs_iii": rep.updrs.fillna(stage_mean).to_numpy(float)}
        noise = {k: stream(0, "gaitpdb", int(group), k).standard_normal(n) for k in noise_keys()}
        params = map_to_parameters(covariates, condition="parkinsons" if group == 1 else "healthy",
                                   severity=severity, patient_noise=noise)
        params["speed_effect_z"] = fit.effect(stream(0, "gaitpdb", int(group), "speed").standard_normal(n))
        speed = gen.simulate(params, rng=stream(0, "gaitpdb", int(group), "day"))["gait_speed_m_s"]
        out[int(group)] = (float(speed.mean()), float(rows.speed_01_m_s.mean()))
    return out


def test_control_speed_matches_real_controls(virtual_vs_real):
    virtual, real = virtual_vs_real[0]
    assert abs(virtual - real) <= 0.08, (virtual, real)


#: regression bound: the virtual PD group walks 0.008 m/s faster than the real one (generator trained on
#: library v3, 355 bodies, sex-specific strength, PD vigour 1 − 0.0125/UPDRS point; 186 bodies +0.007;
#: with vigour 1 − 0.006/point +0.077; 126 bodies +0.068, v2-trained +0.087, v1-trained +0.081)
PD_EXCESS_REGRESSION_M_S = 0.12


def test_pd_speed_does_not_regress(virtual_vs_real):
    virtual, real = virtual_vs_real[1]
    assert abs(virtual - real) <= PD_EXCESS_REGRESSION_M_S, (virtual, real)


def test_pd_speed_matches_real_pd(virtual_vs_real):
    """Measured (generator trained on library v3, 355 bodies, sex-specific strength, PD vigour
    1 − 0.0125/UPDRS point): virtual PD 1.116 vs real 1.108 m/s (+0.008; controls 1.321 vs 1.246;
    186 bodies: 1.115, controls 1.321).
    With the vigour placeholder 0.006: 1.185 (+0.077); 126 bodies +0.068; v2-trained +0.087 and
    v1-trained +0.081 failed."""
    virtual, real = virtual_vs_real[1]
    assert abs(virtual - real) <= 0.08, (virtual, real)


def test_pd_control_gap_matches_real_gap(virtual_vs_real):
    """Measured (355 bodies): −0.205 vs real −0.139 (inside ± 0.08 by 0.014; the virtual controls run
    0.075 fast; 186 bodies: −0.206). With the PD vigour placeholder 0.006 per UPDRS point: −0.136."""
    gap_virtual = virtual_vs_real[1][0] - virtual_vs_real[0][0]
    gap_real = virtual_vs_real[1][1] - virtual_vs_real[0][1]
    print(f"gaitpdb-si: virtual controls {virtual_vs_real[0][0]:.3f} vs real {virtual_vs_real[0][1]:.3f}; "
          f"PD {virtual_vs_real[1][0]:.3f} vs {virtual_vs_real[1][1]:.3f}; gap {gap_virtual:+.3f} vs {gap_real:+.3f}")
    assert abs(gap_virtual - gap_real) <= 0.08, (gap_virtual, gap_real)
