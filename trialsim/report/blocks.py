"""The report as data: sections of paragraphs, lists, tables, figures and verbatim text.

:func:`trialsim.report.sections.build_report` fills a :class:`Report` once; the HTML
and PDF renderers only lay it out, so both formats carry the same content in the
same order. Text is plain, with ``**bold**`` as the only markup.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd


def fmt(x: object, digits: int = 3) -> str:
    """A number as the report shows it (``–`` for missing), e.g. ``fmt(0.9) == "0.900"``."""
    if x is None:
        return "–"
    try:
        value = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(x)
    if not math.isfinite(value):
        return "–"
    return f"{value:.{digits}f}"


@dataclass(frozen=True)
class Paragraph:
    text: str
    kind: Literal["text", "note", "warning"] = "text"


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class Heading:
    text: str


@dataclass(frozen=True)
class Table:
    """A table, also exported as ``tables/<name>.csv`` (the CSV keeps full precision)."""

    name: str
    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    data: pd.DataFrame | None = None
    #: leading columns aligned left (labels); the others are numbers
    label_columns: int = 1


@dataclass(frozen=True)
class Figure:
    """A figure, written as ``figures/<name>.png`` and ``.svg``; ``png`` is embedded."""

    name: str
    caption: str
    png: bytes
    svg: bytes


@dataclass(frozen=True)
class Verbatim:
    title: str
    text: str


Block = Paragraph | Bullets | Heading | Table | Figure | Verbatim


@dataclass
class Section:
    id: str
    title: str
    blocks: list[Block] = field(default_factory=list)

    def add(self, *blocks: Block) -> Section:
        self.blocks.extend(blocks)
        return self


@dataclass
class Report:
    title: str
    preamble: list[Block]
    sections: list[Section]

    def tables(self) -> list[Table]:
        blocks = [*self.preamble, *(b for s in self.sections for b in s.blocks)]
        return [b for b in blocks if isinstance(b, Table)]

    def figures(self) -> list[Figure]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, Figure)]


def figure(name: str, caption: str, fig: object) -> Figure:
    """A :class:`Figure` (PNG and SVG bytes) from a matplotlib figure."""
    import io

    png, svg = io.BytesIO(), io.BytesIO()
    fig.savefig(png, format="png", dpi=130)  # type: ignore[attr-defined]
    fig.savefig(svg, format="svg", metadata={"Date": None})  # type: ignore[attr-defined]
    return Figure(name, caption, png.getvalue(), svg.getvalue())


def table(name: str, caption: str, frame: pd.DataFrame, *, digits: dict[str, int] | None = None,
          label_columns: int = 1, data: pd.DataFrame | None = None) -> Table:
    """A :class:`Table` from a data frame, numbers formatted per column (default 3 digits)."""
    digits = digits or {}
    rows = []
    for record in frame.itertuples(index=False):
        cells = []
        for column, value in zip(frame.columns, record, strict=True):
            if isinstance(value, bool | str) or value is None:
                cells.append("–" if value is None else str(value))
            elif isinstance(value, numbers.Integral):
                cells.append(str(value))
            else:
                cells.append(fmt(value, digits.get(column, 3)))
        rows.append(tuple(cells))
    return Table(name, caption, tuple(str(c).replace("_", " ") for c in frame.columns), tuple(rows),
                 data=frame if data is None else data, label_columns=label_columns)
