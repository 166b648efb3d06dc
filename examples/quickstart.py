"""Quick start: load a shipped study, change n and drift, run, plot, save, reopen, report.

Run it from a checkout: ``python examples/quickstart.py [OUT_DIR]`` (about a minute on
2 cores). ``tests/test_quickstart.py`` executes this file and checks its numbers.
"""

from __future__ import annotations

import sys
from pathlib import Path

from trialsim import Study, TrialResults

STUDY = Path(__file__).resolve().parents[1] / "studies" / "pd_gait_speed_phase2.yaml"


def main(out: Path, *, replicates: int = 100) -> dict[str, object]:
    # 1. load a shipped study; change the sample-size grid and the synthetic controls' drift
    study = Study.from_yaml(STUDY)
    changed = study.replace(n_per_arm=[20, 40], synthetic_control_n=[0, 50], drift_outcome_offset=-0.02)
    print(changed)

    # 2. run: every scenario × design on the same virtual patients (nothing is written yet)
    results = changed.run(replicates=replicates, seed=7)
    oc = results.oc
    primary = oc[oc.analysis == "primary"]
    print(primary[["scenario", "design", "is_null", "drift_outcome_offset", "borrowing", "power", "power_mc_se"]]
          .to_string(index=False))
    print("recommended:", results.recommended.get("design", "none"), "|", results.recommended["statement"])

    # 3. plot (matplotlib figures; backend="plotly" gives the dashboard's)
    out.mkdir(parents=True, exist_ok=True)
    results.plot.power().savefig(out / "power.png", dpi=100)
    results.plot.type1_vs_drift().savefig(out / "type1_vs_drift.png", dpi=100)

    # 4. save (atomic, with a manifest), reopen (verified), report
    results.save(out / "run", force=True)
    reopened = TrialResults.open(out / "run")
    report = reopened.report(format="html")
    print("report:", report)

    alt = primary[~primary.is_null & (primary.design == "c40_t40_s0")]
    nulls = primary[primary.is_null].set_index(["scenario", "n_control", "n_synthetic"]).power
    borrowing_excess = sum(nulls[(s, n, m)] - nulls[(s, n, 0)] for s, n, m in nulls.index if m > 0)
    return {
        "replicates": int(results.summary["replicates"]),
        "true_effect_m_s": float(alt.true_effect.iloc[0]),
        "power_c40_t40_s0": float(alt.power.iloc[0]),
        "power_c20_t20_s0": float(primary[~primary.is_null & (primary.design == "c20_t20_s0")].power.iloc[0]),
        "max_type1_borrowing": float(primary[primary.is_null & (primary.borrowing != "none")].power.max()),
        "type1_excess_from_borrowing": float(borrowing_excess),
        "recommended": results.recommended.get("design"),
        "oc_reopened_equal": bool(reopened.oc.equals(results.oc)),
        "study_yaml_has_drift": "outcome_offset: -0.02" in reopened.provenance["study_yaml"],
        "report": report,
    }


if __name__ == "__main__":
    numbers = main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("runs/quickstart"))
    for name, value in numbers.items():
        print(f"{name}: {value}")
