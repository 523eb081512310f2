"""Reading the audit log (administrators only; nothing here writes)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet

from haucan.audit.models import AuditCheckpoint, AuditEvent, AuditHead
from haucan.core.errors import PermissionDenied
from haucan.core.scope import Scope


@dataclass(frozen=True)
class EventFilter:
    action: str = ""  # a prefix: "auth." matches every sign-in event
    actor: str = ""
    object_id: str = ""
    since: dt.date | None = None
    until: dt.date | None = None


def events(scope: Scope, f: EventFilter) -> QuerySet[AuditEvent]:
    """Newest first. The audit log covers the whole army, so only administrators read it."""
    if not scope.is_admin:
        raise PermissionDenied("Only administrators read the audit log.")
    rows = AuditEvent.objects.order_by("-id")
    if f.action:
        rows = rows.filter(action__startswith=f.action)
    if f.actor:
        rows = rows.filter(actor=f.actor)
    if f.object_id:
        rows = rows.filter(object_id=f.object_id)
    if f.since:
        rows = rows.filter(at__date__gte=f.since)
    if f.until:
        rows = rows.filter(at__date__lte=f.until)
    return rows


def chain_summary() -> dict[str, object]:
    head = AuditHead.objects.filter(singleton=1).first()
    mark = AuditCheckpoint.objects.order_by("-event_id").first()
    return {
        "count": head.count if head else 0,
        "last_hash": head.last_hash if head else "",
        "checkpoint": mark,
    }
