"""Render the simulation report (HTML, self-contained) from a results directory."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any

import pandas as pd
import xarray as xr
from jinja2 import Environment, PackageLoader, select_autoescape

from trialsim.plotting.figures import example_trajectories, power_curves


def _embed(fig: Any, directory: Path, name: str) -> str:
    figures = directory / "figures"
    figures.mkdir(exist_ok=True)
    fig.savefig(figures / f"{name}.png", dpi=110)
    fig.savefig(figures / f"{name}.svg")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode()


def report_context(directory: Path, *, tree: xr.DataTree, summary: dict[str, Any]) -> dict[str, Any]:
    """Everything the report template shows, with figures written to ``directory/figures``."""
    table = tree["oc"].to_dataset().to_dataframe().reset_index()
    primary = table[table.analysis == "primary"]
    attrs = dict(tree.attrs)
    study_yaml = attrs.get("study_yaml", "")
    import yaml

    spec = yaml.safe_load(study_yaml) if study_yaml else {}
    design = spec.get("design", {})
    decision = spec.get("decision", {})
    examples = tree["examples"].to_dataset()
    replicates = tree["replicates"].to_dataset()
    rec = summary["recommended_design"]
    walk = []
    if rec.get("found"):
        alt_name = examples.attrs.get("scenario")
        for t in range(examples.sizes["trial"]):
            r = replicates.sel(analysis="primary", scenario=alt_name, design=rec["design"], replicate=t)
            walk.append({
                "trial": t,
                "effect_mean": float(r.effect_mean), "ci_low": float(r.ci_low), "ci_high": float(r.ci_high),
                "prob_success": float(r.prob_success), "success": bool(r.success), "ess": float(r.ess_borrowed),
            })
    figures = {
        "power": _embed(power_curves(table, target_power=design.get("target_power", 0.8), alpha=design.get("max_type1_error", 0.025)), directory, "power_curves"),
        "trajectories": _embed(example_trajectories(examples, endpoint=str(examples.attrs.get("endpoint"))), directory, "example_trials"),
    }
    baseline = tree["baseline"].to_dataset().to_dataframe()
    tables = directory / "tables"
    tables.mkdir(exist_ok=True)
    table.to_csv(tables / "operating_characteristics.csv", index=False)
    baseline.describe().T.to_csv(tables / "baseline_summary.csv")
    return {
        "summary": summary, "attrs": attrs, "spec": spec, "decision": decision,
        "oc_rows": primary.to_dict("records"),
        "reference_rows": table[table.analysis == "reference"].to_dict("records"),
        "walk": walk, "figures": figures,
        "baseline": baseline.describe().T.round(3).reset_index().to_dict("records"),
        "versions": json.loads(attrs.get("package_versions", "{}")),
        "scenarios": pd.DataFrame(spec.get("scenarios", [])).to_dict("records"),
    }


def render_html(directory: Path, *, tree: xr.DataTree, summary: dict[str, Any]) -> Path:
    """Write ``directory/report.html`` (figures embedded) and its CSV/PNG/SVG exports."""
    env = Environment(loader=PackageLoader("trialsim.report", "templates"), autoescape=select_autoescape())
    env.filters["fmt"] = lambda x, d=3: "–" if x is None or x != x else f"{x:.{d}f}"
    html = env.get_template("report.html.j2").render(**report_context(directory, tree=tree, summary=summary))
    path = directory / "report.html"
    path.write_text(html, encoding="utf-8")
    return path
