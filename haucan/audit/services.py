"""Write to and verify the audit log.

Each event's hash covers the previous hash and the event's canonical JSON, so editing or deleting
any row breaks every later hash. `record` must run inside the caller's transaction: the event is
committed together with the change it describes, or not at all.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from haucan.audit.models import AuditCheckpoint, AuditEvent, AuditHead
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


def _sign(*parts: object) -> str:
    # Keyed by the secret key: someone who can write to the database but does not hold the key
    # cannot forge a head or a checkpoint that matches a rewritten chain.
    message = "|".join(str(part) for part in parts)
    return salted_hmac("haucan.audit", message, algorithm="sha256").hexdigest()


def _head_signature(count: int, last_hash: str) -> str:
    return _sign("head", count, last_hash)


def _checkpoint_signature(event_id: int, count: int, digest: str) -> str:
    return _sign("checkpoint", event_id, count, digest)


def record_many(
    scope: Scope, events: list[tuple[str, models.Model | str | None, dict[str, Any]]]
) -> list[AuditEvent]:
    """Append several events with one lock of the chain head (bulk imports stay fast)."""
    if not events:
        return []
    # Inside a caller's transaction (nearly always: the audited write's), no savepoint: an
    # audit that fails must undo that write anyway, and the savepoint cost two round trips.
    with transaction.atomic(savepoint=False):
        head, _ = AuditHead.objects.select_for_update().get_or_create(
            singleton=1, defaults={"last_hash": GENESIS}
        )
        now = timezone.now()
        today = timezone.localdate(now)
        if head.checkpoint_day != today and head.count:
            # The first event of a day records yesterday's head: one extra row per day, and
            # verification of a long chain then starts from the newest checkpoint.
            _write_checkpoint(head, now)
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
        count = head.count + len(rows)  # exact: the head row is locked
        AuditHead.objects.filter(singleton=1).update(
            last_hash=previous,
            count=count,
            signature=_head_signature(count, previous),
            checkpoint_day=today,
        )
    return rows


def _write_checkpoint(head: AuditHead, now: Any) -> AuditCheckpoint | None:
    last = AuditEvent.objects.filter(hash=head.last_hash).values_list("id", flat=True).first()
    if last is None:
        return None
    return AuditCheckpoint.objects.create(
        created_at=now,
        event_id=last,
        count=head.count,
        hash=head.last_hash,
        signature=_checkpoint_signature(last, head.count, head.last_hash),
    )


def checkpoint() -> AuditCheckpoint | None:
    """Record the current head now (`haucan audit checkpoint`); None while the chain is empty."""
    with transaction.atomic():
        head = AuditHead.objects.select_for_update().filter(singleton=1).first()
        if head is None or not head.count:
            return None
        latest = AuditCheckpoint.objects.order_by("-event_id").first()
        if latest is not None and latest.hash == head.last_hash:
            return latest
        return _write_checkpoint(head, timezone.now())


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    first_bad_id: int | None = None
    reason: str = ""
    start_id: int = 0  # verification started after this event (0: from the beginning)
    total: int = 0  # events in the chain, as far as verified


def _trusted_start(full: bool, using: str) -> tuple[ChainReport | None, int, str, int]:
    """Where verification starts: the newest checkpoint that is signed and still matches the
    event it names (or the beginning for --full or when there is none)."""
    if full:
        return None, 0, GENESIS, 0
    mark = AuditCheckpoint.objects.using(using).order_by("-event_id").first()
    if mark is None:
        return None, 0, GENESIS, 0
    if not hmac.compare_digest(
        mark.signature, _checkpoint_signature(mark.event_id, mark.count, mark.hash)
    ):
        return ChainReport(False, 0, mark.event_id, "checkpoint signature does not match"), 0, "", 0
    event = AuditEvent.objects.using(using).filter(id=mark.event_id).first()
    if event is None or event.hash != mark.hash:
        return ChainReport(False, 0, mark.event_id, "checkpointed event was changed"), 0, "", 0
    if AuditEvent.objects.using(using).filter(id__lte=mark.event_id).count() != mark.count:
        return (
            ChainReport(False, 0, mark.event_id, "events before the checkpoint are missing"),
            0,
            "",
            0,
        )
    return None, mark.event_id, mark.hash, mark.count


def verify_chain(batch: int = 5000, *, full: bool = True, using: str = "default") -> ChainReport:
    """Recompute the hashes in order and report the first event that does not match.

    `full=False` starts from the newest checkpoint (incremental); `full=True` walks everything
    and also checks that every checkpoint names an event that still carries its hash.
    """
    failed, last_id, previous, before = _trusted_start(full, using)
    if failed is not None:
        return failed
    start_id = last_id
    checked = 0
    marks = {m.event_id: m for m in AuditCheckpoint.objects.using(using).all()} if full else {}
    while True:
        chunk = list(AuditEvent.objects.using(using).filter(id__gt=last_id).order_by("id")[:batch])
        if not chunk:
            break
        for event in chunk:
            if event.previous_hash != previous:
                return _broken(event.id, checked, start_id, before, "previous hash does not match")
            if _digest(previous, _payload(event)) != event.hash:
                return _broken(
                    event.id, checked, start_id, before, "content does not match its hash"
                )
            mark = marks.pop(event.id, None)
            if mark is not None and (mark.hash != event.hash or mark.count != before + checked + 1):
                return _broken(event.id, checked, start_id, before, "a checkpoint does not match")
            previous = event.hash
            checked += 1
            last_id = event.id
    total = before + checked
    if marks:
        first = min(marks)
        return _broken(first, checked, start_id, before, "a checkpointed event is missing")
    head = AuditHead.objects.using(using).filter(singleton=1).first()
    if head is not None:
        if head.last_hash != previous or head.count != total:
            return _broken(None, checked, start_id, before, "events are missing at the end")
        if not hmac.compare_digest(head.signature, _head_signature(head.count, head.last_hash)):
            return _broken(None, checked, start_id, before, "the head signature does not match")
    elif total:
        return _broken(None, checked, start_id, before, "the chain head is missing")
    return ChainReport(True, checked, start_id=start_id, total=total)


def _broken(
    event_id: int | None, checked: int, start_id: int, before: int, reason: str
) -> ChainReport:
    return ChainReport(False, checked, event_id, reason, start_id=start_id, total=before + checked)
