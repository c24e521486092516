"""The report's Korean font: NanumGothic from the koreanize-matplotlib package, never the machine's fonts.

The PDF embeds it (reportlab subsets it); the HTML page gets a copy beside it, subset to the
characters of the page (a few dozen kilobytes instead of 4.6 MB each), so that it renders in
Korean on a machine without Korean fonts. The files are found as the alert chart finds them
(include.alerts.chart.font_path).
"""
from __future__ import annotations

from pathlib import Path

from fontTools import subset

from include.alerts.chart import font_path

REGULAR = "NanumGothic"
BOLD = "NanumGothicBold"
# the hinting sources of Microsoft's VTT in NanumGothic: no use in a subset (fontTools would warn of each)
VTT_SOURCE_TABLES = ["TSI0", "TSI1", "TSI2", "TSI3", "TSI5"]


def font_files() -> dict[str, Path]:
    """The regular and the bold NanumGothic.ttf inside the installed package."""
    regular = font_path()
    bold = regular.with_name(f"{BOLD}.ttf")
    if not bold.is_file():
        raise FileNotFoundError(f"{bold} is missing: reinstall the project (pip install -c constraints.txt -e .)")
    return {REGULAR: regular, BOLD: bold}


def subset_font(source: Path, text: str, target: Path) -> Path:
    """A copy of the font at `target` holding only the glyphs of `text` (and ASCII)."""
    options = subset.Options()
    options.layout_features = ["*"]
    options.drop_tables += VTT_SOURCE_TABLES
    font = subset.load_font(str(source), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=text + "".join(chr(c) for c in range(32, 127)))
    subsetter.subset(font)
    target.parent.mkdir(parents=True, exist_ok=True)
    subset.save_font(font, str(target), options)
    return target
