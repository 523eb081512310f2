"""The demo's warnings: real conditions after the load, seen by the commander, resolved by a fix."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from haucan.accounts.models import User
from haucan.accounts.queries import resolve_scope
from haucan.alerts.models import Alert, AlertStatus
from haucan.alerts.queries import InboxFilter, inbox, situation
from haucan.core.errors import Conflict
from haucan.core.periods import PeriodType, period_of
from haucan.core.scope import Scope
from haucan.demo.loader import DemoSummary, load_demo
from haucan.reporting.services.submission import reopen_report
from haucan.reporting.services.values import CellInput, resolve_target, save_values


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[DemoSummary]:
    with django_db_blocker.unblock(), transaction.atomic():
        summary = load_demo(months=6, seed=11)
        yield summary
        transaction.set_rollback(True)


def _last_month() -> str:
    return period_of(timezone.localdate(), PeriodType.MONTHLY).previous().id


def _active(code: str) -> list[str]:
    return sorted(
        Alert.objects.filter(code=code, status=AlertStatus.OPEN).values_list(
            "unit__code", flat=True
        )
    )


@pytest.mark.django_db
def test_the_demo_has_a_late_report_an_outlier_and_low_stock(demo: DemoSummary) -> None:
    assert "QK4-F324-E1" in _active("CB_XD_CHAM_BAO_CAO")
    low = _active("CB_XD_TON_DUOI_15_NGAY")
    loss = _active("CB_XD_HAO_HUT_BAT_THUONG")
    assert any(code.startswith("QK4-F324-E1-") for code in low)
    assert any(code.startswith("QK4-F324-E2-") for code in loss)


@pytest.mark.django_db
def test_the_commander_sees_them_in_the_inbox_and_on_the_board(demo: DemoSummary) -> None:
    commander = resolve_scope(User.objects.get(username="commander"))
    mine = {a.code for a in inbox(commander, InboxFilter(mine=True))}
    assert {"CB_XD_CHAM_BAO_CAO", "CB_XD_TON_DUOI_15_NGAY", "CB_XD_HAO_HUT_BAT_THUONG"} <= mine
    board = situation(commander)
    assert sum(c.critical for c in board) >= 1 and sum(c.warning for c in board) >= 1
    clerk_b = resolve_scope(User.objects.get(username="clerk_b"))
    assert not [a for a in inbox(clerk_b, InboxFilter(mine=False)) if "F324-E1" in a.unit.code]


@pytest.mark.django_db
def test_fixing_the_stock_resolves_the_warning_at_once(
    demo: DemoSummary, django_capture_on_commit_callbacks: Any
) -> None:
    alert = (
        Alert.objects.filter(code="CB_XD_TON_DUOI_15_NGAY", period=_last_month(), status="open")
        .select_related("unit")
        .filter(unit__code__startswith="QK4-F324-E1-")
        .first()
    )
    assert alert is not None
    from haucan.catalog.models import DataSet

    system = Scope.system("test")
    target = resolve_target(
        system, DataSet.objects.get(code="XD_TON_KHO_THANG"), alert.unit, _last_month()
    )
    with contextlib.suppress(Conflict):  # unless the battalion had not submitted it yet
        reopen_report(system, target, reason="Sửa số tồn cuối kỳ")
    with django_capture_on_commit_callbacks(execute=True):
        save_values(
            system,
            target,
            [
                CellInput("XD_TON_CUOI", "900000", "XD_XANG"),
                CellInput("XD_TON_CUOI", "900000", "XD_DIESEL"),
            ],
        )
    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED
