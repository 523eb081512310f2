"""No text cell of an export may run as a formula: the shared helper."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook

from haucan.core.cells import protect_sheet, safe_cell, safe_text, unquote_formula


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Kho Vinh", "Kho Vinh"),
        ("", ""),
        ("-5", "-5"),
        ("+1.5e3", "+1.5e3"),
        ("-0,5", "'-0,5"),
    ],
)
def test_safe_text_prefixes_formula_starts_and_leaves_numbers_and_plain_text(text, written):
    assert safe_text(text) == written
    assert unquote_formula(written) == text


def test_safe_cell_leaves_numbers_and_empty_cells_alone():
    assert [safe_cell(v) for v in (12.5, -3, None, True)] == [12.5, -3, None, True]


def test_an_ordinary_leading_apostrophe_survives_reading_back():
    assert unquote_formula("'tis") == "'tis"


def test_protect_sheet_keeps_the_text_and_marks_it_as_text():
    book = Workbook()
    sheet = book.active
    sheet.append(["=cmd|' /C calc'!A0", "+1", -4, "Trung đoàn 1", "-7"])
    protect_sheet(sheet)
    out = io.BytesIO()
    book.save(out)
    cells = list(load_workbook(io.BytesIO(out.getvalue())).active[1])
    assert [c.value for c in cells] == ["=cmd|' /C calc'!A0", "+1", -4, "Trung đoàn 1", "-7"]
    assert [c.data_type for c in cells] == ["s", "s", "n", "s", "s"]
    assert [bool(c.quotePrefix) for c in cells] == [True, False, False, False, False]
