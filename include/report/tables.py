"""The report's tables as data, and the report's way of writing numbers.

One table model serves the HTML page and the PDF, so both show the same cells in the same layout:
header rows with spans (the report's two-level headings, e.g. 2020년 over 건수 and 금액), body
rows of label and figure cells, total rows emphasised. The numbers are written as the
foundation's report writes them: thousands separators, million won (백만원) as whole numbers,
percentages with one decimal, a negative change with △ (△823), and "-" where there is no figure.
The conversions to million won and one decimal are the export's (include.export.workbook).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from include.export.workbook import million_won, one_decimal

NEGATIVE = "△"
NO_FIGURE = "-"


@dataclass(frozen=True)
class Cell:
    text: str
    colspan: int = 1
    rowspan: int = 1
    kind: str = "figure"  # figure (right-aligned), label (a heading or row label, centred) or text (left)


@dataclass(frozen=True)
class Row:
    cells: tuple[Cell, ...]
    is_total: bool = False


@dataclass(frozen=True)
class Table:
    title: str  # the report's heading, e.g. "보증공급 현황"
    unit: str  # the report's unit line, e.g. "(단위 : 건, 백만원, %)"
    head: tuple[tuple[Cell, ...], ...]
    body: tuple[Row, ...]
    notes: tuple[str, ...] = ()
    label_columns: int = 1  # the leading columns that hold row labels (wider in the PDF)


@dataclass(frozen=True)
class Figure:
    file: str  # the PNG beside the HTML page (include.report.charts)
    caption: str


@dataclass(frozen=True)
class Section:
    title: str  # e.g. "신용보증 현황"
    tables: tuple[Table, ...] = field(default_factory=tuple)
    figures: tuple[Figure, ...] = field(default_factory=tuple)


def signed(text: str, value) -> str:
    return f"{NEGATIVE}{text.lstrip('-')}" if value is not None and value < 0 else text


def count(value) -> str:
    """건 or 명: an integer with thousands separators, △ when negative."""
    return NO_FIGURE if value is None else signed(f"{int(value):,}", value)


def million(krw) -> str:
    """백만원: whole won shown in million won, △ when negative."""
    return NO_FIGURE if krw is None else count(million_won(krw))


def percent(value) -> str:
    """%: one decimal, △ when negative."""
    return NO_FIGURE if value is None else signed(f"{one_decimal(value):,.1f}", value)


def label(text: str, colspan: int = 1, rowspan: int = 1) -> Cell:
    return Cell(text, colspan, rowspan, kind="label")


def text(words: str) -> Cell:
    return Cell(words, kind="text")


def figures(*texts: str) -> tuple[Cell, ...]:
    return tuple(Cell(text) for text in texts)


def grid_positions(rows: tuple[tuple[Cell, ...], ...]) -> list[list[tuple[int, Cell]]]:
    """The column index of every cell of rows with spans (a rowspan above takes its columns)."""
    taken: set[tuple[int, int]] = set()
    placed: list[list[tuple[int, Cell]]] = []
    for r, row in enumerate(rows):
        column, positions = 0, []
        for cell in row:
            while (r, column) in taken:
                column += 1
            positions.append((column, cell))
            taken |= {(r + dr, column + dc) for dr in range(cell.rowspan) for dc in range(cell.colspan)}
            column += cell.colspan
        placed.append(positions)
    return placed
