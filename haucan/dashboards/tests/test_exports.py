"""CSV, XLSX and PDF exports of an item, with the numbers the chart shows."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from pypdf import PdfReader


def export(client, vis, fmt, unit):
    return client.get(f"/dashboards/item/{vis.uid}/export.{fmt}", {"ou": unit.uid})


def test_csv_holds_each_regiment(login, world, board, issued):
    response = export(login("commander"), board.by_unit, "csv", world.division)

    text = response.content.decode("utf-8-sig")
    assert response["Content-Type"].startswith("text/csv")
    assert text.splitlines() == [
        "Đơn vị,Xuất trong kỳ",
        "Trung đoàn 1,1234.5",
        "Trung đoàn 2,250",
    ]


def test_xlsx_has_vietnamese_headers_and_numbers(login, world, board, issued):
    response = export(login("commander"), board.pivot, "xlsx", world.division)

    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet["A1"].value == "Xuất xăng dầu V_PIVOT"
    assert sheet["A2"].value == "Đơn vị: Sư đoàn 324"
    assert [c.value for c in sheet[6]] == ["Đơn vị", "Xuất trong kỳ", "Tồn cuối kỳ"]
    assert [c.value for c in sheet[7]][:2] == ["Trung đoàn 1", 1234.5]
    assert sheet["B7"].number_format == "#,##0.##"
    assert sheet["A6"].font.bold is True


def test_pdf_report_text_is_vietnamese(login, world, board, issued):
    response = export(login("commander"), board.by_unit, "pdf", world.division)

    assert response["Content-Type"] == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "Xuất xăng dầu V_BY_UNIT" in text
    assert "Đơn vị: Sư đoàn 324" in text
    assert "Trung đoàn 1" in text
    assert "1.234,5" in text
    assert "Thời điểm lập: " in text


def test_clerk_a_cannot_export_clerk_bs_regiment(login, world, board, issued):
    response = export(login("clerk_a"), board.by_unit, "xlsx", world.regiment_b)

    assert response.status_code == 404


def test_unknown_format_is_404(login, world, board):
    response = login("commander").get(f"/dashboards/item/{board.total.uid}/export.docx")

    assert response.status_code == 404
