"""The medical part of the demo: episodes behind the treatment reports, consistent with them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from haucan.alerts.models import Alert
from haucan.core.periods import PeriodType, period_of
from haucan.demo.loader import load_demo
from haucan.medical.models import Episode, Facility, Outbreak
from haucan.reporting.models import DataValue, Origin


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: object) -> Iterator[None]:
    """Loaded once inside a transaction rolled back at the end (as test_loader does)."""
    with django_db_blocker.unblock(), transaction.atomic():  # type: ignore[attr-defined]
        load_demo(months=2, seed=7)
        yield
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_demo_hospital_reports_equal_its_episodes(demo: None) -> None:
    hospital = Facility.objects.get(unit__code="TCHC-BV354")
    episodes = list(Episode.objects.filter(facility=hospital))
    assert len(episodes) > 300
    for offset in (1, 10, 30):
        day = timezone.localdate() - timedelta(days=offset)
        present = sum(
            1
            for e in episodes
            if e.admit_day <= day and (e.discharge_day is None or e.discharge_day > day)
        )
        stored = DataValue.objects.filter(
            unit=hospital.unit,
            period=period_of(day, PeriodType.DAILY).id,
            data_element__code="DTN_DANG_DIEU_TRI",
            deleted=False,
        )
        assert {v.origin for v in stored} == {Origin.SOURCE}
        assert sum(v.numeric_value or 0 for v in stored) == present


@pytest.mark.django_db
def test_demo_has_an_outbreak_near_expiry_lots_and_the_personas(demo: None) -> None:
    from haucan.accounts.models import User

    assert Outbreak.objects.filter(ended_on__isnull=True, unit__code="QK4-F324-E1").exists()
    assert Alert.objects.filter(code="medical.near_expiry").exists()
    assert (
        User.objects.filter(username__in=["clerk_bv354", "specialist_qy", "clerk_bx324"]).count()
        == 3
    )
    assert Facility.objects.filter(unit__code="QK4-F324-DDT").exists()
