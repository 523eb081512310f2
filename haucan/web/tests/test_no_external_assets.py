"""Air-gapped: no page and no template may load anything from outside the server (DESIGN §3)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from django.test import Client

import haucan
from haucan.testing import World

# src/href/url(...) pointing off the server, or a protocol-relative //host URL.
EXTERNAL = re.compile(
    r"""(?:src|href|action)\s*=\s*["'](?:https?:)?//|url\(\s*["']?(?:https?:)?//|https?://"""
)
PACKAGE = Path(haucan.__file__).parent


def _ui_files() -> list[Path]:
    return [
        path
        for app in ("web", "org", "catalog")
        for pattern in ("templates/**/*.html", "static/**/*.css", "static/**/*.js")
        for path in (PACKAGE / app).glob(pattern)
    ]


def test_templates_and_static_files_reference_no_external_url() -> None:
    files = _ui_files()
    assert len(files) > 20
    offenders = [str(p) for p in files if EXTERNAL.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_rendered_pages_load_no_external_asset(
    login: Callable[[str], Client], world: World
) -> None:
    client = login("admin")
    unit = world.regiment_a.uid
    urls = [
        "/",
        "/units/",
        f"/units/{unit}/",
        f"/units/{unit}/children/",
        "/units/search/?q=quan",
        "/units/?as_of=01/01/2021",
        f"/units/{unit}/add/",
        f"/units/{unit}/move/",
        f"/units/{unit}/edit/",
        f"/units/{unit}/close/",
        "/catalog/",
        "/catalog/elements/",
        "/catalog/elements/new/",
        "/catalog/forms/",
        "/catalog/forms/new/",
        "/catalog/indicators/",
        "/catalog/indicators/new/",
        "/catalog/rules/",
        "/catalog/rules/new/",
        "/catalog/combos/",
        "/catalog/norms/",
        "/no-such-page/",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code in (200, 404), url
        assert not EXTERNAL.search(response.text), url
    client.logout()
    assert not EXTERNAL.search(client.get("/login/").text)
