"""The completeness workbook never carries a formula, whatever a unit or clerk is called."""

from __future__ import annotations

from io import BytesIO

from django.utils import timezone
from openpyxl import load_workbook

from haucan.core.periods import PeriodType, period_of


def test_unit_and_clerk_names_that_look_like_formulas_stay_text(world, login, fuel_form):
    world.regiment_b.name = "=1+1"
    world.regiment_b.save()
    world.clerk_b.full_name = "+cmd"
    world.clerk_b.save()
    fuel_form.data_set.name = "-2+3"
    fuel_form.data_set.save()
    pe = period_of(timezone.localdate(), PeriodType.MONTHLY).previous().id
    response = login("admin").get(
        "/reporting/completeness/", {"ds": "PET_MONTHLY", "pe": pe, "format": "xlsx"}
    )
    assert response.status_code == 200
    summary, late = load_workbook(BytesIO(response.content)).worksheets
    form = summary["B1"]
    assert (form.value, form.data_type, form.quotePrefix) == ("-2+3", "s", True)
    missing = [row for row in late.iter_rows(min_row=2) if row[0].value == "=1+1"]
    assert missing and missing[0][0].data_type == "s"
    assert (missing[0][4].value, missing[0][4].quotePrefix) == ("+cmd", True)
    assert all(c.data_type != "f" for ws in (summary, late) for row in ws.iter_rows() for c in row)
