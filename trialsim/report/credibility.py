"""Sources of the data-generating model and its credibility evidence (ASME V&V 40-2018 frame).

The model's sources are read from the docstrings of the modules that implement it
(one place to keep them), the validation targets and tolerances mirror
``tests/population/test_calibration.py`` and the verification evidence names the
tests that hold it; ``tests/report`` checks that every test named here exists.
"""

from __future__ import annotations

import importlib
import json
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

#: modules whose docstrings document the data-generating model, by layer
MODEL_MODULES: dict[str, str] = {
    "phenotype mappings (covariates and disease → musculoskeletal parameters)": "trialsim.physiology.disease",
    "musculoskeletal parameters, nominal values and ranges": "trialsim.physiology.parameters",
    "musculoskeletal model (OpenSim)": "trialsim.musculoskeletal.model",
    "gait solves (OpenSim Moco)": "trialsim.musculoskeletal.gait",
    "segment proportions": "trialsim.musculoskeletal.anthropometry",
    "statistical reference gait model": "trialsim.generative.reference",
    "measurement devices": "trialsim.sensors.devices",
}

#: the science the physics generator builds on (REFERENCE §1)
PHYSICS_SOURCES = (
    "Yamada et al. 2025, Nature Communications 16:6188 (doi 10.1038/s41467-025-61292-1): synthetic "
    "musculoskeletal gaits from a generative model learned from physics-based simulation generalise "
    "across ages, pathologies and sensor settings.",
    "Park et al. 2022 (Generative GaitNet) and 2023 (Bidirectional GaitNet), SIGGRAPH: forward network "
    "distilled from physics simulation maps anatomy conditions to gait; parameter ranges sampled.",
    "OpenSim 4.6 with Moco (direct collocation, CasADi + IPOPT); DeGrooteFregly2016Muscle and "
    "SmoothSphereHalfSpaceForce elements (Falisse et al. 2019, J R Soc Interface 16:20190402).",
)


@dataclass(frozen=True)
class Evidence:
    claim: str
    published: str
    source: str
    tolerance: str
    test: str  # "tests/<path>.py::<function>"


VALIDATION: tuple[Evidence, ...] = (
    Evidence("Comfortable gait speed by age decade (20–99 y) and sex, healthy adults",
             "0.94–1.43 m/s (14 cells)", "Bohannon & Williams Andrews 2011, Physiotherapy 97:182",
             "each cell within ±10 %; mean absolute error < 5 %",
             "tests/population/test_calibration.py::test_healthy_speed_by_decade_and_sex"),
    Evidence("Parkinson's disease − age/sex-matched controls, comfortable speed",
             "−0.17 m/s; shorter strides, higher cadence, higher stride-time variability",
             "Zanardi et al. 2021, Sci Rep 11:752 (72 studies)",
             "difference in [−0.25, −0.08] m/s; directions of stride, cadence and CV",
             "tests/population/test_calibration.py::test_parkinsons_vs_controls"),
    Evidence("Adult spatiotemporal norms at 71.4 % body height/s",
             "cadence 109.8 ± 9.1 /min, stride 1.33 ± 0.12 m, stance 62.6 ± 2.0 %, knee 64.1 ± 4.9°",
             "Bovi et al. 2011, Gait Posture 33:6", "each mean within one published SD",
             "tests/population/test_calibration.py::test_adult_spatiotemporal_norms"),
    Evidence("Chronic stroke: speed classes and paretic asymmetry",
             "limited-community to community walkers 0.4–1.2 m/s", "Perry 1995",
             "all patients within the class bounds; paretic side weaker",
             "tests/population/test_calibration.py::test_stroke_speed_classes_and_asymmetry"),
    Evidence("Physics: nominal gait of the OpenSim model",
             "Bovi 2011 adult bands", "Bovi et al. 2011, Gait Posture 33:6",
             "within 2.5 SD (stance 3 SD)",
             "tests/musculoskeletal/test_physics_direction.py::test_nominal_within_bovi_bands"),
)

