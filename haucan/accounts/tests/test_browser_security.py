"""In headless Chromium, under the real Content-Security-Policy: an administrator sets up
two-step sign-in from the QR page on first sign-in, signs in again with a code, switches the
language (the select that used to carry onchange=), and opens the API docs. No page error and no
CSP violation anywhere. Run with `pytest -m browser`."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from haucan.testing import PASSWORD

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's loop runs in this thread

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no headless Chromium at /usr/bin/chromium"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def page(live_server: Any, settings: Any) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    settings.HAUCAN_MFA_ENFORCED = True
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
        )
        context = browser.new_context(locale="vi-VN")  # bypass_csp stays False
        context.set_default_timeout(15_000)
        page = context.new_page()
        problems: list[str] = []
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on(
            "console",
            lambda message: (
                problems.append(f"{message.text} {message.location.get('url', '')}")
                if "Content Security Policy" in message.text or message.type == "error"
                else None
            ),
        )
        yield page
        browser.close()
    assert [p for p in problems if not p.endswith("/favicon.ico")] == []


def current_code(device: TOTPDevice, offset: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + offset
    return f"{totp.token():06d}"


def test_admin_enrols_from_the_qr_page_then_signs_in_with_a_code(
    page: Any, live_server: Any, world: Any
) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=mfa-qr]")
    assert page.eval_on_selector("[data-testid=mfa-qr]", "img => img.naturalWidth") > 100
    device = TOTPDevice.objects.get(user=world.admin, confirmed=False)
    page.fill("#id_token", current_code(device))
    page.click("button[type=submit].btn-hc")
    page.wait_for_selector("[data-testid=recovery-codes]")
    assert len(page.locator("[data-testid=recovery-codes] li").all()) == 10
    page.click("[data-testid=mfa-continue]")
    page.wait_for_url(f"{live_server.url}/")

    # Sign out and in again: the code step follows the password.
    page.click("form[action='/logout/'] button")
    page.wait_for_url(f"{live_server.url}/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/account/two-step/verify/?next=%2F")
    device.refresh_from_db()
    page.fill("#id_token", current_code(device, offset=30))  # the next step's code
    page.click("button[type=submit].btn-hc")
    page.wait_for_url(f"{live_server.url}/")

    # The language switch works without an inline handler.
    page.select_option("#hc-language", "en")
    page.wait_for_selector("html[lang=en]")

    page.goto(f"{live_server.url}/api/docs")
    page.wait_for_selector(".swagger-ui .info .title")
