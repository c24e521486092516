"""The council report as a PDF (reportlab: pure Python, no Pango or Cairo), NanumGothic embedded.

A4 portrait: the title and the key figures, then each section's tables in the report's layout
(the same table model as the HTML page: spans, total rows, units) and its charts (the PNGs of the
HTML page). Column widths follow the content: a column of long text (비고) wraps, the figure
columns share what is left.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Image, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, TableStyle
from reportlab.platypus import Table as PdfTable

from include.report.council import CouncilReport
from include.report.fonts import BOLD, REGULAR, font_files
from include.report.tables import Figure, Section, Table, grid_positions

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 16 * mm
WIDTH = PAGE_WIDTH - 2 * MARGIN
TABLE_FONT_SIZE = 8
CELL_PADDING = 8  # points left and right of a cell's text
CHART_SHARE = 0.88  # of the text width: two charts fit on a page
KEY_FIGURE_WEIGHTS = (1.5, 1.5, 1, 1, 1.2)  # supply and balance hold two figures each
NAVY = colors.HexColor("#1f4e79")
HEAD_FILL = colors.HexColor("#e8eef5")
LABEL_FILL = colors.HexColor("#f7f9fb")
TOTAL_FILL = colors.HexColor("#fff6e0")
GRID = colors.HexColor("#b8b8b8")


@lru_cache(maxsize=1)
def register_fonts() -> None:
    """NanumGothic regular and bold, embedded (as subsets) in every PDF that uses them."""
    for name, path in font_files().items():
        pdfmetrics.registerFont(TTFont(name, str(path)))
    pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD, italic=REGULAR, boldItalic=BOLD)


def style(name: str, size: float, bold: bool = False, **kw) -> ParagraphStyle:
    return ParagraphStyle(name, fontName=BOLD if bold else REGULAR, fontSize=size, leading=size * 1.45, **kw)


STYLES = {
    "org": style("org", 10, bold=True, textColor=NAVY),
    "title": style("title", 19, bold=True, spaceBefore=4, spaceAfter=6),
    "basis": style("basis", 8.5, textColor=colors.HexColor("#555555")),
    "section": style("section", 13, bold=True, backColor=colors.HexColor("#eef3f8"), borderPadding=(4, 4, 4, 8),
                     spaceBefore=14, spaceAfter=10, textColor=colors.black),
    "table_title": style("table_title", 10.5, bold=True),
    "unit": style("unit", 8, alignment=TA_RIGHT),
    "note": style("note", 7.5, textColor=colors.HexColor("#444444")),
    "text": style("text", TABLE_FONT_SIZE - 0.5),
    "caption": style("caption", 8, alignment=1, textColor=colors.HexColor("#444444")),
    "key_name": style("key_name", 7.5, textColor=colors.HexColor("#555555")),
    "key_value": style("key_value", 9, bold=True),
}


def text_width(text: str, bold: bool = False) -> float:
    return max(pdfmetrics.stringWidth(line, BOLD if bold else REGULAR, TABLE_FONT_SIZE) for line in text.split("\n"))


def column_widths(table: Table) -> list[float]:
    """Each column as wide as its widest single-column cell; the widest wraps when they exceed the page,
    else the figure columns share the rest."""
    rows = grid_positions(table.head + tuple(row.cells for row in table.body))
    count = max(column + cell.colspan for row in rows for column, cell in row)
    natural = [0.0] * count
    for r, row in enumerate(rows):
        for column, cell in row:
            if cell.colspan == 1:
                width = text_width(cell.text, bold=r < len(table.head) or cell.kind == "label") + CELL_PADDING * 2
                natural[column] = max(natural[column], width)
    if sum(natural) > WIDTH:
        widest = natural.index(max(natural))
        natural[widest] = WIDTH - (sum(natural) - natural[widest])
        return natural
    spare = (WIDTH - sum(natural)) / (count - table.label_columns)
    return [w if i < table.label_columns else w + spare for i, w in enumerate(natural)]


def cell_matrix(table: Table, widths: list[float]) -> tuple[list[list], list[tuple]]:
    """The reportlab rows (strings, or paragraphs for text that wraps) and the style commands of spans,
    alignment, fonts and fills."""
    rows = table.head + tuple(row.cells for row in table.body)
    matrix = [[""] * len(widths) for _ in rows]
    commands: list[tuple] = []
    for r, placed in enumerate(grid_positions(rows)):
        is_head = r < len(table.head)
        for column, cell in placed:
            end = (column + cell.colspan - 1, r + cell.rowspan - 1)
            wraps = cell.kind == "text" and text_width(cell.text) > widths[column] - CELL_PADDING * 2
            matrix[r][column] = Paragraph(cell.text, STYLES["text"]) if wraps else cell.text
            if end != (column, r):
                commands.append(("SPAN", (column, r), end))
            align = "CENTER" if is_head or cell.kind == "label" else ("LEFT" if cell.kind == "text" else "RIGHT")
            commands.append(("ALIGN", (column, r), end, align))
            if is_head or cell.kind == "label":
                commands += [("FONTNAME", (column, r), end, BOLD),
                             ("BACKGROUND", (column, r), end, HEAD_FILL if is_head else LABEL_FILL)]
    for r, row in enumerate(table.body, start=len(table.head)):
        if row.is_total:
            commands += [("BACKGROUND", (0, r), (-1, r), TOTAL_FILL), ("FONTNAME", (0, r), (-1, r), BOLD)]
    return matrix, commands


def pdf_table(table: Table) -> PdfTable:
    widths = column_widths(table)
    matrix, commands = cell_matrix(table, widths)
    base = [("FONTNAME", (0, 0), (-1, -1), REGULAR), ("FONTSIZE", (0, 0), (-1, -1), TABLE_FONT_SIZE),
            ("LEADING", (0, 0), (-1, -1), TABLE_FONT_SIZE * 1.3), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("GRID", (0, 0), (-1, -1), 0.5, GRID), ("LINEABOVE", (0, 0), (-1, 0), 1.5, colors.black),
            ("LINEBELOW", (0, -1), (-1, -1), 1.5, colors.black),
            ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 3)]
    return PdfTable(matrix, colWidths=widths, style=TableStyle(base + commands), repeatRows=len(table.head))


def table_block(table: Table) -> KeepTogether:
    """The title with the unit on its right, the table and its notes, kept on one page."""
    caption = PdfTable([[Paragraph(f"◯ {table.title}", STYLES["table_title"]), Paragraph(table.unit, STYLES["unit"])]],
                       colWidths=[WIDTH * 0.65, WIDTH * 0.35],
                       style=TableStyle([("VALIGN", (0, 0), (-1, -1), "BOTTOM"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                         ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    notes = [Paragraph(note, STYLES["note"]) for note in table.notes]
    return KeepTogether([caption, Spacer(1, 2), pdf_table(table), *notes, Spacer(1, 10)])


def chart(folder: Path, figure: Figure) -> KeepTogether:
    width, height = ImageReader(str(folder / figure.file)).getSize()
    shown = WIDTH * CHART_SHARE
    return KeepTogether([Image(str(folder / figure.file), width=shown, height=shown * height / width),
                         Paragraph(figure.caption, STYLES["caption"]), Spacer(1, 10)])


def key_figures(report: CouncilReport) -> PdfTable:
    cells = [[Paragraph(f.name, STYLES["key_name"]) for f in report.key_figures],
             [Paragraph(f.value, STYLES["key_value"]) for f in report.key_figures]]
    weights = KEY_FIGURE_WEIGHTS[:len(report.key_figures)]
    return PdfTable(cells, colWidths=[WIDTH * w / sum(weights) for w in weights], style=TableStyle([
        ("BOX", (0, 0), (-1, -1), 0.5, GRID), ("LINEABOVE", (0, 0), (-1, 0), 2, NAVY),
        ("INNERGRID", (0, 0), (-1, -1), 0, colors.white), ("LINEAFTER", (0, 0), (-2, -1), 0.5, GRID)]))


def section_story(number: int, section: Section, folder: Path) -> list:
    return [Paragraph(f"{number}&nbsp;&nbsp;{section.title}", STYLES["section"]),
            *(table_block(t) for t in section.tables), *(chart(folder, f) for f in section.figures)]


def story(report: CouncilReport, folder: Path, generated: str) -> list:
    period = report.period
    basis = (f"기간: {period.from_date:%Y. %m. %d.} ∼ {period.through_date:%Y. %m. %d.}"
             f"{' (연중 누계)' if period.is_partial_year else ''} · 인원 기준일: {report.roster_date:%Y. %m. %d.}"
             f" · 작성: {generated}")
    head = [Paragraph("인천신용보증재단", STYLES["org"]), Paragraph(report.title, STYLES["title"]),
            Paragraph(basis, STYLES["basis"]), Spacer(1, 10), key_figures(report), Spacer(1, 4)]
    return head + [flowable for number, section in enumerate(report.sections, start=1)
                   for flowable in section_story(number, section, folder)]


def write_pdf(report: CouncilReport, folder: Path, name: str, generated: str) -> Path:
    """The PDF in `folder` (whose chart PNGs it embeds), fonts embedded, a page number on every page."""
    register_fonts()
    path = folder / name

    def footer(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(REGULAR, 7.5)
        canvas.setFillColor(colors.HexColor("#666666"))
        canvas.drawString(MARGIN, 9 * mm, f"인천신용보증재단 · {report.title}")
        canvas.drawRightString(PAGE_WIDTH - MARGIN, 9 * mm, f"- {doc.page} -")
        canvas.restoreState()

    doc = SimpleDocTemplate(str(path), pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                            bottomMargin=MARGIN + 4 * mm, title=report.title, author="인천신용보증재단",
                            subject="시의회 업무보고 (데이터 웨어하우스 marts 기준)", lang="ko-KR")
    doc.build(story(report, folder, generated), onFirstPage=footer, onLaterPages=footer)
    return path