VERIFICATION: tuple[tuple[str, str], ...] = (
    ("Power of an analytic trial equals the closed form within Monte Carlo error",
     "tests/analysis/test_known_answers.py::test_power_matches_closed_form_within_mc_error"),
    ("Type I error is nominal without borrowing",
     "tests/analysis/test_known_answers.py::test_type1_error_is_nominal_without_borrowing"),
    ("PROCOVA saving of (1 − ρ²) reproduced (64 → 33 per arm worked example)",
     "tests/analysis/test_known_answers.py::test_design_search_finds_procova_saving_of_one_minus_rho_squared"),
    ("Posterior credible intervals cover the truth at their nominal rate",
     "tests/analysis/test_known_answers.py::test_posterior_is_calibrated_when_parameters_come_from_the_prior"),
    ("Fast conjugate/Laplace posteriors agree with NUTS (PyMC) on the same replicates",
     "tests/analysis/test_agreement.py::test_fast_ancova_agrees_with_nuts_for_every_borrowing_method"),
    ("Robust-mixture borrowing keeps type I error bounded across drift",
     "tests/analysis/test_borrowing.py::test_robust_mixture_bounds_type1_error_across_drift"),
    ("Zero treatment effect gives exchangeable arms",
     "tests/trial/test_trial_checks.py::test_zero_effect_arms_are_exchangeable"),
    ("Severity moves musculoskeletal parameters monotonically",
     "tests/population/test_calibration.py::test_severity_moves_parameters_monotonically"),
    ("Physics moves the right way: weaker plantar flexors choose a slower speed (one free-speed solve each)",
     "tests/musculoskeletal/test_physics_direction.py::test_plantarflexor_weakness_lowers_self_selected_speed"),
    ("Re-running the recorded command reproduces every number; workers and resume do not change them",
     "tests/cli/test_run.py::test_rerun_command_reproduces_numbers"),
)

#: measures whose simulated values are checked against published figures above
VALIDATED_MEASURES = ("gait_speed_m_s", "cadence_steps_min", "stride_length_m", "stance_pct",
                      "peak_knee_flexion_swing_deg", "stride_time_cv_pct")

#: published baseline means of a condition, to set beside the run's own baseline sample
PUBLISHED_BASELINE: dict[str, tuple[str, float, float, str]] = {
    "parkinsons": ("gait_speed_m_s", 1.12, 0.15, "J NeuroEng Rehabil 2:23 (PD comfortable speed)"),
}


def documented_sources(module_name: str) -> list[str]:
    """Bulleted items of a module docstring's source/target section (or its first paragraph)."""
    doc = importlib.import_module(module_name).__doc__ or ""
    lines = doc.splitlines()
    start = next((i for i, line in enumerate(lines) if re.match(r"^(Sources|Calibration targets|Sources of)", line.strip())), None)
    body = lines[start + 1:] if start is not None else lines
    items: list[str] = []
    for line in body:
        stripped = line.strip()
        if set(stripped) <= {"-"} and stripped:
            continue
        if stripped.startswith("- "):
            items.append(stripped[2:])
        elif items and stripped and line.startswith((" ", "\t")):
            items[-1] += " " + stripped
        elif items and not stripped:
            continue
        elif items and stripped:
            break
    if not items:
        paragraph = doc.strip().split("\n\n")
        items = [" ".join(paragraph[1].split())] if len(paragraph) > 1 else [doc.strip().splitlines()[0]]
    return [re.sub(r"``?([^`]+)``?", r"\1", " ".join(i.split())).replace(":mod:", "").replace(":data:", "") for i in items]


def model_risk(*, borrowing: bool) -> tuple[str, str, str]:
    """(model influence, decision consequence, model risk) in V&V 40 terms."""
    if borrowing:
        return ("high: simulated operating characteristics choose the design, and synthetic controls from "
                "the same data-generating model enter the primary analysis of the real trial",
                "high: drift between synthetic and concurrent controls can inflate the type I error of a "
                "confirmatory decision",
                "high — requires validation of the control-arm outcome and a bounded type I error across drift")
    return ("medium: simulated operating characteristics choose the design and sample size; the real trial "
            "is analysed on its own data only",
            "medium: a wrong sample size gives an under- or over-powered trial, not a wrong efficacy claim",
            "medium — validation of variability and effect size of the endpoint is the main need")


def shipped_fidelity_path() -> Path:
    """Held-out fidelity of the shipped generator (written by ``trialsim.generative.evaluate``)."""
    return Path(str(resources.files("trialsim").joinpath("data/generator/fidelity.json")))


def generator_fidelity(checkpoint_sha256: str | None) -> tuple[dict[str, Any] | None, str]:
    """The fidelity figures that belong to this checkpoint, or ``None`` and why not."""
    path = shipped_fidelity_path()
    if not path.is_file():
        return None, "no fidelity figures ship with this installation (trialsim/data/generator/fidelity.json)"
    try:
        report = json.loads(path.read_text())
    except ValueError:
        return None, f"{path.name} is unreadable"
    if not checkpoint_sha256 or report.get("checkpoint_sha256") != checkpoint_sha256:
        return None, (f"the shipped fidelity figures belong to checkpoint {str(report.get('checkpoint_sha256'))[:12]}…, "
                      f"not to this run's {str(checkpoint_sha256)[:12]}…; they do not apply")
    return report, f"held-out fidelity of checkpoint {checkpoint_sha256[:12]}… ({path.name})"
