"""The fidelity report as one self-contained HTML page (tables + matplotlib plots inlined)."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import numpy as np
import pandas as pd

from trialsim.sensors.events import FEATURES


def _png(fig) -> str:  # type: ignore[no-untyped-def]
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _feature_plot(real: pd.DataFrame, synthetic: pd.DataFrame) -> str:
    from matplotlib.figure import Figure  # no pyplot: no backend chosen, no global figure state

    groups = sorted(set(real["group"]) | set(synthetic["group"]))
    cols = 4
    rows = int(np.ceil(len(FEATURES) / cols))
    fig = Figure(figsize=(3.2 * cols, 2.4 * rows))
    axes = fig.subplots(rows, cols)
    for ax, f in zip(axes.ravel(), FEATURES, strict=False):
        for j, g in enumerate(groups):
            for k, (df, colour) in enumerate(((real, "tab:blue"), (synthetic, "tab:orange"))):
                v = df.loc[df["group"] == g, f].dropna().to_numpy()
                x = j + (k - 0.5) * 0.35 + np.random.default_rng(j * 2 + k).uniform(-0.08, 0.08, len(v))
                ax.plot(x, v, ".", color=colour, alpha=0.5, ms=3)
        ax.set_xticks(range(len(groups)), groups, fontsize=7)
        ax.set_title(f, fontsize=8)
    for ax in axes.ravel()[len(FEATURES):]:
        ax.axis("off")
    fig.suptitle("per subject: real (blue, left) vs synthetic (orange, right)", fontsize=9)
    fig.tight_layout()
    return _png(fig)


def _table(df: pd.DataFrame) -> str:
    return df.to_html(index=False, float_format=lambda v: f"{v:.3g}", border=0, classes="t")


def render_fidelity_html(
    real: pd.DataFrame, synthetic: pd.DataFrame, diffs: pd.DataFrame, c2st: pd.DataFrame, *, real_dir: Path, synthetic_dir: Path,
) -> str:
    """The page: what was compared, C2ST AUC per group, standardised differences, plots."""
    flagged = diffs[(diffs["standardised_difference"].abs() > 0.5) & (diffs["group"] == "all")]["feature"].tolist()
    wide = diffs.pivot(index="feature", columns="group", values="standardised_difference").reindex(list(FEATURES)).reset_index()
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>trialsim fidelity</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:auto}} table.t td,table.t th{{padding:2px 8px;text-align:right}}</style></head><body>
<h1>Synthetic vs real insole recordings</h1>
<p>Real: <code>{html.escape(str(real_dir))}</code> ({len(real)} subjects). Synthetic: <code>{html.escape(str(synthetic_dir))}</code>
({len(synthetic)} subjects). The same feature extraction (<code>trialsim.sensors.events.force_features</code>) ran on both.</p>
<h2>Classifier two-sample test</h2>
<p>Out-of-fold ROC AUC of an L2 logistic classifier (features and their squares, 5 folds) telling synthetic from real:
0.5 = indistinguishable, 1.0 = perfectly separable.</p>
{_table(c2st)}
<h2>Standardised differences (synthetic − real) / pooled SD</h2>
<p>|d| &gt; 0.5 overall: {html.escape(', '.join(flagged) or 'none')}.</p>
{_table(wide)}
<h2>Features per subject</h2>
<img src="{_feature_plot(real, synthetic)}" alt="features">
<h2>All figures</h2>
{_table(diffs)}
</body></html>
"""
