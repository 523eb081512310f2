"""E-mail of alerts through SMTP (HAUCAN_EMAIL_*), immediate or as a daily digest per user.

Deliveries are rows (EmailDelivery) made after the alert's transaction committed; a task sends
each one. A failure is recorded on the row and retried with backoff (1 min, 5 min, 30 min, 2 h,
12 h), after which the delivery is marked failed; the scheduler's sweep also sends any due
delivery whose task was lost. Claiming a delivery is a conditional UPDATE, so two workers never
send the same mail twice.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from haucan.alerts.models import (
    Alert,
    AlertStatus,
    DeliveryStatus,
    EmailDelivery,
    EmailMode,
    Notification,
    NotificationPreference,
    Severity,
)

logger = logging.getLogger(__name__)

BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=12),
)
MAX_ATTEMPTS = len(BACKOFF) + 1
LEASE = timedelta(minutes=5)  # a claimed delivery whose worker died is sent again after this
RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}


def enabled() -> bool:
    return bool(getattr(settings, "HAUCAN_EMAIL_ENABLED", False))


def _link(alert: Alert) -> str:
    path = reverse("alerts:detail", args=[alert.pk])
    base = getattr(settings, "HAUCAN_SITE_URL", "").rstrip("/")
    return f"{base}{path}" if base else path


def _body(alerts: list[Alert], intro: str) -> str:
    lines = [intro, ""]
    for alert in alerts:
        lines.append(f"• [{alert.get_severity_display()}] {alert.unit.name}: {alert.message}")
        lines.append(f"  {_link(alert)}")
    lines += ["", _("Hậu Cần Số: this message was sent automatically; do not reply.")]
    return "\n".join(lines)


def _preferences(user_ids: set[int]) -> dict[int, NotificationPreference]:
    return {p.user_id: p for p in NotificationPreference.objects.filter(user_id__in=user_ids)}


def _make_deliveries(
    notifications: list[Notification], kind: str, now: datetime
) -> list[EmailDelivery]:
    by_user: dict[int, list[Notification]] = defaultdict(list)
    for n in notifications:
        by_user[n.user_id].append(n)
    prefs = _preferences(set(by_user))
    deliveries: list[EmailDelivery] = []
    emailed: list[int] = []
    with translation.override("vi"):
        for user_id, items in sorted(by_user.items()):
            pref = prefs.get(user_id)
            mode = pref.email_mode if pref else EmailMode.IMMEDIATE
            lowest = RANK[Severity(pref.minimum_severity if pref else Severity.WARNING)]
            if mode != kind:
                continue
            user = items[0].user
            alerts = [n.alert for n in items if RANK[Severity(n.alert.severity)] >= lowest]
            emailed += [n.pk for n in items]
            if not user.email or not alerts:
                continue
            if kind == EmailMode.DIGEST:
                subject = ngettext(
                    "[Hậu Cần Số] Daily digest: %(count)d warning",
                    "[Hậu Cần Số] Daily digest: %(count)d warnings",
                    len(alerts),
                ) % {"count": len(alerts)}
                intro = _("The warnings of the last day that are still open:")
            elif len(alerts) == 1:
                subject = _("[Hậu Cần Số] Warning: %(message)s") % {
                    "message": alerts[0].message[:150]
                }
                intro = _("A new warning needs your attention:")
            else:
                subject = _("[Hậu Cần Số] %(count)d new warnings") % {"count": len(alerts)}
                intro = _("New warnings need your attention:")
            deliveries.append(
                EmailDelivery(
                    user_id=user_id,
                    address=user.email,
                    subject=subject,
                    body=_body(alerts, intro),
                    kind=kind,
                    created_at=now,
                    next_attempt_at=now,
                )
            )
    EmailDelivery.objects.bulk_create(deliveries)
    Notification.objects.filter(pk__in=emailed).update(emailed=True)
    return deliveries


def _enqueue(deliveries: list[EmailDelivery]) -> None:
    from haucan.alerts.tasks import send_delivery_task

    ids = [d.pk for d in deliveries if d.pk is not None]
    if not ids:  # no RETURNING on this backend: find them again
        ids = list(
            EmailDelivery.objects.filter(status=DeliveryStatus.PENDING, attempts=0).values_list(
                "pk", flat=True
            )
        )

    def enqueue(pk: int) -> Callable[[], object]:
        return lambda: send_delivery_task.enqueue(pk)

    for pk in ids:
        transaction.on_commit(enqueue(pk))


def queue_immediate(alert_ids: list[int]) -> int:
    """Make the immediate e-mails of just-raised alerts; returns how many were queued."""
    if not enabled():
        return 0
    now = timezone.now()
    with transaction.atomic():
        pending = list(
            Notification.objects.filter(alert_id__in=alert_ids, emailed=False)
            .exclude(alert__status=AlertStatus.RESOLVED)
            .select_related("user", "alert__unit")
            .order_by("pk")
        )
        deliveries = _make_deliveries(pending, EmailMode.IMMEDIATE, now)
        _enqueue(deliveries)
    return len(deliveries)


def queue_digests(now: datetime | None = None) -> int:
    """Make each digest user's mail of the still-open alerts they were sent and not e-mailed."""
    if not enabled():
        return 0
    now = now or timezone.now()
    with transaction.atomic():
        pending = list(
            Notification.objects.filter(
                emailed=False,
                user__alert_preference__email_mode=EmailMode.DIGEST,
                created_at__gte=now - timedelta(days=1),
            )
            .exclude(alert__status=AlertStatus.RESOLVED)
            .select_related("user", "alert__unit")
            .order_by("pk")
        )
        deliveries = _make_deliveries(pending, EmailMode.DIGEST, now)
        _enqueue(deliveries)
    return len(deliveries)


