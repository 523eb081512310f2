"""E-mail: immediate and digest deliveries (locmem), a real SMTP server on loopback (aiosmtpd)
receiving Vietnamese intact, and a retry with backoff after an SMTP failure."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from django.core import mail as django_mail
from django.utils import timezone

from haucan.alerts import mail
from haucan.alerts.models import (
    DeliveryStatus,
    EmailDelivery,
    EmailMode,
    Notification,
    NotificationPreference,
)
from haucan.alerts.services import raise_event
from haucan.alerts.tests.conftest import SYSTEM
from haucan.core.scope import Domain
from haucan.testing import World

MESSAGE = "Tồn xăng A92 của kho Đồng Hới dưới mức dự trữ sẵn sàng chiến đấu"


@pytest.fixture
def mailing(world: World, settings: Any) -> World:
    settings.HAUCAN_EMAIL_ENABLED = True
    settings.DEFAULT_FROM_EMAIL = "haucan@example.vn"
    for user in (world.clerk_a, world.commander, world.specialist):
        user.email = f"{user.username}@example.vn"
        user.save(update_fields=["email"])
    return world


def _raise(world: World, capture: Any) -> None:
    with capture(execute=True):
        raise_event(
            SYSTEM,
            code="petroleum.low",
            domain=Domain.PETROLEUM,
            unit=world.battalion_a,
            severity="critical",
            message=MESSAGE,
        )


def test_immediate_mail_is_queued_after_commit_and_sent_by_the_task(
    mailing: World, django_capture_on_commit_callbacks: Any
) -> None:
    NotificationPreference.objects.create(user=mailing.specialist, email_mode=EmailMode.OFF)
    _raise(mailing, django_capture_on_commit_callbacks)
    deliveries = EmailDelivery.objects.order_by("address")
    assert [d.address for d in deliveries] == ["clerk_a@example.vn", "commander@example.vn"]
    assert django_mail.outbox == []  # nothing is sent inside the writer's transaction
    for d in deliveries:
        assert mail.send(d.pk) == "sent"
        assert mail.send(d.pk) == "skipped"  # claimed once: never sent twice
    assert len(django_mail.outbox) == 2
    assert MESSAGE in django_mail.outbox[0].body
    assert django_mail.outbox[0].subject.startswith("[Hậu Cần Số]")
    assert Notification.objects.filter(emailed=True).count() == 2


def test_digest_users_get_one_mail_a_day(
    mailing: World, django_capture_on_commit_callbacks: Any
) -> None:
    for user in (mailing.clerk_a, mailing.commander, mailing.specialist):
        NotificationPreference.objects.create(user=user, email_mode=EmailMode.DIGEST)
    _raise(mailing, django_capture_on_commit_callbacks)
    assert EmailDelivery.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=False):
        assert mail.queue_digests() == 3
    assert mail.queue_digests() == 0  # already e-mailed
    assert set(EmailDelivery.objects.values_list("kind", flat=True)) == {"digest"}


def test_mail_is_off_without_an_smtp_host(
    world: World, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.HAUCAN_EMAIL_ENABLED = False
    world.clerk_a.email = "a@example.vn"
    world.clerk_a.save()
    _raise(world, django_capture_on_commit_callbacks)
    assert EmailDelivery.objects.count() == 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Collect:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.original_content))
        return "250 OK"


@pytest.fixture
def smtp(settings: Any) -> Iterator[tuple[int, _Collect]]:
    from aiosmtpd.controller import Controller

    port = _free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    handler = _Collect()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    yield port, handler
    if getattr(controller, "_thread", None) is not None:
        controller.stop()
    smtp_controller = controller
    del smtp_controller


def test_a_real_smtp_server_receives_vietnamese_intact_after_a_failed_attempt(
    mailing: World, smtp: tuple[int, _Collect], django_capture_on_commit_callbacks: Any
) -> None:
    from aiosmtpd.controller import Controller

    port, handler = smtp
    NotificationPreference.objects.create(user=mailing.commander, email_mode=EmailMode.OFF)
    NotificationPreference.objects.create(user=mailing.specialist, email_mode=EmailMode.OFF)
    _raise(mailing, django_capture_on_commit_callbacks)
    delivery = EmailDelivery.objects.get()
    now = timezone.now()

    # The server is not up yet: the attempt fails, is recorded, and waits one minute.
    assert mail.send(delivery.pk, now) == "pending"
    delivery.refresh_from_db()
    assert delivery.attempts == 1
    assert "Connection" in delivery.last_error or "refused" in delivery.last_error.lower()
    assert delivery.next_attempt_at == now + timedelta(minutes=1)
    assert mail.send(delivery.pk, now + timedelta(seconds=30)) == "skipped"  # not due yet

    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        assert mail.send(delivery.pk, now + timedelta(minutes=2)) == "sent"
    finally:
        controller.stop()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == (DeliveryStatus.SENT, 2, "")
    [received] = handler.messages
    body = received.get_payload(decode=True)
    assert isinstance(body, bytes)
    assert MESSAGE in body.decode(received.get_content_charset() or "utf-8")
    from email.header import decode_header, make_header

    assert str(make_header(decode_header(received["Subject"]))).startswith(
        "[Hậu Cần Số] Cảnh báo: " + MESSAGE
    )
    assert received["To"] == "clerk_a@example.vn"


def test_a_delivery_gives_up_after_the_last_backoff(
    mailing: World, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", _free_port(), 2
    settings.EMAIL_USE_TLS = False
    _raise(mailing, django_capture_on_commit_callbacks)
    delivery = EmailDelivery.objects.order_by("pk").first()
    assert delivery is not None
    moment = timezone.now()
    statuses = []
    for _ in range(mail.MAX_ATTEMPTS):
        statuses.append(mail.send(delivery.pk, moment))
        moment += timedelta(days=1)
    assert statuses == ["pending"] * (mail.MAX_ATTEMPTS - 1) + ["failed"]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 6, None)
