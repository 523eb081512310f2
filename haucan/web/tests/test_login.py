"""Signing in and out, in Vietnamese by default."""

from __future__ import annotations

from django.test import Client

from haucan.testing import PASSWORD, World


def test_login_page_renders_in_vietnamese(client: Client, world: World) -> None:
    response = client.get("/login/")
    assert response.status_code == 200
    assert '<html lang="vi">' in response.text
    assert "Hậu Cần Số" in response.text
    assert 'name="password"' in response.text


def test_login_with_the_right_password_goes_home(client: Client, world: World) -> None:
    response = client.post("/login/", {"username": "clerk_a", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_login_with_a_wrong_password_shows_an_error(client: Client, world: World) -> None:
    response = client.post("/login/", {"username": "clerk_a", "password": "wrong-password"})
    assert response.status_code == 200
    assert 'class="alert alert-danger"' in response.text


def test_logout_is_a_post_and_ends_the_session(client: Client, world: World) -> None:
    client.force_login(world.clerk_a)
    response = client.post("/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert client.get("/").status_code == 302


def test_language_switch_to_english(client: Client, world: World) -> None:
    client.force_login(world.clerk_a)
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert '<html lang="en">' in client.get("/").text