def send(delivery_id: int, now: datetime | None = None) -> str:
    """Try one delivery if it is due; returns its status afterwards ("skipped" if not due)."""
    now = now or timezone.now()
    claimed = (
        EmailDelivery.objects.filter(pk=delivery_id, status=DeliveryStatus.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .update(next_attempt_at=now + LEASE)
    )
    if not claimed:
        return "skipped"
    delivery = EmailDelivery.objects.get(pk=delivery_id)
    message = EmailMessage(
        subject=delivery.subject,
        body=delivery.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[delivery.address],
    )
    message.encoding = "utf-8"
    delivery.attempts += 1
    try:
        message.send(fail_silently=False)
    except Exception as exc:  # SMTP errors, refused connections, timeouts: all retried
        delivery.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        if delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = DeliveryStatus.FAILED
            delivery.next_attempt_at = None
        else:
            delivery.next_attempt_at = now + BACKOFF[delivery.attempts - 1]
        logger.warning(
            "alert e-mail %s failed (attempt %s): %s",
            delivery.pk,
            delivery.attempts,
            delivery.last_error,
        )
    else:
        delivery.status = DeliveryStatus.SENT
        delivery.sent_at = now
        delivery.next_attempt_at = None
        delivery.last_error = ""
    delivery.save(update_fields=["attempts", "last_error", "status", "next_attempt_at", "sent_at"])
    if delivery.status == DeliveryStatus.PENDING and delivery.next_attempt_at is not None:
        from haucan.alerts.tasks import send_delivery_task

        send_delivery_task.using(run_after=delivery.next_attempt_at).enqueue(delivery.pk)
    return str(delivery.status)


def send_due(now: datetime | None = None) -> int:
    """Send every pending delivery that is due (the scheduler's sweep); returns how many tried."""
    now = now or timezone.now()
    due = list(
        EmailDelivery.objects.filter(status=DeliveryStatus.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .values_list("pk", flat=True)[:500]
    )
    for pk in due:
        send(pk, now)
    return len(due)
