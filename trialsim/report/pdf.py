"""The report as PDF, laid out with fpdf2 (pure Python: no system libraries such as pango).

Same :class:`~trialsim.report.blocks.Report` as the HTML, so the same sections in
the same order; each section starts a page and is a bookmark in the PDF outline.
Fonts are the DejaVu faces matplotlib ships (full Unicode: ≥, √, −, ², →).
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import xarray as xr

from trialsim.errors import TrialsimError

try:
    from fpdf import FPDF
    from fpdf.fonts import FontFace
except ImportError:  # pragma: no cover - fpdf2 is a declared dependency
    raise TrialsimError("--format pdf needs fpdf2 (pip install 'fpdf2>=2.8'); --format html works without it") from None

from trialsim.report.blocks import (
    Block,
    Bullets,
    Figure,
    Heading,
    Paragraph,
    Report,
    Table,
    Verbatim,
)
from trialsim.report.render import export_report

FONT = "DejaVu"
MONO = "DejaVuMono"
COLOURS = {"note": (232, 243, 232), "warning": (255, 240, 220)}


def _font_dir() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


class _Document(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.report_title = title
        fonts = _font_dir()
        self.add_font(FONT, "", fonts / "DejaVuSans.ttf")
        self.add_font(FONT, "B", fonts / "DejaVuSans-Bold.ttf")
        self.add_font(FONT, "I", fonts / "DejaVuSans-Oblique.ttf")
        self.add_font(MONO, "", fonts / "DejaVuSansMono.ttf")
        self.set_margins(16, 16, 16)
        self.set_auto_page_break(auto=True, margin=16)
        self.alias_nb_pages()
        self.set_title(title)
        self.set_creator("trialsim")
        # fixed date: a re-rendered report of the same results is byte-identical
        self.set_creation_date(datetime(2000, 1, 1, tzinfo=UTC))

    def footer(self) -> None:
        self.set_y(-11)
        self.set_font(FONT, "", 7)
        self.set_text_color(110)
        self.cell(0, 5, f"trialsim — {self.report_title} — page {self.page_no()}/{{nb}}", align="C")
        self.set_text_color(0)


def _rich(pdf: _Document, text: str, *, size: float = 9.5, height: float = 4.6) -> None:
    """Flowing text with ``**bold**`` runs (no markdown parser: ``--`` and ``__`` stay literal)."""
    for i, part in enumerate(re.split(r"\*\*", text)):
        if part:
            pdf.set_font(FONT, "B" if i % 2 else "", size)
            pdf.write(height, part)
    pdf.ln(height)


def _paragraph(pdf: _Document, block: Paragraph) -> None:
    if block.kind in COLOURS:
        clean = block.text.replace("**", "")
        pdf.set_fill_color(*COLOURS[block.kind])
        pdf.set_font(FONT, "", 9.5)
        pdf.multi_cell(0, 4.8, clean, fill=True, padding=2, new_x="LMARGIN", new_y="NEXT")
    else:
        _rich(pdf, block.text)
    pdf.ln(1.5)


def _bullets(pdf: _Document, block: Bullets) -> None:
    left = pdf.l_margin
    for item in block.items:
        pdf.set_font(FONT, "", 9.5)
        pdf.set_x(left + 1)
        pdf.write(4.6, "•")
        pdf.set_left_margin(left + 5)
        pdf.set_x(left + 5)
        _rich(pdf, item)
        pdf.set_left_margin(left)
        pdf.ln(0.6)
    pdf.ln(1)


def _table(pdf: _Document, block: Table) -> None:
    n = len(block.columns)
    size = 7.5 if n <= 6 else (6.5 if n <= 10 else 5.6)
    widths = []
    for j, name in enumerate(block.columns):
        word = max((len(w) for w in name.replace("_", " ").split()), default=3) * 1.15
        longest = max([word, *(len(row[j]) for row in block.rows)])
        widths.append(min(max(longest, 4.0), 60.0))
    # keep the caption with the header and first rows of its table
    if pdf.get_y() + min(45.0, 8 + 4 * len(block.rows)) > pdf.h - pdf.b_margin:
        pdf.add_page()
    pdf.set_font(FONT, "I", 8)
    pdf.multi_cell(0, 4, f"{block.caption.replace('**', '')} (tables/{block.name}.csv)", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", size)
    align = tuple("LEFT" if j < block.label_columns else "RIGHT" for j in range(n))
    pdf.set_fill_color(255)
    with pdf.table(col_widths=tuple(widths), text_align=align, line_height=size * 0.5, padding=0.8,
                   cell_fill_color=(247, 247, 247), cell_fill_mode="ROWS",
                   headings_style=FontFace(emphasis="BOLD", fill_color=(235, 235, 235)),
                   first_row_as_headings=True, repeat_headings=1) as grid:
        header = grid.row()
        for name in block.columns:
            header.cell(name.replace("_", " "))
        for values in block.rows:
            row = grid.row()
            for value in values:
                row.cell(value)
    pdf.ln(3)


def _figure(pdf: _Document, block: Figure) -> None:
    from PIL import Image

    with Image.open(io.BytesIO(block.png)) as image:
        w_px, h_px = image.size
    width = min(pdf.epw, w_px / 130 * 25.4)
    height = width * h_px / w_px
    if height > 150:
        width, height = width * 150 / height, 150.0
    if pdf.get_y() + height + 10 > pdf.h - pdf.b_margin:
        pdf.add_page()
    pdf.image(io.BytesIO(block.png), x=pdf.l_margin + (pdf.epw - width) / 2, w=width, h=height)
    pdf.set_font(FONT, "I", 8)
    pdf.multi_cell(0, 4, f"{block.caption} (figures/{block.name}.png, .svg)", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)


def _verbatim(pdf: _Document, block: Verbatim) -> None:
    pdf.set_font(FONT, "B", 10)
    pdf.multi_cell(0, 5, block.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(MONO, "", 7)
    pdf.set_fill_color(246, 246, 246)
    pdf.multi_cell(0, 3.3, block.text.rstrip() or " ", fill=True, padding=1, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)


def _block(pdf: _Document, block: Block) -> None:
    if isinstance(block, Paragraph):
        _paragraph(pdf, block)
    elif isinstance(block, Bullets):
        _bullets(pdf, block)
    elif isinstance(block, Heading):
        if pdf.get_y() > pdf.h - 45:
            pdf.add_page()
        pdf.start_section(block.text, level=1)
        pdf.set_font(FONT, "B", 11)
        pdf.multi_cell(0, 6, block.text, new_x="LMARGIN", new_y="NEXT")
    elif isinstance(block, Table):
        _table(pdf, block)
    elif isinstance(block, Figure):
        _figure(pdf, block)
    elif isinstance(block, Verbatim):
        _verbatim(pdf, block)


def pdf_document(report: Report) -> bytes:
    """The PDF bytes of a report."""
    pdf = _Document(report.title)
    pdf.add_page()
    pdf.set_font(FONT, "B", 17)
    pdf.multi_cell(0, 9, report.title, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    for block in report.preamble:
        _block(pdf, block)
    pdf.set_font(FONT, "B", 11)
    pdf.cell(0, 6, "Contents", new_x="LMARGIN", new_y="NEXT")
    for section in report.sections:
        pdf.set_font(FONT, "", 9.5)
        pdf.cell(0, 5, section.title, new_x="LMARGIN", new_y="NEXT")
    for section in report.sections:
        pdf.add_page()
        pdf.start_section(section.title, level=0)
        pdf.set_font(FONT, "B", 14)
        pdf.multi_cell(0, 8, section.title, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
        for block in section.blocks:
            _block(pdf, block)
    return bytes(pdf.output())


def render_pdf(directory: Path, *, tree: xr.DataTree, summary: dict[str, Any]) -> Path:
    """Write ``directory/report.pdf`` and its CSV/PNG/SVG exports; return the PDF's path.

    Examples
    --------
    >>> from trialsim.results.store import load_summary, load_tree
    >>> render_pdf(out, tree=load_tree(out), summary=load_summary(out))  # doctest: +SKIP
    """
    path = directory / "report.pdf"
    path.write_bytes(pdf_document(export_report(directory, tree=tree, summary=summary)))
    return path
