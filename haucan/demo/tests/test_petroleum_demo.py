"""The petroleum demo: the ledgers behind the covered units' reports, and the "done when" of
issue 7 — clerk_a posts an issue of diesel, and the stock card, the monthly report and the
commander's petroleum dashboard show it; a larger issue is refused; the low-stock alert opens."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from haucan.accounts.models import User
from haucan.alerts.models import Alert, AlertStatus
from haucan.core.periods import PeriodType, period_of
from haucan.core.scope import Scope
from haucan.dashboards.models import Visualization
from haucan.inventory.models import Document, Location
from haucan.org.models import Unit
from haucan.petroleum.models import ProductGroup, Tank
from haucan.petroleum.queries import group_stock
from haucan.reporting.models import DataValue

REGIMENT = "QK4-F324-E1"


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: object) -> Iterator[None]:
    from haucan.demo.loader import load_demo

    with django_db_blocker.unblock(), transaction.atomic():  # type: ignore[attr-defined]
        load_demo(months=3, seed=7)
        yield
        transaction.set_rollback(True)


def report(unit: Unit, period: str, element: str) -> dict[str, int]:
    rows = DataValue.objects.filter(
        unit=unit, period=period, data_element__code=element, deleted=False
    ).values_list("category_option_combo__code", "value")
    return {coc: int(value) for coc, value in rows}


def client_of(name: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="vi")
    client.force_login(User.objects.get(username=name))
    return client


@pytest.mark.usefixtures("demo")
@pytest.mark.parametrize("code", [REGIMENT, "QK4-F324-E2", "TCHC-K190", "TCHC-K186"])
def test_monthly_report_closing_equals_the_ledger(db: None, code: str) -> None:
    unit = Unit.objects.get(code=code)
    system = Scope.system("test")
    groups = {g.pk: g.report_option for g in ProductGroup.objects.all()}
    period = period_of(timezone.localdate(), PeriodType.MONTHLY).previous()
    ledger = {groups[g]: int(q) for g, q in group_stock(system, unit, at=period.end).items() if q}
    assert report(unit, period.id, "XD_TON_CUOI") == ledger
    assert ledger  # the unit has a real ledger


def _dashboard_value(client: Client, code: str) -> str:
    uid = Visualization.objects.get(code=code).uid
    body = client.get(f"/dashboards/item/{uid}/data/").json()
    assert body["ok"], body
    return json.dumps(body, ensure_ascii=False)


@pytest.mark.usefixtures("demo")
def test_clerk_a_issue_of_diesel_shows_in_card_report_dashboard_and_alert(db: None) -> None:
    unit = Unit.objects.get(code=REGIMENT)
    tank = Location.objects.get(code="E1-XD-B1")
    diesel = Tank.objects.get(location=tank).product
    assert diesel is not None
    period = period_of(timezone.localdate(), PeriodType.MONTHLY).id
    issued_before = report(unit, period, "XD_XUAT").get("XD_DIESEL", 0)
    stock = group_stock(Scope.system("test"), unit)[diesel.group_id]
    quantity = int(stock * Decimal("0.25"))
    commander = client_of("commander")
    board_before = _dashboard_value(commander, "V_XDL_XUAT_THANG_NAY")
    clerk = client_of("clerk_a")
    form = {
        "unit": unit.uid,
        "location": tank.pk,
        "date": timezone.localdate().strftime("%d/%m/%Y"),
        "channel": "TX",
        "product-1": diesel.pk,
        "temperature-1": "15",
    }

    # An issue larger than the stock is refused, with the stock in the message.
    refused = clerk.post(
        reverse("petroleum:note_new", args=["issue"]), {**form, "quantity-1": str(int(stock) * 2)}
    )
    assert refused.status_code == 400
    assert "Không đủ tồn kho" in refused.content.decode()

    response = clerk.post(
        reverse("petroleum:note_new", args=["issue"]), {**form, "quantity-1": str(quantity)}
    )
    assert response.status_code == 302
    document = Document.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))

    card = clerk.get(
        reverse("petroleum:card") + f"?unit={unit.uid}&location={tank.pk}&item={diesel.item_id}"
    )
    assert document.number in card.content.decode()
    assert report(unit, period, "XD_XUAT")["XD_DIESEL"] == issued_before + quantity
    assert _dashboard_value(commander, "V_XDL_XUAT_THANG_NAY") != board_before
    alert = Alert.objects.get(code="petroleum.stock_below_reserve", unit=unit, key="group:DIESEL")
    assert alert.status == AlertStatus.OPEN
