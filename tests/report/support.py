"""Shared helpers of the report tests: a real results directory from a real ``trialsim run``."""

from __future__ import annotations

import html
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SMALL = ROOT / "tests" / "data" / "studies" / "small_pd.yaml"

#: the report's sections, in the order of REFERENCE §5 (recommendation before reproducibility)
SECTIONS = (
    "1. Design overview and estimand",
    "2. Individual simulated trials through the decision rule",
    "3. Scenario grid and its adequacy",
    "4. Data-generating model and its credibility",
    "5. Replicates and Monte Carlo error",
    "6. Operating characteristics per scenario and design",
    "7. Bayesian items",
    "8. Recommended design and patients saved",
    "9. Reproducibility",
)


def trialsim(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a subprocess (as a user would), failing loudly on a non-zero exit."""
    proc = subprocess.run([sys.executable, "-m", "trialsim.cli", *args], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return proc


def run_study(out: Path, study: Path = SMALL, replicates: int = 40) -> Path:
    trialsim("run", str(study), "--out", str(out), "--replicates", str(replicates), "--quiet")
    return out


class _Tables(HTMLParser):
    """Cells of every ``<table id=...>`` of a page, header row first."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._current: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._current = dict(attrs).get("id") or f"table{len(self.tables)}"
            self.tables[self._current] = []
        elif tag == "tr" and self._current:
            self.tables[self._current].append([])
        elif tag in ("td", "th") and self._current:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._current and self._cell is not None:
            self.tables[self._current][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table":
            self._current = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def html_tables(page: str) -> dict[str, list[list[str]]]:
    parser = _Tables()
    parser.feed(page)
    return parser.tables


def section_text(page: str, section_id: str) -> str:
    """Plain text of one ``<section id=...>`` of the HTML report."""
    match = re.search(rf'<section id="{section_id}">(.*?)</section>', page, flags=re.S)
    assert match, section_id
    inline = re.sub(r"</?(b|small)>", "", match.group(1))
    return html.unescape(re.sub(r"<[^>]+>", " ", inline))
