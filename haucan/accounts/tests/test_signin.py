"""Signing in: password policy, lockout (form and API Basic), audit of every sign-in event."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client

from haucan.accounts import security
from haucan.accounts.models import User
from haucan.audit.models import AuditEvent
from haucan.testing import PASSWORD, World


def actions(prefix: str = "auth.") -> list[str]:
    return list(
        AuditEvent.objects.filter(action__startswith=prefix).values_list("action", flat=True)
    )


# --- Password policy -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    [
        "short1!",  # under 10 characters
        "password1234",  # a common password
        "1234567890123",  # only digits
        "clerk_a-mua-thu-2024",  # contains the user name
        "a_krelc-mua-thu-2024",  # the user name backwards
        "CLERK_A-mua-thu-2024",  # whatever the case
    ],
)
def test_password_policy_refuses(world: World, password: str) -> None:
    with pytest.raises(ValidationError):
        validate_password(password, world.clerk_a)


def test_password_policy_accepts_a_long_unrelated_passphrase(world: World) -> None:
    validate_password("Kho xăng Trung đoàn 7", world.clerk_a)


def test_passwords_are_hashed_with_argon2_in_production(settings: object) -> None:
    from django.conf import settings as live

    assert live.PASSWORD_HASHERS  # the test suite swaps in MD5 for speed; production is Argon2
    from haucan.config import settings as production

    assert production.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


# --- Audit of sign-in ------------------------------------------------------------------------


def test_a_successful_and_a_failed_sign_in_are_audited_with_the_address(
    client: Client, world: World
) -> None:
    client.post("/login/", {"username": "clerk_a", "password": "wrong"}, REMOTE_ADDR="10.1.1.1")
    client.post("/login/", {"username": "clerk_a", "password": PASSWORD}, REMOTE_ADDR="10.1.1.1")
    failed, ok = AuditEvent.objects.filter(action__startswith="auth.").order_by("id")
    assert (failed.action, failed.actor, failed.detail["username"]) == (
        "auth.login_failed",
        "clerk_a",
        "clerk_a",
    )
    assert failed.detail["ip"] == "10.1.1.1"
    assert (ok.action, ok.actor_id, ok.detail["ip"]) == ("auth.login", world.clerk_a.pk, "10.1.1.1")


# --- Lockout ---------------------------------------------------------------------------------


def fail(client: Client, username: str, times: int, ip: str = "10.0.0.1") -> None:
    for _i in range(times):
        response = client.post(
            "/login/", {"username": username, "password": "wrong"}, REMOTE_ADDR=ip
        )
        assert response.status_code in (200, 429)


def test_five_failures_lock_the_account_even_with_the_right_password(
    client: Client, world: World
) -> None:
    fail(client, "clerk_a", 5)
    response = client.post(
        "/login/", {"username": "clerk_a", "password": PASSWORD}, REMOTE_ADDR="10.0.0.9"
    )
    assert response.status_code == 429
    assert 'data-testid="locked-out"' in response.text
    assert "_auth_user_id" not in client.session
    assert actions() == ["auth.login_failed"] * 4 + ["auth.lockout"] * 2
    # Another account from another address is not affected.
    other = Client()
    ok = other.post(
        "/login/", {"username": "clerk_b", "password": PASSWORD}, REMOTE_ADDR="10.0.0.7"
    )
    assert ok.status_code == 302


def test_failures_from_one_address_lock_that_address_for_every_account(
    client: Client, world: World
) -> None:
    for name in ("x1", "x2", "x3", "x4", "x5"):
        fail(client, name, 1, ip="10.0.0.66")
    locked = client.post(
        "/login/", {"username": "clerk_b", "password": PASSWORD}, REMOTE_ADDR="10.0.0.66"
    )
    assert locked.status_code == 429
    elsewhere = Client().post(
        "/login/", {"username": "clerk_b", "password": PASSWORD}, REMOTE_ADDR="10.0.0.67"
    )
    assert elsewhere.status_code == 302


def basic(name: str, password: str) -> dict[str, Any]:
    token = base64.b64encode(f"{name}:{password}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}", "REMOTE_ADDR": "10.0.0.5"}


def test_the_api_basic_auth_counts_failures_and_is_locked_too(client: Client, world: World) -> None:
    for _i in range(5):
        assert client.get("/api/me", **basic("clerk_a", "wrong")).status_code in (401, 429)
    response = client.get("/api/me", **basic("clerk_a", PASSWORD))
    assert response.status_code == 429
    assert response.json()["errorCode"] == "LockedOut"
    assert actions()[-1] == "auth.lockout"
    assert AuditEvent.objects.filter(action="auth.login_failed", detail__via="basic").count() == 4


def test_an_administrator_unlocks_an_account_from_the_admin_and_it_is_audited(
    client: Client, world: World
) -> None:
    fail(client, "clerk_a", 5)
    admin = Client()
    admin.force_login(world.admin)
    user = world.clerk_a
    response = admin.post(
        "/django-admin/accounts/user/",
        {"action": "unlock_sign_in", "_selected_action": [user.pk]},
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="auth.unlock")
    assert (event.actor, event.object_id, event.detail["username"]) == (
        "admin",
        "clerk_a",
        "clerk_a",
    )
    ok = client.post(
        "/login/", {"username": "clerk_a", "password": PASSWORD}, REMOTE_ADDR="10.0.0.2"
    )
    assert ok.status_code == 302


def test_unlock_by_address_from_the_lockout_list(client: Client, world: World) -> None:
    from axes.models import AccessAttempt

    fail(client, "nobody", 5, ip="10.0.0.80")
    attempt = AccessAttempt.objects.get(ip_address="10.0.0.80")
    admin = Client()
    admin.force_login(world.admin)
    assert admin.get("/django-admin/axes/accessattempt/").status_code == 200
    admin.post(
        "/django-admin/axes/accessattempt/",
        {"action": "unlock", "_selected_action": [attempt.pk]},
    )
    assert not AccessAttempt.objects.filter(ip_address="10.0.0.80").exists()
    assert AuditEvent.objects.get(action="auth.unlock").detail["ip"] == "10.0.0.80"


def test_only_an_administrator_may_unlock(world: World, scope_of: object) -> None:
    from haucan.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        security.unlock(scope_of("commander"), username="clerk_a")  # type: ignore[operator]


def test_the_django_admin_signs_in_through_our_login_page(client: Client, world: World) -> None:
    response = client.get("/django-admin/login/?next=/django-admin/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/django-admin/"


def test_a_deactivated_user_cannot_sign_in(client: Client, world: World) -> None:
    User.objects.filter(pk=world.clerk_a.pk).update(is_active=False)
    response = client.post("/login/", {"username": "clerk_a", "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_signing_out_is_audited(client: Client, world: World) -> None:
    client.force_login(world.clerk_a)
    client.post("/logout/")
    event = AuditEvent.objects.get(action="auth.logout")
    assert (event.actor, event.object_id) == ("clerk_a", str(world.clerk_a.pk))
