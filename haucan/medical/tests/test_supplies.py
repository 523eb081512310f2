"""Medical supplies on the shared ledger: FEFO issues, OpenLMIS levels and the warnings."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from haucan.alerts.models import Alert, AlertStatus
from haucan.core.errors import NotFound, PermissionDenied, ValidationFailed
from haucan.core.periods import PeriodType, period_of
from haucan.core.scope import Scope
from haucan.medical.services.supplies import (
    IssueLine,
    ReceiptLine,
    _month_start,
    issue_to_department,
    receive,
    register_item,
    supply_status,
)
from haucan.medical.tests.conftest import MedicalWorld
from haucan.reporting.models import DataValue


def open_alerts(code: str) -> list[Alert]:
    return list(Alert.objects.filter(code=code).exclude(status=AlertStatus.RESOLVED))


def test_levels_order_quantity_and_warnings_follow_the_openlmis_formulas(med: MedicalWorld) -> None:
    today = timezone.localdate()
    supply = register_item(
        Scope.system("test"),
        code="AMOX500",
        name="Amoxicilin 500 mg",
        uom="viên",
        group="T_KHANG_SINH",
        unit_price=Decimal(2),
        min_periods=Decimal(1),
        max_periods=Decimal(3),
        key_medicine=True,
    )
    item = supply.item
    scope = med.scope("clerk_h")
    first = _month_start(today, 3)
    receive(
        scope,
        med.hospital,
        first,
        [
            ReceiptLine(item, Decimal(60), "L-LATE", today + timedelta(days=400)),
            ReceiptLine(item, Decimal(40), "L-SOON", today + timedelta(days=30)),
        ],
    )
    for back in (3, 2, 1):  # 30 a month for the three last whole months
        issue_to_department(
            scope,
            med.hospital,
            med.internal,
            _month_start(today, back) + timedelta(days=5),
            [IssueLine(item, Decimal(30))],
        )
    [status] = supply_status(med.hospital, today)
    assert status.on_hand == 10
    assert status.average_monthly == 30  # P
    assert status.minimum == 30 and status.maximum == 90  # P × min, P × max
    assert status.order_quantity == 80  # max(0, 90 − 10)
    assert status.days_of_stock == 10  # 10 / (30 / 30)
    # FEFO: the lot expiring first was issued first; 60 − 50 = 10 of the late lot remain
    assert [(lot.code, q) for lot, q in status.near_expiry] == []
    [below] = open_alerts("medical.below_minimum")
    assert below.severity == "warning" and below.values["order_quantity"] == 80.0
    assert not open_alerts("medical.stockout")

    issue_to_department(scope, med.hospital, med.surgery, today, [IssueLine(item, Decimal(10))])
    [out] = open_alerts("medical.stockout")
    assert out.severity == "critical" and out.values["order_quantity"] == 90.0
    assert not open_alerts("medical.below_minimum")  # a stockout replaces it

    # The quarterly medicines report of the quarter of the first receipt, in thousand đồng.
    quarter = period_of(first, PeriodType.QUARTERLY)
    stored = {
        (de, coc): n
        for de, coc, n in DataValue.objects.filter(
            unit=med.hospital.unit, period=quarter.id, deleted=False, source="medical"
        ).values_list("data_element__code", "category_option_combo__code", "numeric_value")
    }
    assert stored[("TVT_NHAP", "T_KHANG_SINH")] == 100 * 2
    issued_in_quarter = sum(
        30 for back in (3, 2, 1) if _month_start(today, back) + timedelta(days=5) <= quarter.end
    )
    if issued_in_quarter:
        assert stored[("TVT_XUAT", "T_KHANG_SINH")] == issued_in_quarter * 2


def test_a_near_expiry_lot_warns_until_it_is_used(med: MedicalWorld) -> None:
    today = timezone.localdate()
    item = register_item(
        Scope.system("test"),
        code="NACL",
        name="Natri clorid 0,9%",
        uom="chai",
        group="T_DICH_TRUYEN",
    ).item
    scope = med.scope("clerk_h")
    receive(
        scope,
        med.hospital,
        today,
        [ReceiptLine(item, Decimal(5), "NC-1", today + timedelta(days=20))],
    )
    [alert] = open_alerts("medical.near_expiry")
    assert alert.key == "item:NACL:lot:NC-1" and alert.severity == "warning"
    issue_to_department(scope, med.hospital, med.internal, today, [IssueLine(item, Decimal(5))])
    assert not open_alerts("medical.near_expiry")


def test_bad_supply_input_is_refused(med: MedicalWorld) -> None:
    today = timezone.localdate()
    item = register_item(
        Scope.system("test"), code="PARA", name="Paracetamol 500 mg", uom="viên", group="T_GIAM_DAU"
    ).item
    scope = med.scope("clerk_h")
    with pytest.raises(ValidationFailed, match="positive"):
        receive(scope, med.hospital, today, [ReceiptLine(item, Decimal(-5), "P1", today)])
    with pytest.raises(ValidationFailed, match="Not enough"):
        issue_to_department(scope, med.hospital, med.internal, today, [IssueLine(item, Decimal(1))])
    with pytest.raises(PermissionDenied):
        register_item(scope, code="X", name="X", uom="viên", group="T_GIAM_DAU")
    with pytest.raises(NotFound):  # another hospital's store
        receive(
            med.scope("clerk_h2"), med.hospital, today, [ReceiptLine(item, Decimal(5), "P1", today)]
        )
