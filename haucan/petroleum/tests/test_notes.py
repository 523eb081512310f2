from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from haucan.alerts.models import Alert, AlertStatus
from haucan.core.errors import NotFound, ValidationFailed
from haucan.core.scope import Scope
from haucan.inventory.models import Document, Line
from haucan.org.models import Unit
from haucan.petroleum.models import Channel, Stage
from haucan.petroleum.services import NoteKind
from haucan.petroleum.tests.conftest import Fuel, note
from haucan.reporting.models import DataValue
from haucan.testing import World

ScopeOf = Callable[[str], Scope]


def today() -> date:
    return timezone.localdate()


def values(unit: Unit, period: str, element: str) -> dict[str, str]:
    rows = DataValue.objects.filter(
        unit=unit, period=period, data_element__code=element, deleted=False
    ).values_list("category_option_combo__code", "value")
    return dict(rows)


def test_receipt_is_corrected_to_15_degrees_with_its_note_fields(
    world: World, scope_of: ScopeOf, fuel: Fuel
) -> None:
    result = note(
        scope_of("clerk_a"),
        NoteKind.RECEIPT,
        fuel.tank_a,
        fuel.diesel,
        10000,
        today(),
        temperature=30.0,
        density=829.3,
        price=Decimal(20000),
        order_number="15/LĐ-XD",
        vehicle_plate="QK-12-34",
        counterparty="Kho 190",
    )
    line = Line.objects.get(document=result.document)
    assert line.quantity == Decimal(9873)
    assert line.meta["vcf"] == "0.9873"
    assert line.meta["density15"] == "840.0"
    assert line.meta["amount"] == "197460000"
    assert line.dimension == Channel.ROUTINE
    assert result.document.meta["order_number"] == "15/LĐ-XD"  # type: ignore[attr-defined]


def test_issue_above_stock_is_refused_with_the_stock_in_the_message(
    world: World, scope_of: ScopeOf, fuel: Fuel
) -> None:
    scope = scope_of("clerk_a")
    note(scope, NoteKind.RECEIPT, fuel.tank_a, fuel.diesel, 1000, today())

    with pytest.raises(ValidationFailed) as error:
        note(scope, NoteKind.ISSUE, fuel.tank_a, fuel.diesel, 1200, today())

    assert error.value.message == (
        "Not enough stock of Dầu diesel DO 0,05S at Bể số 1: 1000 lít on hand, 1200 lít requested."
    )
    assert Document.objects.filter(doc_type="issue").count() == 0


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"temperature": 75.0},
            "Line 1: temperature 75 °C is outside the plausible range −20 to 60 °C.",
        ),
        (
            {"temperature": 25.0, "density": 700.0},
            "Line 1: density 700 kg/m³ is not plausible for Dầu diesel DO 0,05S "
            "(expected about 840 kg/m³ at 15 °C).",
        ),
    ],
)
def test_implausible_temperature_or_density_is_refused(
    world: World, scope_of: ScopeOf, fuel: Fuel, fields: dict[str, float], message: str
) -> None:
    with pytest.raises(ValidationFailed) as error:
        note(
            scope_of("clerk_a"), NoteKind.RECEIPT, fuel.tank_a, fuel.diesel, 100, today(), **fields
        )
    assert error.value.message == message
    assert Document.objects.count() == 0


def test_note_in_a_locked_report_period_is_refused(
    world: World, scope_of: ScopeOf, fuel: Fuel
) -> None:
    old = today().replace(day=1) - timedelta(days=200)
    with pytest.raises(ValidationFailed) as error:
        note(scope_of("clerk_a"), NoteKind.RECEIPT, fuel.tank_a, fuel.diesel, 100, old)
    assert "is locked since" in error.value.message
    assert Document.objects.count() == 0


def test_duplicate_note_number_is_refused(world: World, scope_of: ScopeOf, fuel: Fuel) -> None:
    scope = scope_of("clerk_a")
    note(scope, NoteKind.RECEIPT, fuel.tank_a, fuel.diesel, 100, today(), number="PN-07/2026")
    with pytest.raises(ValidationFailed) as error:
        note(scope, NoteKind.RECEIPT, fuel.tank_a, fuel.diesel, 100, today(), number="PN-07/2026")
    assert error.value.message == "Note number PN-07/2026 is already used in this unit."


def test_clerk_cannot_post_at_the_sibling_regiments_depot(
    world: World, scope_of: ScopeOf, fuel: Fuel
) -> None:
    with pytest.raises(NotFound):
        note(scope_of("clerk_a"), NoteKind.RECEIPT, fuel.depot_b, fuel.diesel, 100, today())


