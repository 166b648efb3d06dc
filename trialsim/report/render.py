"""Render the simulation report: build it once, export its tables and figures, write HTML.

``render_html`` (and :func:`trialsim.report.pdf.render_pdf`) lay out the same
:class:`~trialsim.report.blocks.Report`; the tables go to ``DIR/tables/*.csv`` and
the figures to ``DIR/figures/*.png`` and ``*.svg`` beside the report.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

import xarray as xr
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from trialsim.report.blocks import Report
from trialsim.report.sections import build_report


def export_report(directory: Path, *, tree: xr.DataTree, summary: dict[str, Any]) -> Report:
    """Build the report and write its tables (CSV) and figures (PNG, SVG) under ``directory``."""
    report = build_report(tree, summary)
    tables, figures = directory / "tables", directory / "figures"
    tables.mkdir(exist_ok=True)
    figures.mkdir(exist_ok=True)
    tree["oc"].to_dataset().to_dataframe().reset_index().to_csv(tables / "operating_characteristics.csv", index=False)
    for t in report.tables():
        if t.data is not None:
            t.data.to_csv(tables / f"{t.name}.csv", index=False)
    for f in report.figures():
        (figures / f"{f.name}.png").write_bytes(f.png)
        (figures / f"{f.name}.svg").write_bytes(f.svg)
    return report


def _markup(text: str) -> Markup:
    """Escape, then turn ``**bold**`` into ``<b>``."""
    return Markup(re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", str(escape(text))))


def html_document(report: Report) -> str:
    """The self-contained HTML of a report (figures embedded as base64 PNG)."""
    env = Environment(loader=PackageLoader("trialsim.report", "templates"), autoescape=select_autoescape())
    env.filters["md"] = _markup
    env.filters["b64"] = lambda data: base64.b64encode(data).decode()
    env.tests["kind"] = lambda block, name: type(block).__name__ == name
    return env.get_template("report.html.j2").render(report=report)


def render_html(directory: Path, *, tree: xr.DataTree, summary: dict[str, Any]) -> Path:
    """Write ``directory/report.html`` (figures embedded) and its CSV/PNG/SVG exports.

    Examples
    --------
    >>> from trialsim.results.store import load_summary, load_tree
    >>> render_html(out, tree=load_tree(out), summary=load_summary(out))  # doctest: +SKIP
    """
    path = directory / "report.html"
    path.write_text(html_document(export_report(directory, tree=tree, summary=summary)), encoding="utf-8")
    return path
