"""Personal API tokens: hashed storage, the narrowed scope, expiry and revocation, and the page
where users manage their own tokens."""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta

import pytest
from django.test import Client, RequestFactory
from django.utils import timezone
from ninja.errors import HttpError

from haucan.accounts.models import ApiToken
from haucan.accounts.tokens import create_token, narrow_scope, revoke_token
from haucan.config.api import ApiTokenAuth
from haucan.core.errors import NotFound, PermissionDenied, ValidationFailed
from haucan.core.scope import Action
from haucan.testing import PASSWORD, build_fuel_form


def _token(world, scope_of, name="clerk_a", **options):
    _token_row, plaintext = create_token(scope_of(name), world.user(name), "script", **options)
    return plaintext


def _get(client, url, plaintext, **params):
    return client.get(url, params, HTTP_AUTHORIZATION=f"ApiToken {plaintext}")


# --- The service ----------------------------------------------------------------------------


def test_it_stores_only_the_hash_and_returns_the_plaintext_once(world, scope_of):
    token, plaintext = create_token(scope_of("clerk_a"), world.clerk_a, "  Báo cáo tự động ")
    assert plaintext.startswith("hcs_") and len(plaintext) == 4 + 43
    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.token_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    assert stored.prefix == plaintext[:12]
    assert stored.name == "Báo cáo tự động"
    assert plaintext not in {stored.token_hash, stored.prefix, stored.name}


def test_it_refuses_tokens_for_someone_else(world, scope_of):
    with pytest.raises(PermissionDenied):
        create_token(scope_of("admin"), world.clerk_a, "x")


def test_it_refuses_a_unit_outside_the_owners_scope(world, scope_of):
    with pytest.raises(NotFound):
        create_token(scope_of("clerk_a"), world.clerk_a, "x", unit=world.regiment_b)


def test_it_refuses_a_past_expiry_and_an_empty_name(world, scope_of):
    with pytest.raises(ValidationFailed, match="future"):
        create_token(
            scope_of("clerk_a"), world.clerk_a, "x", expires_at=timezone.now() - timedelta(1)
        )
    with pytest.raises(ValidationFailed, match="name"):
        create_token(scope_of("clerk_a"), world.clerk_a, "   ")


def test_only_the_owner_can_revoke(world, scope_of):
    token, _plaintext = create_token(scope_of("clerk_a"), world.clerk_a, "x")
    with pytest.raises(NotFound):
        revoke_token(scope_of("clerk_b"), token.pk)
    assert revoke_token(scope_of("clerk_a"), token.pk).revoked_at is not None


def test_narrowing_intersects_with_the_owners_subtrees(world, scope_of):
    commander = scope_of("commander")
    narrowed = narrow_scope(commander, world.regiment_a)
    assert narrowed.unit_paths == frozenset({world.regiment_a.path})
    assert narrowed.covers_path(world.battalion_a.path)
    assert not narrowed.covers_path(world.regiment_b.path)
    # Asked for a wider unit than the owner has, the token keeps only the owner's subtree.
    assert narrow_scope(scope_of("clerk_a"), world.division).unit_paths == frozenset(
        {world.regiment_a.path}
    )
    # An administrator's token limited to a regiment is no longer global.
    admin = narrow_scope(scope_of("admin"), world.regiment_a)
    assert not admin.is_global and admin.can(Action.ADMINISTER)
    assert not admin.covers_path(world.regiment_b.path)


def test_a_read_only_scope_keeps_only_view(world, scope_of):
    clerk = narrow_scope(scope_of("clerk_a"), None, read_only=True)
    assert clerk.can(Action.VIEW) and not clerk.can(Action.ENTER)
    admin = narrow_scope(scope_of("admin"), None, read_only=True)
    assert admin.is_global and admin.can(Action.VIEW) and not admin.can(Action.ADMINISTER)


# --- The API ----------------------------------------------------------------------------------


def test_a_token_signs_in_as_its_owner(world, scope_of, client):
    plaintext = _token(world, scope_of)
    response = _get(client, "/api/me", plaintext)
    assert response.status_code == 200
    assert response.json()["username"] == "clerk_a"
    assert ApiToken.objects.get().last_used_at is not None


def test_clerk_a_token_cannot_reach_clerk_b_unit(world, scope_of, client):
    plaintext = _token(world, scope_of)
    response = _get(client, f"/api/organisationUnits/{world.regiment_b.uid}", plaintext)
    assert response.status_code == 404
    assert response.json()["status"] == "ERROR"
    assert (
        _get(client, f"/api/organisationUnits/{world.battalion_b.uid}.json", plaintext).status_code
        == 404
    )
    listed = _get(
        client, "/api/organisationUnits", plaintext, filter=f"id:eq:{world.regiment_b.uid}"
    )
    assert listed.json()["organisationUnits"] == []
    own = _get(client, f"/api/organisationUnits/{world.regiment_a.uid}", plaintext)
    assert own.status_code == 200


def test_a_unit_token_sees_only_that_subtree(world, scope_of, client):
    plaintext = _token(world, scope_of, "commander", unit=world.regiment_a)
    listed = _get(client, "/api/organisationUnits", plaintext, fields="code", paging="false")
    assert sorted(u["code"] for u in listed.json()["organisationUnits"]) == [
        "F324-E1",
        "F324-E1-D1",
    ]
    assert (
        _get(client, f"/api/organisationUnits/{world.regiment_b.uid}", plaintext).status_code == 404
    )
    me = _get(client, "/api/me", plaintext).json()
    assert me["organisationUnits"] == [{"id": world.regiment_a.uid, "name": "Trung đoàn 1"}]


