"""Put raised alerts in their recipients' inboxes, and queue the e-mails after commit.

In-app delivery is a Notification row, written in the same transaction as the alert. E-mail is
never sent inside that transaction: the deliveries are rows too, and a task sends them after the
commit (haucan.alerts.mail), so a slow or broken SMTP server cannot block or undo the write that
raised the alert. A reopened alert comes back unread for everyone who had it.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from haucan.alerts.models import Alert, Notification
from haucan.alerts.recipients import recipients
from haucan.core.scope import Scope

CHUNK = 2000  # alerts per round of queries (keeps every IN list far below SQLite's limit)


def notify(scope: Scope, alerts: Iterable[Alert]) -> int:
    """Deliver `alerts` (just opened or reopened) in-app; returns the notifications written."""
    alerts = list(alerts)
    return sum(_notify(alerts[i : i + CHUNK]) for i in range(0, len(alerts), CHUNK))


def _notify(alerts: list[Alert]) -> int:
    if not alerts:
        return 0
    now = timezone.now()
    wanted = recipients(alerts)
    pairs = {(a.pk, u) for a in alerts for u in wanted.get(a.pk, ())}
    if not pairs:
        return 0
    existing = set(
        Notification.objects.filter(alert_id__in=[a.pk for a in alerts]).values_list(
            "alert_id", "user_id"
        )
    )
    if existing:  # a reopened alert: unread again, and e-mailed again
        Notification.objects.filter(alert_id__in=[a.pk for a in alerts]).update(
            read_at=None, emailed=False
        )
    Notification.objects.bulk_create(
        [
            Notification(alert_id=alert_id, user_id=user_id, created_at=now)
            for alert_id, user_id in sorted(pairs - existing)
        ],
        batch_size=2000,
        ignore_conflicts=True,
    )
    from haucan.alerts import mail  # mail imports notify's models only; avoid a cycle at import

    ids = [a.pk for a in alerts]
    transaction.on_commit(lambda: mail.queue_immediate(ids))
    return len(pairs)
