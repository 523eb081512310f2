"""The Operations Room in headless Chromium: the commander drills from the division to a
regiment by clicking its bar and exports the item to XLSX; a screenshot of the demo overview.
Run with `pytest -m browser`; skipped when /usr/bin/chromium is missing."""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook

from haucan.testing import PASSWORD

# Playwright's sync API runs an event loop in this thread; the ORM calls made here are still
# synchronous and safe, so Django's async-unsafe guard is lifted for this module only.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
# Refresh docs/img/dashboard.png with HAUCAN_SCREENSHOTS=docs/img; otherwise keep the tree clean.
SCREENSHOT = Path(os.environ.get("HAUCAN_SCREENSHOTS") or tempfile.gettempdir()) / "dashboard.png"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="headless Chromium is not installed at /usr/bin/chromium"
    ),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def page(live_server) -> Iterator[object]:
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
        context = browser.new_context(
            locale="vi-VN", viewport={"width": 1400, "height": 1000}, accept_downloads=True
        )
        context.set_default_timeout(15_000)
        page = context.new_page()
        errors: list[str] = []
        outside: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on(
            "request",
            lambda request: (
                outside.append(request.url)
                if not request.url.startswith((live_server.url, "data:", "blob:"))
                else None
            ),
        )
        yield page
        browser.close()
    assert errors == []  # no script error on the page
    assert outside == []  # air-gapped: nothing requested from outside the server


def sign_in(page, live_server, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def wait_drawn(page) -> None:
    page.wait_for_selector("#hc-board[data-loaded='1']")


def test_commander_drills_down_by_clicking_a_bar_and_exports_xlsx(
    page, live_server, world, board, issued
):
    sign_in(page, live_server, "commander")
    page.goto(f"{live_server.url}/dashboards/")
    page.click(f"a[href='/dashboards/{board.dashboard.uid}/']")
    wait_drawn(page)
    assert page.text_content("[data-testid=current-unit]") == "Sư đoàn 324"

    card = page.locator(f".hc-item[data-uid='{board.by_unit.uid}']")
    bars = card.locator("g.barlayer g.point path")
    assert bars.count() == 2
    with page.expect_navigation():
        bars.first.click(force=True)  # Trung đoàn 1
    wait_drawn(page)

    assert f"ou={world.regiment_a.uid}" in page.url
    assert page.text_content("[data-testid=current-unit]") == "Trung đoàn 1"
    crumbs = page.locator("[data-testid=unit-breadcrumb] a")
    assert "Sư đoàn 324" in crumbs.all_text_contents()

    crumbs.filter(has_text="Sư đoàn 324").click()  # back up
    wait_drawn(page)
    card = page.locator(f".hc-item[data-uid='{board.pivot.uid}']")
    assert "1.234,5" in card.locator(".hc-pivot").text_content()
    card.locator("[data-bs-toggle=dropdown]").click()
    with page.expect_download() as caught:
        card.locator(".hc-export[data-fmt=xlsx]").click()
    download = caught.value
    assert download.suggested_filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(Path(download.path()).read_bytes())).active
    assert sheet["A7"].value == "Trung đoàn 1"
    assert sheet["B7"].value == 1234.5


def test_screenshot_of_the_demo_overview(page, live_server, django_db_blocker):
    from haucan.core.scope import Scope
    from haucan.dashboards.models import Dashboard
    from haucan.dashboards.services import load_demo_dashboards
    from haucan.demo.loader import DEMO_PASSWORD, load_demo

    load_demo(months=3, seed=7)
    load_demo_dashboards(Scope.system("demo"))
    overview = Dashboard.objects.get(code="DB_TONG_QUAN")

    sign_in(page, live_server, "commander", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/dashboards/{overview.uid}/")
    wait_drawn(page)
    page.wait_for_timeout(500)  # let Plotly finish its transitions
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert page.locator(".hc-item .alert-warning").count() == 0  # every item drew
