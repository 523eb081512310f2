"""Web hardening (issue 10 §4): deploy checks, security headers, CSP without inline script,
CSRF on forms and HTMX, user text escaped in pages and charts."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from haucan.dashboards.tests.conftest import board, issued  # noqa: F401 - shared fixtures
from haucan.org.models import Unit
from haucan.reporting.tests.conftest import fuel_form  # noqa: F401 - shared fixture
from haucan.testing import World

ROOT = Path(__file__).resolve().parents[3]
PACKAGE = ROOT / "haucan"
XSS = "<script>alert(1)</script>"


def test_check_deploy_is_clean_with_production_settings(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "haucan.config.settings",
        "HAUCAN_DATA_DIR": str(tmp_path),
        "HAUCAN_SECRET_KEY": secrets.token_urlsafe(60),
        "HAUCAN_TLS": "true",
        "HAUCAN_ALLOWED_HOSTS": "haucan.qdnd.local",
        "HAUCAN_DEBUG": "false",
    }
    env.pop("DATABASE_URL", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser tests' modules, not production
    result = subprocess.run(
        [sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_without_tls_the_deploy_check_warns(tmp_path: Path) -> None:
    # The check is meaningful: the same settings without HAUCAN_TLS are not clean.
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "haucan.config.settings",
        "HAUCAN_DATA_DIR": str(tmp_path),
        "HAUCAN_SECRET_KEY": secrets.token_urlsafe(60),
    }
    env.pop("HAUCAN_TLS", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = subprocess.run(
        [sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "security.W004" in result.stderr + result.stdout  # no HSTS


def test_every_page_carries_the_security_headers(login: object, world: World) -> None:
    response = login("clerk_a").get("/")  # type: ignore[operator]
    csp = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";") if part.strip())
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"  # no 'unsafe-inline', no 'unsafe-eval'
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert "camera=()" in response["Permissions-Policy"]
    assert "Strict-Transport-Security" not in response  # HSTS only when TLS is on


def test_hsts_is_sent_over_https_when_tls_is_on(settings: object, world: World) -> None:
    settings.SECURE_HSTS_SECONDS = 31536000  # type: ignore[attr-defined]
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True  # type: ignore[attr-defined]
    response = Client().get("/login/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_the_api_docs_page_runs_under_the_policy(client: Client, world: World) -> None:
    client.force_login(world.clerk_a)
    response = client.get("/api/docs")
    assert response.status_code == 200
    assert "script-src 'self'" in response["Content-Security-Policy"]
    for script in re.findall(r"<script([^>]*)>(.*?)</script>", response.text, re.S):
        attrs, _body = script
        assert "src=" in attrs or 'type="application/json"' in attrs, script


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
HANDLER = re.compile(r"\son[a-z]+\s*=\s*[\"']", re.I)


def _templates() -> list[Path]:
    return sorted(PACKAGE.glob("*/templates/**/*.html"))


def test_no_template_has_inline_script_or_event_handler_attributes() -> None:
    offenders = []
    for path in _templates():
        text = path.read_text(encoding="utf-8")
        for pattern in (INLINE_SCRIPT, HANDLER):
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                offenders.append(f"{path.relative_to(ROOT)}:{line}: {match.group(0).strip()}")
    assert offenders == []


def test_the_template_scan_catches_what_it_should() -> None:
    assert INLINE_SCRIPT.search("<script>alert(1)</script>")
    assert not INLINE_SCRIPT.search('<script src="/static/x.js"></script>')
    assert not INLINE_SCRIPT.search('<script type="application/json" id="d">{}</script>')
    assert HANDLER.search('<select onchange="this.form.submit()">')
    assert not HANDLER.search('<select data-autosubmit class="x">')


# --- CSRF ------------------------------------------------------------------------------------


def test_a_post_without_the_csrf_token_is_refused(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.clerk_a)
    assert client.post("/i18n/setlang/", {"language": "en", "next": "/"}).status_code == 403
    assert client.post("/logout/").status_code == 403
    page = client.get("/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token
    ok = client.post("/i18n/setlang/", {"language": "en", "csrfmiddlewaretoken": token.group(1)})
    assert ok.status_code == 302


def test_htmx_requests_carry_the_token_in_a_header(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.clerk_a)
    page = client.get("/")
    header = re.search(r"<body hx-headers='\{\"X-CSRFToken\": \"([^\"]+)\"\}'>", page.text)
    assert header
    refused = client.post("/i18n/setlang/", {"language": "en"}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 403
    accepted = client.post(
        "/i18n/setlang/",
        {"language": "en"},
        HTTP_HX_REQUEST="true",
        HTTP_X_CSRFTOKEN=header.group(1),
    )
    assert accepted.status_code in (200, 204, 302)


def test_the_login_form_demands_the_csrf_token(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"username": "clerk_a", "password": "x"})
    assert response.status_code == 403


# --- XSS ---------------------------------------------------------------------------------------


@pytest.fixture
def hostile_unit(world: World) -> Unit:
    Unit.objects.filter(pk=world.regiment_a.pk).update(name=XSS)
    world.regiment_a.refresh_from_db()
    return world.regiment_a


def test_a_unit_named_like_a_script_is_escaped_on_pages(
    login: object, world: World, hostile_unit: Unit
) -> None:
    client = login("commander")  # type: ignore[operator]
    pages = ["/", "/units/", f"/units/{hostile_unit.uid}/", "/reporting/completeness/"]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert XSS not in response.text, url


def test_a_unit_named_like_a_script_is_escaped_in_chart_labels(
    login: object,
    world: World,
    hostile_unit: Unit,
    board: object,  # noqa: F811
    issued: object,  # noqa: F811
) -> None:
    client = login("commander")  # type: ignore[operator]
    vis = board.by_unit  # type: ignore[attr-defined]
    body = client.get(f"/dashboards/item/{vis.uid}/data/", {"ou": world.division.uid}).json()
    labels = body["figure"]["data"][0]["x"]
    assert labels == ["&lt;script&gt;alert(1)&lt;/script&gt;", "Trung đoàn 2"]
    pivot = client.get(f"/dashboards/item/{board.pivot.uid}/data/", {"ou": world.division.uid})  # type: ignore[attr-defined]
    assert XSS not in pivot.json()["html"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pivot.json()["html"]


# --- Uploads -----------------------------------------------------------------------------------


def test_an_oversized_request_is_refused_before_it_is_read(
    login: object, world: World, settings: object
) -> None:
    settings.HAUCAN_MAX_REQUEST_BYTES = 1024 * 1024  # type: ignore[attr-defined]
    client = login("clerk_a")  # type: ignore[operator]
    body = b"x" * (1024 * 1024 + 1)
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post("/exchange/upload/", {"file": SimpleUploadedFile("big.xlsx", body)})
    assert response.status_code == 413
    api = client.post("/api/dataValueSets", data=body, content_type="application/json")
    assert api.status_code == 413
    assert api.json()["httpStatusCode"] == 413


def test_an_upload_that_is_not_a_workbook_is_refused_by_content_not_name(
    login: object, world: World
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = login("clerk_a")  # type: ignore[operator]
    script = SimpleUploadedFile("report.xlsx", b"#!/bin/sh\nrm -rf /\n")
    response = client.post("/exchange/upload/", {"file": script})
    assert response.status_code == 400
    assert "xlsx" in response.text


def test_no_media_folder_is_served() -> None:
    from django.conf import settings

    assert not settings.MEDIA_URL or settings.MEDIA_URL == "/"  # nothing uploaded is published
    assert not settings.MEDIA_ROOT
