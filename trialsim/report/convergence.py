"""Report item 7.7: convergence diagnostics (REFERENCE §5 item 7), all computed by ArviZ.

Three cases: the PyMC engine ran on every replicate (R-hat, ESS and divergences per
scenario × design from ``/replicates``); the example trials were fitted by NUTS
(``/diagnostics`` and ``/posteriors``: a table and ``arviz.plot_posterior``); or neither
(the fast engine draws no samples: the text says so and how to get NUTS fits).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from trialsim.plotting.static import arviz_posteriors
from trialsim.report.blocks import Block, Paragraph, figure, table
from trialsim.report.context import RunData

#: R-hat above this, or bulk ESS below this, is flagged (Vehtari et al. 2021)
R_HAT_LIMIT = 1.01
ESS_LIMIT = 400


def _flag(r_hat: float, ess: float, divergences: float) -> str:
    problems = [f"R-hat > {R_HAT_LIMIT}"] * (r_hat > R_HAT_LIMIT) + [f"ESS < {ESS_LIMIT}"] * (ess < ESS_LIMIT)
    problems += ["divergences"] * (divergences > 0)
    return "; ".join(problems) or "ok"


def convergence_blocks(data: RunData) -> list[Block]:
    blocks: list[Block] = []
    methods = ", ".join(sorted(set(data.primary.method)))
    rep = data.replicates
    if "r_hat_max" in rep and np.isfinite(rep.r_hat_max.values).any():
        rows = []
        for (analysis, scenario, design), g in rep[["r_hat_max", "ess_bulk_min", "divergences"]].to_dataframe().groupby(
                ["analysis", "scenario", "design"], sort=False):
            g = g.dropna()
            if len(g):
                rows.append({"analysis": analysis, "scenario": scenario, "design": design, "fits": len(g),
                             "max_r_hat": g.r_hat_max.max(), "min_ess_bulk": g.ess_bulk_min.min(),
                             "divergences": int(g.divergences.sum())})
        frame = pd.DataFrame(rows)
        frame["flag"] = [_flag(r, e, d) for r, e, d in zip(frame.max_r_hat, frame.min_ess_bulk, frame.divergences, strict=True)]
        blocks.append(table("convergence_replicates", "NUTS (PyMC engine) on every replicate: worst R-hat (rank-normalised, "
                            "split), smallest bulk ESS over effect, σ and control mean, and divergent transitions — ArviZ.",
                            frame, digits={"max_r_hat": 3, "min_ess_bulk": 0}, label_columns=3))
    if data.diagnostics is not None and data.posteriors is not None:
        d, attrs = data.diagnostics, data.diagnostics.attrs
        frame = pd.DataFrame({"trial": d.trial.values.astype(int), "r_hat_max": d.r_hat_max.values,
                              "ess_bulk_min": d.ess_bulk_min.values, "ess_tail_min": d.ess_tail_min.values,
                              "divergences": d.divergences.values.astype(int), "draws": d.draws.values.astype(int)})
        frame["flag"] = [_flag(r, e, v) for r, e, v in zip(frame.r_hat_max, frame.ess_bulk_min, frame.divergences, strict=True)]
        blocks.append(table("convergence_examples", f"The example trials ({attrs.get('design')} under "
                            f"'{attrs.get('scenario')}') refitted by PyMC NUTS ({attrs.get('chains')} chains × "
                            f"{attrs.get('draws')} draws after {attrs.get('tune')} tuning): diagnostics by ArviZ.",
                            frame, digits={"r_hat_max": 3, "ess_bulk_min": 0, "ess_tail_min": 0}, label_columns=1))
        blocks.append(figure("example_posteriors", "Posterior of the treatment effect in each example trial (ArviZ "
                             "plot_posterior: 95 % HDI; vertical line: the decision threshold).",
                             arviz_posteriors(data.posteriors, var_names=["effect"], threshold=data.spec.decision.threshold)))
    if not blocks:
        blocks.append(Paragraph(
            "The fast engine computes exact conjugate posteriors (normal models, normal mixtures for robust borrowing) and "
            "Laplace approximations where no conjugate form exists; no Markov chain is run, so there is no R-hat or "
            "effective-draws diagnostic to report. The engine is verified against full NUTS (PyMC, 2 chains × 1000 draws) "
            "on the same replicates in tests/analysis/test_agreement.py (posterior mean, SD, P(success) and ESS within "
            f"stated tolerances). Methods used in this run: {methods}. For NUTS fits of the example trials with ArviZ "
            "diagnostics, run with --example-posteriors (Study.run(example_posteriors=True))."))
    else:
        blocks.append(Paragraph(f"Methods used in this run: {methods}. Flags: R-hat > {R_HAT_LIMIT}, bulk ESS < "
                                f"{ESS_LIMIT} or any divergence (Vehtari et al. 2021, Bayesian Analysis 16:667)."))
    return blocks
