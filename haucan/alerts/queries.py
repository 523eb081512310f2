"""Reading alerts, always within the reader's Scope: a unit outside it does not exist for them.

An alert is visible when its unit lies in one of the reader's subtrees and the reader may view
its domain (a petroleum specialist does not see medical alerts).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from haucan.alerts.models import Alert, AlertStatus, Notification, Severity
from haucan.core.errors import NotFound
from haucan.core.scope import Action, Domain, Scope
from haucan.org.queries import scope_filter

ACTIVE = (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED)


def _domain_filter(scope: Scope, prefix: str = "") -> Q:
    if scope.is_admin or scope.can(Action.VIEW, Domain.GENERAL):
        return Q()
    allowed = [d.value for d in Domain if scope.can(Action.VIEW, d)]
    return Q(**{f"{prefix}domain__in": allowed})


def visible(scope: Scope) -> QuerySet[Alert]:
    return Alert.objects.filter(scope_filter(scope, "unit__"), _domain_filter(scope))


def get_alert(scope: Scope, alert_id: int, *, for_update: bool = False) -> Alert:
    rows = visible(scope).select_related("unit", "rule", "acknowledged_by", "assigned_to")
    if for_update:
        rows = rows.select_for_update(of=("self",))
    alert = rows.filter(pk=alert_id).first()
    if alert is None:
        raise NotFound(_("Warning not found."))
    return alert


def unread_count(scope: Scope) -> int:
    """The navigation bar's number: the reader's unread notifications of open alerts (1 query)."""
    if scope.user_id is None:
        return 0
    return Notification.objects.filter(
        scope_filter(scope, "alert__unit__"),
        _domain_filter(scope, "alert__"),
        user_id=scope.user_id,
        read_at__isnull=True,
        alert__status=AlertStatus.OPEN,
    ).count()


@dataclass(frozen=True)
class InboxFilter:
    mine: bool = True  # only alerts sent or assigned to me
    status: str = "active"  # active | open | acknowledged | resolved | all
    severity: str = ""
    domain: str = ""
    unit_path: str = ""  # a subtree
    period: str = ""


def inbox(scope: Scope, f: InboxFilter) -> QuerySet[Alert]:
    rows = visible(scope)
    if f.mine and scope.user_id is not None:
        rows = rows.filter(
            Q(notifications__user_id=scope.user_id) | Q(assigned_to_id=scope.user_id)
        ).distinct()
    if f.status == "active":
        rows = rows.filter(status__in=ACTIVE)
    elif f.status in AlertStatus.values:
        rows = rows.filter(status=f.status)
    if f.severity in Severity.values:
        rows = rows.filter(severity=f.severity)
    if f.domain in Domain.__members__.values() or f.domain in {d.value for d in Domain}:
        rows = rows.filter(domain=f.domain)
    if f.unit_path:
        rows = rows.filter(unit__path__startswith=f.unit_path)
    if f.period:
        rows = rows.filter(period=f.period)
    return rows.select_related("unit", "assigned_to").order_by("-last_seen_at", "-pk")


def unread_ids(scope: Scope, alert_ids: list[int]) -> set[int]:
    if scope.user_id is None:
        return set()
    return set(
        Notification.objects.filter(
            user_id=scope.user_id, alert_id__in=alert_ids, read_at__isnull=True
        ).values_list("alert_id", flat=True)
    )


@dataclass(frozen=True)
class BoardCell:
    domain: str
    unit_id: int
    unit_name: str
    critical: int
    warning: int


def situation(scope: Scope) -> list[BoardCell]:
    """Open critical and warning alerts counted by domain and unit (the situation board)."""
    rows = (
        visible(scope)
        .filter(status__in=ACTIVE, severity__in=[Severity.CRITICAL, Severity.WARNING])
        .values("domain", "unit_id", "unit__name")
        .annotate(
            critical=Count("pk", filter=Q(severity=Severity.CRITICAL)),
            warning=Count("pk", filter=Q(severity=Severity.WARNING)),
        )
        .order_by("domain", "-critical", "-warning", "unit__name")
    )
    return [
        BoardCell(r["domain"], r["unit_id"], r["unit__name"], r["critical"], r["warning"])
        for r in rows
    ]
