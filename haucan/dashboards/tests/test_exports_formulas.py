"""A unit or chart name that looks like a formula leaves a dashboard export as text."""

from __future__ import annotations

import io

from openpyxl import load_workbook

EVIL = '=HYPERLINK("http://attacker","x")'


def export(client, vis, fmt, unit):
    return client.get(f"/dashboards/item/{vis.uid}/export.{fmt}", {"ou": unit.uid})


def test_csv_neutralises_formula_text_and_keeps_numbers(login, world, board, issued):
    world.regiment_a.name = EVIL
    world.regiment_a.save()
    response = export(login("commander"), board.by_unit, "csv", world.division)
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[1:] == ['"\'=HYPERLINK(""http://attacker"",""x"")",1234.5', "Trung đoàn 2,250"]


def test_xlsx_stores_formula_text_as_text(login, world, board, issued):
    world.regiment_a.name = EVIL
    world.regiment_a.save()
    board.pivot.name = "@SUM(1+1)"
    board.pivot.save()
    response = export(login("commander"), board.pivot, "xlsx", world.division)
    sheet = load_workbook(io.BytesIO(response.content)).active
    title, unit, number = sheet["A1"], sheet["A7"], sheet["B7"]
    assert (title.value, title.data_type, title.quotePrefix) == ("@SUM(1+1)", "s", True)
    assert (unit.value, unit.data_type, unit.quotePrefix) == (EVIL, "s", True)
    assert (number.value, number.data_type) == (1234.5, "n")