def test_receipt_loss_above_rate_needs_an_explanation_and_raises_a_warning(
    world: World, scope_of: ScopeOf, fuel: Fuel
) -> None:
    scope = scope_of("clerk_a")
    # Due 10 000 l, received 9 950 l: 50 l lost, the diesel receipt rate allows 0,10 % = 10 l.
    with pytest.raises(ValidationFailed) as error:
        note(scope, NoteKind.RECEIPT, fuel.tank_a, fuel.diesel, 9950, today(), due=Decimal(10000))
    assert error.value.message == (
        "The loss of Dầu diesel DO 0,05S is above the allowed rate: give an explanation."
    )

    note(
        scope,
        NoteKind.RECEIPT,
        fuel.tank_a,
        fuel.diesel,
        9950,
        today(),
        due=Decimal(10000),
        explanation="Xe xitec rò van xả.",
    )

    alert = Alert.objects.get(code="petroleum.loss_above_rate")
    assert alert.unit == world.regiment_a
    quarter = f"{today().year}Q{(today().month - 1) // 3 + 1}"
    assert values(world.regiment_a, quarter, "HH_NHAP") == {"XD_DIESEL": "50"}
    assert values(world.regiment_a, quarter, "HH_DINH_MUC")["XD_DIESEL"] == "10"


def test_loss_rates_are_never_offset_between_products(
    world: World, scope_of: ScopeOf, fuel: Fuel
) -> None:
    from haucan.petroleum.services import NoteInput, NoteLine, record_note

    scope = scope_of("clerk_a")
    note(scope, NoteKind.RECEIPT, fuel.depot_a, fuel.diesel, 5000, today())
    note(scope, NoteKind.RECEIPT, fuel.depot_a, fuel.petrol, 5000, today())
    # Storage rates: diesel 0,05 % of 10 000 = 5 l, petrol 0,14 % of 10 000 = 14 l. Diesel lost 8
    # (above), petrol 2 (well below): the petrol margin may not cover the diesel excess.
    with pytest.raises(ValidationFailed) as error:
        record_note(
            scope,
            NoteInput(
                kind=NoteKind.LOSS,
                unit=world.regiment_a,
                location=fuel.depot_a,
                date=today(),
                stage=Stage.STORAGE,
                lines=[
                    NoteLine(product=fuel.diesel, quantity=Decimal(8), base=Decimal(10000)),
                    NoteLine(product=fuel.petrol, quantity=Decimal(2), base=Decimal(10000)),
                ],
            ),
        )
    assert error.value.message == (
        "The loss of Dầu diesel DO 0,05S is above the allowed rate: give an explanation."
    )


def test_issue_updates_the_monthly_report_from_the_ledger(
    world: World, scope_of: ScopeOf, fuel: Fuel
) -> None:
    scope = scope_of("clerk_a")
    day = today()
    note(scope, NoteKind.RECEIPT, fuel.tank_a, fuel.diesel, 8000, day)
    note(scope, NoteKind.ISSUE, fuel.tank_a, fuel.diesel, 1500, day, recipient="Đại đội 1")
    note(
        scope,
        NoteKind.LOSS,
        fuel.tank_a,
        fuel.diesel,
        3,
        day,
        stage=Stage.STORAGE,
        base=Decimal(8000),
    )
    period = day.strftime("%Y%m")

    assert values(world.regiment_a, period, "XD_NHAP")["XD_DIESEL"] == "8000"
    assert values(world.regiment_a, period, "XD_XUAT")["XD_DIESEL"] == "1500"
    assert values(world.regiment_a, period, "XD_HAO_HUT")["XD_DIESEL"] == "3"
    assert values(world.regiment_a, period, "XD_TON_CUOI")["XD_DIESEL"] == "6497"
    assert "XD_XANG" not in values(world.regiment_a, period, "XD_TON_CUOI")
    row = DataValue.objects.get(
        unit=world.regiment_a,
        period=period,
        data_element__code="XD_XUAT",
        category_option_combo__code="XD_DIESEL",
    )
    assert (row.origin, row.source) == ("source", "petroleum")


def test_low_stock_raises_and_a_receipt_clears_the_reserve_alert(
    world: World, scope_of: ScopeOf, fuel: Fuel
) -> None:
    scope = scope_of("clerk_a")
    note(scope, NoteKind.RECEIPT, fuel.tank_a, fuel.diesel, 6000, today())
    assert not Alert.objects.filter(code="petroleum.stock_below_reserve").exists()

    note(scope, NoteKind.ISSUE, fuel.tank_a, fuel.diesel, 2000, today())
    alert = Alert.objects.get(code="petroleum.stock_below_reserve")
    assert alert.status == AlertStatus.OPEN
    assert alert.values == {"stock": 4000.0, "reserve": 5000.0}

    note(scope, NoteKind.RECEIPT, fuel.tank_a, fuel.diesel, 3000, today())
    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED


def test_tank_over_capacity_raises_a_warning(world: World, scope_of: ScopeOf, fuel: Fuel) -> None:
    note(scope_of("clerk_a"), NoteKind.RECEIPT, fuel.tank_a, fuel.diesel, 20500, today())
    alert = Alert.objects.get(code="petroleum.tank_over_capacity")
    assert alert.values == {"excess": 500.0}
