"""``trialsim report DIR --format pdf``: the PDF opens, has every section in order, and the run's numbers."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from trialsim.results.store import verify_manifest

from .support import SECTIONS, run_study, trialsim


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = run_study(tmp_path_factory.mktemp("pdf") / "small")
    proc = trialsim("report", str(out), "--format", "pdf")
    assert proc.stdout.strip() == str(out / "report.pdf")
    return out


@pytest.fixture(scope="module")
def reader(run_dir: Path) -> PdfReader:
    return PdfReader(run_dir / "report.pdf")


@pytest.fixture(scope="module")
def text(reader: PdfReader) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def test_pdf_opens_with_a_page_per_section_and_metadata(reader: PdfReader) -> None:
    # title page + one page at least per section; section 4 and the YAML run over several
    assert len(reader.pages) >= 1 + len(SECTIONS) + 2
    assert reader.metadata.title == "Simulation report: small_pd"
    assert "trialsim" in reader.metadata.creator


def test_section_headings_extractable_in_order_and_bookmarked(reader: PdfReader, text: str) -> None:
    body = text[text.index(SECTIONS[-1]) + len(SECTIONS[-1]):]  # after the contents list
    positions = [body.find(title) for title in SECTIONS]
    assert -1 not in positions, positions
    assert positions == sorted(positions)
    top = [item.title for item in reader.outline if not isinstance(item, list)]
    assert top == list(SECTIONS)
    for title in SECTIONS:  # each section starts its own page
        assert any(" ".join(p.extract_text().split()).startswith(title) for p in reader.pages), title


def test_pdf_carries_the_runs_numbers(run_dir: Path, text: str) -> None:
    summary = json.loads((run_dir / "summary.json").read_text())
    rec = summary["recommended_design"]
    for design in summary["designs"]:
        assert f"{design['power']:.3f}" in text
    if rec["found"]:
        assert f"Recommended: {rec['design']}" in text
        assert f"Minimum power across alternatives {rec['power']:.3f}" in text
    assert summary["config_sha256"] in text
    assert "not applicable to this run" in text  # the reference simulator was used
    assert re.search(r"Effective sample size borrowed", text)


def test_manifest_covers_the_pdf(run_dir: Path) -> None:
    verify_manifest(run_dir)
    manifest = json.loads((run_dir / "manifest.json").read_text())["files"]
    assert "report.pdf" in manifest
    assert "figures/type1_across_drift.png" in manifest


def test_rerendering_gives_the_same_pdf(run_dir: Path, tmp_path: Path) -> None:
    import shutil

    from trialsim.report.pdf import render_pdf
    from trialsim.results.store import load_summary, load_tree

    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy)
    path = render_pdf(copy, tree=load_tree(copy), summary=load_summary(copy))
    assert path == copy / "report.pdf"
    assert path.read_bytes() == (run_dir / "report.pdf").read_bytes()
