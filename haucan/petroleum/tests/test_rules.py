from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import Workbook

from haucan.alerts.models import Alert, AlertStatus
from haucan.core.errors import ValidationFailed
from haucan.core.scope import Scope
from haucan.inventory.models import Reason
from haucan.inventory.services import CountEntry, record_count, start_count
from haucan.petroleum.models import Activity, Channel, EquipmentType
from haucan.petroleum.queries import quota_rows
from haucan.petroleum.services import (
    NoteKind,
    import_activities,
    receive_note,
    reverse_note,
    set_quota,
    submit_fuel_count,
)
from haucan.petroleum.tests.conftest import Fuel, note
from haucan.petroleum.tests.test_notes import values
from haucan.testing import World

ScopeOf = Callable[[str], Scope]


def today() -> date:
    return timezone.localdate()


def quarter() -> str:
    return f"{today().year}Q{(today().month - 1) // 3 + 1}"


def test_quota_use_is_live_and_warns_above_the_threshold(
    world: World, scope_of: ScopeOf, fuel: Fuel
) -> None:
    scope = scope_of("clerk_a")
    set_quota(
        Scope.system("t"),
        year=today().year,
        unit=world.regiment_a,
        group=fuel.diesel_group,
        channel=Channel.ROUTINE,
        quantity=Decimal(10000),
    )
    note(scope, NoteKind.RECEIPT, fuel.tank_a, fuel.diesel, 12000, today())
    note(scope, NoteKind.ISSUE, fuel.tank_a, fuel.diesel, 9200, today())

    (row,) = quota_rows(scope, today().year)
    assert (row.used, row.ratio, row.remaining) == (Decimal(9200), Decimal("92.0"), Decimal(800))
    alert = Alert.objects.get(code="petroleum.quota_above_threshold")
    assert (alert.severity, alert.values["ratio"]) == ("warning", 92.0)


def test_transfer_shortfall_is_the_receivers_transport_loss(
    world: World, scope_of: ScopeOf, fuel: Fuel
) -> None:
    depots = Scope.system("a clerk of both regiments' supplier")
    note(depots, NoteKind.RECEIPT, fuel.depot_b, fuel.diesel, 5000, today())
    result = note(
        depots,
        NoteKind.TRANSFER,
        fuel.depot_b,
        fuel.diesel,
        4000,
        today(),
        destination=fuel.tank_a,
    )
    line = result.lines[0]

    receive_note(
        scope_of("clerk_a"),
        result.document,
        on=today(),
        received={line.pk: Decimal(3998)},  # type: ignore[attr-defined]
    )

    assert values(world.regiment_a, quarter(), "HH_VAN_CHUYEN") == {"XD_DIESEL": "2"}
    month = today().strftime("%Y%m")
    assert values(world.regiment_a, month, "XD_NHAP") == {"XD_DIESEL": "3998"}
    assert values(world.regiment_b, month, "XD_XUAT") == {"XD_DIESEL": "4000"}


def test_reversal_nets_out_of_the_report(world: World, scope_of: ScopeOf, fuel: Fuel) -> None:
    scope = scope_of("clerk_a")
    note(scope, NoteKind.RECEIPT, fuel.tank_a, fuel.diesel, 5000, today())
    issue = note(scope, NoteKind.ISSUE, fuel.tank_a, fuel.diesel, 700, today())

    with pytest.raises(ValidationFailed):
        reverse_note(scope, issue.document, reason=" ")  # type: ignore[attr-defined]
    reverse_note(scope, issue.document, reason="Ghi nhầm đơn vị nhận")  # type: ignore[attr-defined]

    month = today().strftime("%Y%m")
    # Zero is not stored (as in DHIS2): the issue cell is empty again.
    assert values(world.regiment_a, month, "XD_XUAT") == {}
    assert values(world.regiment_a, month, "XD_TON_CUOI") == {"XD_DIESEL": "5000"}


def test_count_shortfall_is_a_storage_loss_and_marks_the_month_counted(
    world: World, scope_of: ScopeOf, fuel: Fuel
) -> None:
    scope = scope_of("clerk_a")
    note(scope, NoteKind.RECEIPT, fuel.tank_a, fuel.diesel, 5000, today())
    count = start_count(scope, fuel.tank_a, today())
    (line,) = count.lines.all()
    reason = Reason.objects.get(domain="petroleum", code="KK_HAO_HUT")
    record_count(scope, count, [CountEntry(line.pk, Decimal(4990), reason)])

    submit_fuel_count(scope, count)

    month = today().strftime("%Y%m")
    assert values(world.regiment_a, month, "XD_HAO_HUT") == {"XD_DIESEL": "10"}
    assert values(world.regiment_a, month, "XD_TON_CUOI") == {"XD_DIESEL": "4990"}
    assert values(world.regiment_a, month, "XD_DA_KIEM_KE") == {"default": "true"}


def _sheet(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Mã", "Kỳ", "Km", "Giờ", "Lít"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_activity_import_names_the_bad_cell_and_writes_nothing(
    world: World, scope_of: ScopeOf, fuel: Fuel
) -> None:
    scope = scope_of("clerk_a")
    period = today().strftime("%Y%m")
    with pytest.raises(ValidationFailed) as error:
        import_activities(
            scope,
            world.regiment_a,
            _sheet([["URAL_4320", period, 1000, 0, 390], ["KAMAZ_43118", period, "nhiều", 0, 1]]),
        )
    assert error.value.message == "Row 3, column C: 'nhiều' is not a number ≥ 0."
    assert Activity.objects.count() == 0

    import_activities(scope, world.regiment_a, _sheet([["URAL_4320", period, 1000, 0, 390]]))

    activity = Activity.objects.get()
    assert activity.equipment_type == EquipmentType.objects.get(code="URAL_4320")
    assert values(world.regiment_a, period, "PT_NL_DINH_MUC") == {"PT_XE_VAN_TAI": "380"}
    assert values(world.regiment_a, period, "PT_NL_THUC_TE") == {"PT_XE_VAN_TAI": "390"}


def test_alert_clears_when_the_transfer_is_received(
    world: World, scope_of: ScopeOf, fuel: Fuel
) -> None:
    from datetime import timedelta

    from haucan.petroleum.warnings import check_transfers

    depots = Scope.system("a clerk of both regiments' supplier")
    note(depots, NoteKind.RECEIPT, fuel.depot_b, fuel.diesel, 5000, today())
    result = note(
        depots, NoteKind.TRANSFER, fuel.depot_b, fuel.diesel, 100, today(), destination=fuel.tank_a
    )
    check_transfers(today() + timedelta(days=10))
    alert = Alert.objects.get(code="petroleum.transfer_not_received")
    assert alert.status == AlertStatus.OPEN

    receive_note(scope_of("clerk_a"), result.document, on=today())  # type: ignore[attr-defined]

    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED
