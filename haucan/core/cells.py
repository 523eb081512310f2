"""Text that leaves the platform in a spreadsheet or CSV file must never run as a formula.

A cell whose text starts with `=`, `+`, `-` or `@` (or a tab or carriage return, which Excel and
LibreOffice skip before reading a formula) is read as a formula when the file is opened: a unit
name or comment such as `=HYPERLINK("http://…")` would then run on the reader's machine ("CSV
injection"). Every export passes its text cells through `safe_text`, which prefixes such text
with an apostrophe, the spreadsheet convention for "this is text"; numbers are not text and stay
numbers. One helper for every export (XLSX templates, dashboards, completeness, CSV data), so the
rule is the same everywhere.
"""

from __future__ import annotations

import re
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# "-5" or "+1.5e3" in a CSV is a number, not a formula: it is written as it is.
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def safe_text(value: str) -> str:
    """`value`, with a leading apostrophe when a spreadsheet would read it as a formula."""
    if value and value.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def safe_cell(value: Any) -> Any:
    """A cell value for a spreadsheet or CSV row: text neutralised, anything else unchanged."""
    if isinstance(value, str):
        return safe_text(value)
    return value