def test_revoked_and_expired_tokens_are_401(world, scope_of, client):
    token, plaintext = create_token(scope_of("clerk_a"), world.clerk_a, "x")
    revoke_token(scope_of("clerk_a"), token.pk)
    response = _get(client, "/api/me", plaintext)
    assert response.status_code == 401
    assert response.json()["message"] == "Invalid API token."

    token, plaintext = create_token(
        scope_of("clerk_a"), world.clerk_a, "y", expires_at=timezone.now() + timedelta(hours=1)
    )
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = _get(client, "/api/me", plaintext)
    assert response.status_code == 401
    assert response.json()["message"] == "The API token has expired."


def test_an_unknown_token_is_401_even_with_a_session(world, login):
    client = login("clerk_a")
    assert _get(client, "/api/me", "hcs_not-a-token").status_code == 401
    assert _get(client, "/api/me", "garbage").status_code == 401


def test_a_read_only_token_refuses_writes(world, scope_of):
    plaintext = _token(world, scope_of, read_only=True)
    auth = ApiTokenAuth()
    factory = RequestFactory()
    assert auth(factory.get("/api/me", HTTP_AUTHORIZATION=f"ApiToken {plaintext}")) == world.clerk_a
    with pytest.raises(HttpError) as refused:
        auth(factory.post("/api/dataValues", HTTP_AUTHORIZATION=f"ApiToken {plaintext}"))
    assert refused.value.status_code == 403


def test_session_and_basic_auth_still_work(world, login, client):
    basic = base64.b64encode(f"clerk_b:{PASSWORD}".encode()).decode()
    response = client.get("/api/me", HTTP_AUTHORIZATION=f"Basic {basic}")
    assert response.json()["username"] == "clerk_b"
    assert login("clerk_a").get("/api/me").json()["username"] == "clerk_a"


# --- The page -----------------------------------------------------------------------------------


def test_the_page_creates_a_token_and_shows_it_once(world, login):
    client = login("clerk_a")
    response = client.post(
        "/account/tokens/",
        {"name": "Máy chủ tổng hợp", "expires_on": "31/12/2099", "unit": "F324-E1-D1"},
    )
    assert response.status_code == 200
    token = ApiToken.objects.get()
    plaintext = response.context["plaintext"]
    assert hashlib.sha256(plaintext.encode()).hexdigest() == token.token_hash
    assert plaintext in response.text
    assert token.unit == world.battalion_a
    assert timezone.localtime(token.expires_at).date().isoformat() == "2100-01-01"
    again = client.get("/account/tokens/")
    assert "Máy chủ tổng hợp" in again.text and plaintext not in again.text


def test_the_page_refuses_a_unit_outside_the_scope(world, login):
    response = login("clerk_a").post("/account/tokens/", {"name": "x", "unit": "F324-E2"})
    assert response.status_code == 200
    assert response.context["form"].errors["unit"] == [
        "Không tìm thấy đơn vị."
    ]  # pages speak Vietnamese
    assert not ApiToken.objects.exists()


def test_the_page_revokes_only_own_tokens(world, scope_of, login, client):
    token, _plaintext = create_token(scope_of("clerk_a"), world.clerk_a, "x")
    login("clerk_b").post(f"/account/tokens/{token.pk}/revoke/")
    assert ApiToken.objects.get().revoked_at is None
    client.logout()
    response = login("clerk_a").post(f"/account/tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    assert ApiToken.objects.get().revoked_at is not None


def test_the_page_needs_a_sign_in(client):
    assert client.get("/account/tokens/").status_code == 302


# --- Writes through the data value endpoint (auth runs before any handler) --------------------


def test_a_read_only_token_cannot_post_data_values(world, scope_of, client):
    plaintext = _token(world, scope_of, read_only=True)
    response = client.post(
        "/api/dataValues?de=X&pe=202401&ou=Y&value=1", HTTP_AUTHORIZATION=f"ApiToken {plaintext}"
    )
    assert response.status_code == 403
    assert response.json()["message"] == "This API token is read-only."


def test_clerk_a_token_cannot_write_clerk_b_unit(world, scope_of, client):
    form = build_fuel_form([world.regiment_a, world.regiment_b])
    plaintext = _token(world, scope_of)
    query = f"de={form.issued.uid}&pe=202401&ou={world.regiment_b.uid}&value=5"
    response = client.post(f"/api/dataValues?{query}", HTTP_AUTHORIZATION=f"ApiToken {plaintext}")
    assert response.status_code in (404, 409)
    assert response.json()["status"] == "ERROR"
    read = _get(
        client,
        "/api/completeDataSetRegistrations",
        plaintext,
        dataSet=form.data_set.uid,
        orgUnit=world.regiment_b.uid,
    )
    assert read.status_code == 404


def test_header_clients_are_not_asked_for_a_csrf_token(world, scope_of):
    # The session scheme demands CSRF on writes; a token or Basic client never reaches it.
    csrf_client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    plaintext = _token(world, scope_of, read_only=True)
    response = csrf_client.post(
        "/api/dataValues?de=X&pe=202401&ou=Y&value=1", HTTP_AUTHORIZATION=f"ApiToken {plaintext}"
    )
    assert response.json()["message"] == "This API token is read-only."
    basic = base64.b64encode(f"clerk_a:{PASSWORD}".encode()).decode()
    response = csrf_client.post(
        "/api/dataValues?de=X&pe=202401&ou=Y&value=1", HTTP_AUTHORIZATION=f"Basic {basic}"
    )
    assert "CSRF" not in response.json().get("message", "")
