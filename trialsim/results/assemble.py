"""A finished run → its results tree and ``summary.json`` (in memory; writing is :meth:`TrialResults.save`).

The tree holds example trials of the recommended design (or the largest) under the
first alternative scenario; with ``example_posteriors`` each of them is also fitted by
NUTS (the PyMC engine), and the posterior draws and ArviZ convergence diagnostics are
stored (``/posteriors``, ``/diagnostics``) so posterior plots work from a saved run.
"""

from __future__ import annotations

from typing import Any

import xarray as xr

from trialsim.results.run import StudyRun, analysis_for, select_simulator
from trialsim.results.store import summary_dict, to_datatree
from trialsim.results.tables import oc_table
from trialsim.seeding import stream_int
from trialsim.trial.examples import baseline_sample, example_trials
from trialsim.trial.simulate import simulate_replicates

#: NUTS settings of the example-trial fits (2 chains × 500 draws after 500 tuning steps)
EXAMPLE_NUTS: dict[str, Any] = {"draws": 500, "tune": 500, "chains": 2, "target_accept": 0.9}


def example_posteriors(run: StudyRun, *, design_label: str, scenario_name: str, n_trials: int) -> tuple[xr.Dataset, xr.Dataset] | None:
    """NUTS fits (ArviZ InferenceData) of the example trials under the primary analysis: draws and diagnostics.

    None when the primary analysis is frequentist (no posterior to draw).
    """
    from trialsim.analysis.diagnostics import convergence_dataset, posterior_dataset
    from trialsim.analysis.layout import external_size
    from trialsim.analysis.pymc_engine import NutsSettings, fit_replicate_idata

    loaded = run.loaded
    design = next(d for d in run.designs if d.label == design_label)
    scenario = next(s for s in run.scenarios if s.name == scenario_name)
    spec = analysis_for(design, loaded.spec, "primary")
    if spec.method.startswith("frequentist"):
        return None
    batch = simulate_replicates(loaded, scenario=scenario, designs=[design], replicates=range(n_trials),
                                simulator=select_simulator(loaded.spec.simulator), effect=run.true_effects[scenario.name])[design]
    m = external_size(batch, design.n_synthetic) if spec.borrowing.method != "none" else 0
    fits = [fit_replicate_idata(batch.replicate(t), analysis=spec, n_external=m,
                                seed=stream_int(loaded.spec.seed, "example_nuts", t), settings=NutsSettings(**EXAMPLE_NUTS))
            for t in range(n_trials)]
    attrs = {"design": design.label, "scenario": scenario.name, "method": spec.method, "sampler": "PyMC NUTS",
             **{k: str(v) for k, v in EXAMPLE_NUTS.items()}}
    return posterior_dataset(fits).assign_attrs(attrs), convergence_dataset(fits).assign_attrs(attrs)


def assemble_results(run: StudyRun, *, command: str, example_posteriors_nuts: bool = False) -> tuple[xr.DataTree, dict[str, Any]]:
    """Operating characteristics, summary and the results tree (with example trials of the
    recommended design — or the largest — under the first alternative scenario)."""
    loaded = run.loaded
    table = oc_table(run)
    summary = summary_dict(run, table)
    simulator = select_simulator(loaded.spec.simulator)
    rec = summary["recommended_design"]
    label = rec.get("design") if rec.get("found") else run.designs[-1].label
    design = next(d for d in run.designs if d.label == label)
    alt = next((s for s in run.scenarios if not s.is_null), run.scenarios[0])
    examples = example_trials(loaded, scenario=alt, design=design, simulator=simulator, effect=run.true_effects[alt.name])
    baseline = baseline_sample(loaded, simulator=simulator)
    tree = to_datatree(run, table, examples=examples, baseline=baseline, command=command)
    if example_posteriors_nuts:
        fitted = example_posteriors(run, design_label=design.label, scenario_name=alt.name, n_trials=examples.sizes["trial"])
        if fitted is not None:
            tree["posteriors"], tree["diagnostics"] = xr.DataTree(fitted[0]), xr.DataTree(fitted[1])
    return tree, summary
