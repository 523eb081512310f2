"""The barracks part of the demo: what the commander, the specialist and clerk_a see."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from haucan.accounts.models import User
from haucan.accounts.queries import resolve_scope
from haucan.alerts.models import Alert, AlertStatus
from haucan.barracks import queries
from haucan.barracks.models import Building, LandPurpose, LandSite, TransferKind
from haucan.barracks.services import land
from haucan.demo.loader import DemoSummary, load_demo
from haucan.reporting.models import DataValue


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: object) -> Iterator[DemoSummary]:
    with django_db_blocker.unblock(), transaction.atomic():  # type: ignore[attr-defined]
        summary = load_demo(months=2, seed=7)
        yield summary
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_commander_sees_land_by_purpose_and_buildings_by_condition_of_the_division(
    demo: DemoSummary,
) -> None:
    scope = resolve_scope(User.objects.get(username="commander"))
    overview = queries.overview(scope, timezone.localdate())
    division_sites = LandSite.objects.filter(unit__path__startswith=_path("QK4-F324"))
    assert overview.sites == division_sites.count() > 3
    assert LandSite.objects.count() > overview.sites  # the rest of the army stays outside
    assert {name for name, _a in overview.by_purpose} >= {"Đất doanh trại"}
    in_use = Building.objects.filter(
        unit__path__startswith=_path("QK4-F324"), retired_on__isnull=True
    ).count()
    assert sum(n for _c, n in overview.by_condition) == overview.buildings == in_use > 0


@pytest.mark.django_db
def test_a_handover_entered_by_the_barracks_specialist_changes_the_area_from_its_date(
    demo: DemoSummary,
) -> None:
    scope = resolve_scope(User.objects.get(username="specialist_dt"))
    site = LandSite.objects.filter(unit__code="QK4-F324-E1").order_by("code").first()
    assert site is not None
    today = timezone.localdate()
    on = date(today.year, 1, 2)
    before = land.total_on(site, on)
    land.record_transfer(
        scope,
        land.TransferInput(
            kind=TransferKind.HANDOVER,
            site=site,
            purpose=LandPurpose.objects.get(code="DOANH_TRAI"),
            decision_number="999/QĐ-BQP",
            decision_date=on,
            effective_on=on,
            area="1000",
            party="UBND xã Nghi Phong",
        ),
    )
    assert land.total_on(site, date(today.year, 1, 1)) == before
    assert land.total_on(site, on) == before - 1000
    published = DataValue.objects.filter(
        unit=site.unit, period=str(today.year), data_element__code="DAT_DIEN_TICH", deleted=False
    )
    assert published.exists() and {v.source for v in published} == {"barracks"}


@pytest.mark.django_db
def test_the_end_of_life_warnings_are_listed(demo: DemoSummary) -> None:
    open_alerts = Alert.objects.filter(code="barracks.building_past_life", status=AlertStatus.OPEN)
    assert open_alerts.count() > 0
    client = Client()
    client.force_login(User.objects.get(username="commander"))
    page = client.get(reverse("barracks:home")).content.decode()
    past = Building.objects.filter(
        unit__path__startswith=_path("QK4-F324"), end_of_life_year__lte=timezone.localdate().year
    ).first()
    assert past is not None and past.code in page


@pytest.mark.django_db
def test_clerk_b_does_not_see_clerk_a_regiment_sites(demo: DemoSummary) -> None:
    scope = resolve_scope(User.objects.get(username="clerk_b"))
    codes = set(queries.sites(scope).values_list("unit__code", flat=True))
    assert codes and "QK4-F324-E1" not in codes


def _path(code: str) -> str:
    from haucan.org.models import Unit

    return Unit.objects.get(code=code).path
