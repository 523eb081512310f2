"""Text that leaves the platform in a spreadsheet or CSV file must never run as a formula.

A cell whose text starts with `=`, `+`, `-` or `@` (or a tab or carriage return, which Excel and
LibreOffice skip before reading a formula) is read as a formula when the file is opened: a unit
name or comment such as `=HYPERLINK("http://…")` would then run on the reader's machine ("CSV
injection"). Every export passes its text cells through `safe_text`, which prefixes such text
with an apostrophe, the spreadsheet convention for "this is text"; numbers are not text and stay
numbers. One helper for every export (XLSX templates, dashboards, completeness, CSV data), so the
rule is the same everywhere. (In XLSX files, `protect_sheet` keeps the text exactly and marks
the cell as text instead of adding a visible apostrophe.)
"""

from __future__ import annotations

import re
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# "-5" or "+1.5e3" in a CSV is a number, not a formula: it is written as it is.
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def safe_text(value: str) -> str:
    """`value`, with a leading apostrophe when a spreadsheet would read it as a formula."""
    if looks_like_formula(value):
        return "'" + value
    return value


def safe_cell(value: Any) -> Any:
    """A cell value for a spreadsheet or CSV row: text neutralised, anything else unchanged."""
    if isinstance(value, str):
        return safe_text(value)
    return value


def looks_like_formula(value: object) -> bool:
    return (
        isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(value)
    )


def protect_sheet(sheet: Any) -> None:
    """Make every formula-like text cell of an openpyxl worksheet plain text.

    openpyxl stores a string starting with `=` as a formula; here such a cell (and one starting
    with `+`, `-`, `@`, tab or CR) becomes a text cell with Excel's quote prefix, which is what
    typing an apostrophe before it does: the reader sees exactly the text, the file never runs
    it, and editing the cell does not turn it into a formula. Call it once the sheet is filled
    (our exports write no formulas of their own)."""
    for row in sheet.iter_rows():
        for cell in row:
            if looks_like_formula(cell.value):
                cell.data_type = "s"
                cell.quotePrefix = True


def unquote_formula(text: str) -> str:
    """The inverse of `safe_text` for a CSV read back: `'=x` -> `=x` (only before a formula
    start, so an ordinary leading apostrophe is kept)."""
    if text.startswith("'") and looks_like_formula(text[1:]):
        return text[1:]
    return text
