"""The barracks screens in headless Chromium: clerk_a registers a building past its service life,
sees the warning on its page and in the end-of-life list, and the registry dashboard's key figure
moves from 0 to 1. Run with `pytest -m browser`; skipped when /usr/bin/chromium is missing."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from haucan.alerts.models import Alert, AlertStatus
from haucan.barracks.dashboard import CODE, load_dashboard
from haucan.barracks.models import Building, BuildingType, ConditionLevel, DurabilityClass, LandSite
from haucan.core.scope import Scope
from haucan.testing import PASSWORD

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's loop runs in this thread

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
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run", "--disable-sync"],
        )  # fmt: skip
        context = browser.new_context(locale="vi-VN", viewport={"width": 1400, "height": 1000})
        context.set_default_timeout(15_000)
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


def sign_in(page: Any, live_server: Any, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def kpi(page: Any, live_server: Any, uid: str) -> str:
    from haucan.dashboards.models import Dashboard

    board = Dashboard.objects.get(code=CODE)
    page.goto(f"{live_server.url}/dashboards/{board.uid}/")
    page.wait_for_selector("#hc-board[data-loaded='1']")
    card = page.locator(f".hc-item[data-uid='{uid}']")
    text = card.locator("text.number")
    # "1 công trình": the number before the unit's suffix
    return str(text.text_content()).split()[0] if text.count() else ""


def test_a_building_past_its_service_life_shows_its_warning_and_moves_the_dashboard(
    page: Any,
    live_server: Any,
    world: Any,
    barracks_forms: None,
    make_site: Callable[..., LandSite],
) -> None:
    from haucan.dashboards.models import Visualization

    site = make_site(world.regiment_a, code="KD-E1")
    make_site(world.regiment_b, code="KD-E2")
    load_dashboard(Scope.system("test"))
    expired = Visualization.objects.get(code="V_DTS_HET_NIEN_HAN").uid
    sign_in(page, live_server, "clerk_a")
    assert kpi(page, live_server, expired) in ("", "0")

    year = timezone.localdate().year
    page.goto(f"{live_server.url}/barracks/buildings/new/?site=KD-E1")
    page.fill("#id_code", "CT-CU-01")
    page.fill("#id_name", "Nhà ở đại đội 3 (cũ)")
    page.select_option("#id_type", str(BuildingType.objects.get(code="NHA_O").pk))
    page.select_option("#id_durability", str(DurabilityClass.objects.get(code="IV").pk))
    page.fill("#id_built_area", "320")
    page.fill("#id_year_built", "1995")
    page.fill("#id_year_in_service", "1996")
    page.fill("#id_service_life_years", "15")
    page.select_option("#id_condition", str(ConditionLevel.objects.get(code="XUONG_CAP").pk))
    page.click("[data-testid=save-building]")
    page.wait_for_selector("[data-testid=life-warning]")
    assert "2011" in page.text_content("[data-testid=life-warning]")
    building = Building.objects.get(code="CT-CU-01")
    assert building.site == site and building.end_of_life_year == 2011 < year

    alert = Alert.objects.get(code="barracks.building_past_life", key=f"building:{building.pk}")
    assert alert.status == AlertStatus.OPEN and alert.unit == world.regiment_a

    page.goto(f"{live_server.url}/barracks/")
    assert "CT-CU-01" in page.text_content("[data-testid=end-of-life]")
    assert kpi(page, live_server, expired) == "1"

    # clerk_b's dashboard and register do not show clerk_a's building.
    page.context.clear_cookies()
    sign_in(page, live_server, "clerk_b")
    assert kpi(page, live_server, expired) in ("", "0")
    page.goto(f"{live_server.url}/barracks/buildings/")
    assert "CT-CU-01" not in page.text_content("[data-testid=buildings]")
