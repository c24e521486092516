"""The council report as one HTML page (jinja2): index.html, its charts and its font beside it.

The page names only files of its own folder: the PNG charts and the NanumGothic subset under
fonts/ (@font-face), so the folder can be copied or mailed whole and still shows Korean text on
a machine without Korean fonts.
"""
from __future__ import annotations

from pathlib import Path

import jinja2
from markupsafe import Markup, escape

from include.report.council import CouncilReport
from include.report.fonts import BOLD, REGULAR, font_files, subset_font
from include.report.tables import Cell

PAGE = "index.html"
TEMPLATE = "council.html.j2"
FONT_FOLDER = "fonts"


def lines(text: str) -> Markup:
    """A cell's text with its line breaks kept (the report's two-line period headings)."""
    return Markup("<br>").join(escape(part) for part in text.split("\n"))


def spans(cell: Cell) -> Markup:
    """The colspan and rowspan attributes of a cell that spans more than one."""
    return Markup("".join(f' {name}="{value}"' for name, value in (("colspan", cell.colspan),
                                                                   ("rowspan", cell.rowspan)) if value > 1))


def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    env.filters.update(lines=lines, spans=spans)
    return env


def render_html(report: CouncilReport, generated: str) -> str:
    fonts = {"regular": f"{FONT_FOLDER}/{REGULAR}.ttf", "bold": f"{FONT_FOLDER}/{BOLD}.ttf"}
    return environment().get_template(TEMPLATE).render(report=report, fonts=fonts, generated=generated)


def write_html(report: CouncilReport, folder: Path, generated: str) -> Path:
    """index.html in `folder`, with the regular and bold fonts subset to the page's characters."""
    page = render_html(report, generated)
    for name, source in font_files().items():
        subset_font(source, page, folder / FONT_FOLDER / f"{name}.ttf")
    path = folder / PAGE
    path.write_text(page, encoding="utf-8")
    return path
