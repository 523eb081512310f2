"""Warnings in headless Chromium: the commander sees the count in the navigation, opens the
warning, acknowledges it; fixing the data (a real commit) resolves it; the wall board shows the
situation. Run with `pytest -m browser`; skipped when /usr/bin/chromium is missing."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from haucan.alerts.models import Alert
from haucan.alerts.rules import save_rule
from haucan.alerts.tests.conftest import SYSTEM
from haucan.testing import PASSWORD, World

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
CHROMIUM = Path("/usr/bin/chromium")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no headless Chromium at /usr/bin/chromium"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def page(live_server: Any) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
            ],
        )
        context = browser.new_context(locale="vi-VN", viewport={"width": 1400, "height": 900})
        context.set_default_timeout(20_000)
        page = context.new_page()
        errors: list[str] = []
        outside: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on(
            "request",
            lambda r: (
                outside.append(r.url)
                if not r.url.startswith((live_server.url, "data:", "blob:"))
                else None
            ),
        )
        yield page
        browser.close()
    assert errors == []
    assert outside == []


def test_commander_acknowledges_and_the_fix_resolves_it(
    page: Any, live_server: Any, world: World, put: Any
) -> None:
    save_rule(
        SYSTEM,
        {
            "code": "LOW",
            "name": "Tồn xăng dầu thấp",
            "kind": "threshold",
            "domain": "petroleum",
            "severity": "critical",
            "expression": "#{PET_STOCK}",
            "operator": "<",
            "compare_to": "100",
            "levels": [5],
            "period_type": "Monthly",
            "lookback": 24,
        },
    )
    put(world.battalion_a, "202611", {("PET_STOCK", "FUEL_1"): 30})  # commits: evaluated now
    alert = Alert.objects.get(code="LOW")

    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "commander")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    assert page.text_content("[data-testid=nav-alerts] .badge") == "1"
    page.click("[data-testid=nav-alerts]")
    row = page.locator("[data-testid=alert-row]")
    assert row.count() == 1
    assert "Tiểu đoàn 1" in row.text_content()
    row.locator("a").click()
    page.fill("#ack-note", "Đã lệnh kho bổ sung")
    page.click("[data-testid=acknowledge]")
    assert page.text_content("[data-testid=alert-status]").strip().startswith("Đã xác nhận")

    put(world.battalion_a, "202611", {("PET_STOCK", "FUEL_1"): 500})  # the clerk fixes it
    page.reload()
    assert page.text_content("[data-testid=alert-status]").strip().startswith("Đã giải quyết")
    alert.refresh_from_db()
    assert alert.status == "resolved"

    put(world.battalion_a, "202611", {("PET_STOCK", "FUEL_1"): 10})  # and it comes back
    page.goto(f"{live_server.url}/dashboards/situation/?wall=1")
    assert page.text_content("[data-testid=board-critical]").strip().startswith("1")
