"""Write to and verify the audit log.

Each event's hash covers the previous hash and the event's canonical JSON, so editing or deleting
any row breaks every later hash. `record` must run inside the caller's transaction: the event is
committed together with the change it describes, or not at all.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from haucan.audit.models import AuditEvent, AuditHead
from haucan.core.scope import Scope

GENESIS = "0" * 64


def _digest(previous: str, payload: dict[str, Any]) -> str:
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"{previous}|{canonical}".encode()).hexdigest()


def _payload(event: AuditEvent) -> dict[str, Any]:
    return {
        "at": event.at.isoformat(),
        "actor_id": event.actor_id,
        "actor": event.actor,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "detail": event.detail,
    }


def _describe(obj: models.Model | str | None) -> tuple[str, str]:
    if obj is None:
        return "", ""
    if isinstance(obj, str):
        return "", obj
    meta = obj._meta
    key = getattr(obj, "uid", None) or obj.pk
    return f"{meta.app_label}.{meta.model_name}", str(key)


def record(
    scope: Scope, action: str, obj: models.Model | str | None, detail: dict[str, Any] | None = None
) -> AuditEvent:
    """Append one event to the chain, inside the current transaction."""
    return record_many(scope, [(action, obj, detail or {})])[0]


def record_many(
    scope: Scope, events: list[tuple[str, models.Model | str | None, dict[str, Any]]]
) -> list[AuditEvent]:
    """Append several events with one lock of the chain head (bulk imports stay fast)."""
    if not events:
        return []
    with transaction.atomic():
        head, _ = AuditHead.objects.select_for_update().get_or_create(
            singleton=1, defaults={"last_hash": GENESIS}
        )
        now = timezone.now()
        previous = head.last_hash
        rows = []
        for action, obj, detail in events:
            object_type, object_id = _describe(obj)
            event = AuditEvent(
                at=now,
                actor_id=scope.user_id,
                actor=scope.username,
                action=action,
                object_type=object_type,
                object_id=object_id,
                detail=json.loads(json.dumps(detail, default=str)),
                previous_hash=previous,
            )
            event.hash = _digest(previous, _payload(event))
            previous = event.hash
            rows.append(event)
        AuditEvent.objects.bulk_create(rows)
        AuditHead.objects.filter(singleton=1).update(
            last_hash=previous, count=models.F("count") + len(rows)
        )
    return rows


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    first_bad_id: int | None = None
    reason: str = ""


def verify_chain(batch: int = 5000) -> ChainReport:
    """Recompute every hash in order; report the first event that does not match."""
    previous = GENESIS
    checked = 0
    last_id = 0
    while True:
        chunk = list(AuditEvent.objects.filter(id__gt=last_id).order_by("id")[:batch])
        if not chunk:
            break
        for event in chunk:
            if event.previous_hash != previous:
                return ChainReport(False, checked, event.id, "previous hash does not match")
            if _digest(previous, _payload(event)) != event.hash:
                return ChainReport(False, checked, event.id, "content does not match its hash")
            previous = event.hash
            checked += 1
            last_id = event.id
    head = AuditHead.objects.filter(singleton=1).first()
    if head is not None and (head.last_hash != previous or head.count != checked):
        return ChainReport(False, checked, None, "events are missing at the end of the chain")
    return ChainReport(True, checked)
