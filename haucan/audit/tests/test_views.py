"""The audit log page and admin: administrators read it; nobody changes it."""

from __future__ import annotations

from django.test import Client

from haucan.audit.models import AuditEvent
from haucan.audit.services import record
from haucan.core.scope import Scope
from haucan.testing import PASSWORD, World


def test_an_administrator_lists_and_filters_the_events(login: object, world: World) -> None:
    Client().post("/login/", {"username": "clerk_a", "password": "wrong"})
    client = login("admin")  # type: ignore[operator]
    page = client.get("/audit/")
    assert page.status_code == 200
    assert 'data-testid="audit-events"' in page.text
    assert "org.unit.create" in page.text
    only_auth = client.get("/audit/", {"action": "auth."})
    assert "auth.login_failed" in only_auth.text
    assert "org.unit.create" not in only_auth.text
    by_actor = client.get("/audit/", {"actor": "nobody-at-all"})
    assert "No events match." in by_actor.text or "Không có" in by_actor.text


def test_the_audit_page_is_for_administrators_only(login: object, world: World) -> None:
    for persona in ("clerk_a", "commander", "specialist"):
        assert login(persona).get("/audit/").status_code == 403  # type: ignore[operator]
    assert Client().get("/audit/").status_code == 302


def test_the_audit_page_accepts_no_writes(login: object, world: World) -> None:
    client = login("admin")  # type: ignore[operator]
    before = AuditEvent.objects.count()
    assert client.post("/audit/", {"action": "x"}).status_code == 405
    assert AuditEvent.objects.count() == before


def test_user_text_in_the_log_is_escaped(login: object, world: World) -> None:
    record(Scope.system("test"), "test.event", "<script>alert(1)</script>", {"n": "<b>x</b>"})
    text = login("admin").get("/audit/").text  # type: ignore[operator]
    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_the_django_admin_shows_the_log_read_only_even_to_a_superuser(
    login: object, world: World
) -> None:
    client = login("admin")  # type: ignore[operator]
    event = AuditEvent.objects.first()
    assert event is not None
    assert client.get("/django-admin/audit/auditevent/").status_code == 200
    view = client.get(f"/django-admin/audit/auditevent/{event.pk}/change/")
    assert view.status_code == 200
    assert 'name="_save"' not in view.text
    assert client.post(f"/django-admin/audit/auditevent/{event.pk}/change/", {}).status_code == 403
    assert client.get(f"/django-admin/audit/auditevent/{event.pk}/delete/").status_code == 403
    assert client.get("/django-admin/audit/auditevent/add/").status_code == 403


def test_sign_in_events_show_up_for_the_administrator(world: World) -> None:
    client = Client()
    client.post("/login/", {"username": "clerk_a", "password": PASSWORD})
    admin = Client()
    admin.force_login(world.admin)
    assert "auth.login" in admin.get("/audit/", {"actor": "clerk_a"}).text
