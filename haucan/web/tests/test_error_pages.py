"""Error pages render inside the layout, and the 500 page needs nothing but static files."""

from __future__ import annotations

from collections.abc import Callable

from django.template.loader import render_to_string
from django.test import Client

from haucan.testing import World


def test_unknown_page_is_a_friendly_404(login: Callable[[str], Client], world: World) -> None:
    response = login("clerk_a").get("/no-such-page/")
    assert response.status_code == 404
    assert "404" in response.text
    assert "Hậu Cần Số" in response.text


def test_forbidden_page_is_a_friendly_403(login: Callable[[str], Client], world: World) -> None:
    response = login("clerk_a").get("/catalog/elements/new/")
    assert response.status_code == 403
    assert "403" in response.text
    assert 'href="/"' in response.text


def test_500_page_renders_without_a_request() -> None:
    html = render_to_string("500.html")
    assert "500" in html
    assert "/static/bootstrap/css/bootstrap.min.css" in html
