"""Petroleum warnings, raised and cleared through the alerts service in the posting's transaction.

Codes (one alert per condition, `key` names the fuel group, tank, product or transfer):
- petroleum.stock_below_reserve — the unit's stock of a group is below its readiness reserve;
- petroleum.cover_below_days — the stock covers fewer than COVER_DAYS days of average use;
- petroleum.loss_above_rate — a note's loss of a product is above its maximum rate (per quarter);
- petroleum.quota_above_threshold — issues against a yearly quota pass QUOTA_THRESHOLD %;
- petroleum.tank_over_capacity — a tank holds more than its capacity;
- petroleum.transfer_not_received — a transfer is still in transit after TRANSIT_DAYS days.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from haucan.alerts.models import Severity
from haucan.alerts.services import clear_event, raise_event
from haucan.core.scope import Domain, Scope
from haucan.inventory.models import Document, Location
from haucan.inventory.queries import in_transit
from haucan.org.models import Unit
from haucan.petroleum.models import DOMAIN
from haucan.petroleum.queries import quota_rows, reserve_rows, tanks_over_capacity

COVER_DAYS = getattr(settings, "HAUCAN_PETROLEUM_COVER_DAYS", 30)
QUOTA_THRESHOLD = Decimal(getattr(settings, "HAUCAN_PETROLEUM_QUOTA_THRESHOLD", 90))
TRANSIT_DAYS = getattr(settings, "HAUCAN_PETROLEUM_TRANSIT_DAYS", 7)


def _scope() -> Scope:
    return Scope.system("petroleum warnings")


def check_unit(
    unit: Unit,
    day: date,
    *,
    document: Document | None = None,
    loss_over: Sequence[str] = (),
    today: date | None = None,
) -> None:
    """Re-evaluate the unit's conditions after a posting."""
    scope = _scope()
    today = today or timezone.localdate()
    link = reverse("petroleum:stock") + f"?unit={unit.uid}"
    for row in reserve_rows(scope, unit, today):
        key = f"group:{row.group.code}"
        params = {"group": row.group.name, "stock": f"{row.stock:,.0f}".replace(",", ".")}
        if row.stock < row.required:
            raise_event(
                scope,
                code="petroleum.stock_below_reserve",
                domain=Domain.PETROLEUM,
                unit=unit,
                severity=Severity.CRITICAL,
                message=_(
                    "Stock of %(group)s (%(stock)s l) is below the readiness reserve "
                    "(%(reserve)s l)"
                ),
                params={**params, "reserve": f"{row.required:,.0f}".replace(",", ".")},
                values={"stock": float(row.stock), "reserve": float(row.required)},
                key=key,
                link=link,
            )
        else:
            clear_event(scope, code="petroleum.stock_below_reserve", unit=unit, key=key)
        cover = row.cover_days
        if cover is not None and cover < COVER_DAYS:
            raise_event(
                scope,
                code="petroleum.cover_below_days",
                domain=Domain.PETROLEUM,
                unit=unit,
                severity=Severity.WARNING,
                message=_("Stock of %(group)s covers only %(days)s days of average use"),
                params={"group": row.group.name, "days": str(cover).replace(".", ",")},
                values={"cover_days": float(cover), "threshold": COVER_DAYS},
                key=key,
                link=link,
            )
        else:
            clear_event(scope, code="petroleum.cover_below_days", unit=unit, key=key)
    if document is not None and loss_over:
        quarter = f"{day.year}Q{(day.month - 1) // 3 + 1}"
        for product in loss_over:
            raise_event(
                scope,
                code="petroleum.loss_above_rate",
                domain=Domain.PETROLEUM,
                unit=unit,
                severity=Severity.WARNING,
                message=_("Loss of %(product)s on note %(number)s is above the allowed rate"),
                params={"product": product, "number": document.number},
                period=quarter,
                key=f"product:{product}",
                link=reverse("petroleum:note", args=[document.pk]),
            )
    for quota_row in quota_rows(scope, day.year, unit):
        key = f"quota:{quota_row.quota.group.code}:{quota_row.quota.channel}"
        if quota_row.ratio >= QUOTA_THRESHOLD:
            raise_event(
                scope,
                code="petroleum.quota_above_threshold",
                domain=Domain.PETROLEUM,
                unit=unit,
                severity=Severity.CRITICAL if quota_row.ratio >= 100 else Severity.WARNING,
                message=_("%(ratio)s%% of the %(year)s quota of %(group)s (%(channel)s) is used"),
                params={
                    "ratio": str(quota_row.ratio).replace(".", ","),
                    "year": quota_row.quota.year,
                    "group": quota_row.quota.group.name,
                    "channel": quota_row.quota.get_channel_display(),
                },
                values={"ratio": float(quota_row.ratio), "threshold": float(QUOTA_THRESHOLD)},
                period=str(quota_row.quota.year),
                key=key,
                link=reverse("petroleum:quotas"),
            )
        else:
            clear_event(
                scope,
                code="petroleum.quota_above_threshold",
                unit=unit,
                period=str(quota_row.quota.year),
                key=key,
            )
    if document is not None:
        check_tanks(scope, Location.objects.filter(lines__document=document).distinct())
    check_transfers(today)


def check_tanks(scope: Scope, locations: Iterable[Location]) -> None:
    for location in locations:
        excess = tanks_over_capacity(location)
        key = f"tank:{location.code}"
        if excess is not None:
            raise_event(
                scope,
                code="petroleum.tank_over_capacity",
                domain=Domain.PETROLEUM,
                unit=location.unit,
                severity=Severity.CRITICAL,
                message=_("Tank %(tank)s holds %(excess)s l more than its capacity"),
                params={"tank": location.name, "excess": f"{excess:,.0f}".replace(",", ".")},
                values={"excess": float(excess)},
                key=key,
            )
        else:
            clear_event(scope, code="petroleum.tank_over_capacity", unit=location.unit, key=key)


def check_transfers(today: date) -> None:
    """Raise for every transfer in transit longer than TRANSIT_DAYS (idempotent; also run by
    the demo and callable from a periodic job)."""
    scope = _scope()
    for document in in_transit(
        scope, domain=DOMAIN, older_than=today - timedelta(days=TRANSIT_DAYS)
    ):
        raise_event(
            scope,
            code="petroleum.transfer_not_received",
            domain=Domain.PETROLEUM,
            unit=document.unit,
            severity=Severity.WARNING,
            message=_("Transfer %(number)s to %(unit)s has not been received after %(days)s days"),
            params={
                "number": document.number,
                "unit": document.counter_unit.name if document.counter_unit else "",
                "days": (today - document.date).days,
            },
            key=f"transfer:{document.pk}",
            link=reverse("petroleum:note", args=[document.pk]),
        )


def clear_transfer(document: Document) -> None:
    """The transfer was received or reversed: its warning, if any, is resolved."""
    clear_event(
        _scope(),
        code="petroleum.transfer_not_received",
        unit=document.unit,
        key=f"transfer:{document.pk}",
    )
