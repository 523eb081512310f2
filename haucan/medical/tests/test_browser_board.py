"""In headless Chromium: the hospital clerk admits and discharges a patient while the hospital
board, open in another tab, updates by itself. Run with `pytest -m browser`; skipped when
/usr/bin/chromium is missing."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from haucan.medical.tests.conftest import MedicalWorld
from haucan.testing import PASSWORD

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # the sync Playwright API runs a loop here

CHROMIUM = Path("/usr/bin/chromium")
# True once the board's figure shows the value (the htmx refresh has swapped the fragment in).
FIGURE_IS = """([name, value]) => {
  const cell = document.querySelector(`#hc-board-today [data-figure="${name}"]`);
  return cell !== null && cell.innerText === value;
}"""

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="headless Chromium is not installed"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def browser_context(live_server: Any) -> Iterator[Any]:
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
        context = browser.new_context(locale="vi-VN", viewport={"width": 1400, "height": 1000})
        context.set_default_timeout(20_000)
        errors: list[str] = []
        outside: list[str] = []
        context.on("page", lambda page: page.on("pageerror", lambda e: errors.append(str(e))))
        context.on(
            "request",
            lambda r: (
                outside.append(r.url)
                if not r.url.startswith((live_server.url, "data:", "blob:"))
                else None
            ),
        )
        yield context
        browser.close()
    assert errors == []
    assert outside == []


def test_admit_and_discharge_while_the_board_updates(
    med: MedicalWorld, live_server: Any, browser_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("haucan.medical.views.REFRESH_SECONDS", 1)
    uid = med.hospital.uid
    board = browser_context.new_page()
    board.goto(f"{live_server.url}/login/")
    board.fill("#id_username", "clerk_h")
    board.fill("#id_password", PASSWORD)
    board.click("button[type=submit]")
    board.wait_for_url(f"{live_server.url}/")
    board.goto(f"{live_server.url}/medical/f/{uid}/")
    figure = board.locator('#hc-board-today [data-figure="admitted"]')
    assert figure.inner_text() == "0"
    board.wait_for_selector("#hc-trend-chart .main-svg")  # the occupancy trend is drawn

    desk = browser_context.new_page()  # the same session, another tab
    desk.goto(f"{live_server.url}/medical/f/{uid}/admit/")
    desk.fill("#id_patient_code", "BN-TRINH")
    desk.fill("#id_full_name", "Nguyễn Văn Trình")
    desk.select_option("#id_category", "nco_soldier")
    desk.select_option("#id_department", "NOI")
    desk.fill("#id_icd10", "J18.9")
    desk.click("#hc-admit button")
    desk.wait_for_url(f"{live_server.url}/medical/f/{uid}/patients/")
    assert "Nguyễn Văn Trình" in desk.content()

    board.wait_for_function(FIGURE_IS, arg=["admitted", "1"])
    assert board.locator('#hc-board-today [data-figure="occupied"]').inner_text() == "1"
    assert board.locator('tr[data-department="NOI"] [data-figure="occupied"]').inner_text() == "1"

    desk.select_option(".hc-discharge select[name=kind]", "home")
    desk.select_option(".hc-discharge select[name=outcome]", "cured")
    desk.click(".hc-discharge button[name=discharge]")
    desk.wait_for_url(f"{live_server.url}/medical/f/{uid}/patients/")

    board.wait_for_function(FIGURE_IS, arg=["discharged", "1"])
    assert board.locator('#hc-board-today [data-figure="occupied"]').inner_text() == "0"
    board.wait_for_selector("#hc-trend-chart .main-svg")  # redrawn after the refresh
