"""The entry screen in headless Chromium: keyboard entry and submission, the offline queue, and a
stale-edit conflict. Run with `pytest -m browser`; skipped when /usr/bin/chromium is missing."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.utils import timezone

from haucan.catalog.models import CategoryOptionCombo
from haucan.core.periods import PeriodType, period_of
from haucan.reporting.models import CompleteRegistration, DataValue
from haucan.reporting.services.values import CellInput, resolve_target, save_values
from haucan.testing import PASSWORD

# Playwright's sync API runs an event loop in this thread; the ORM calls made here are still
# synchronous and safe, so Django's async-unsafe guard is lifted for this module only.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
# Refresh docs/img/entry.png with HAUCAN_SCREENSHOTS=docs/img; otherwise keep the tree clean.
SCREENSHOT = Path(os.environ.get("HAUCAN_SCREENSHOTS") or tempfile.gettempdir()) / "entry.png"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="headless Chromium is not installed at /usr/bin/chromium"
    ),
    pytest.mark.django_db(transaction=True),
]


def last_month() -> str:
    return period_of(timezone.localdate(), PeriodType.MONTHLY).previous().id


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
        context = browser.new_context(locale="vi-VN", viewport={"width": 1280, "height": 900})
        context.set_default_timeout(10_000)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        yield page
        browser.close()
    assert errors == []  # no script error on the page


# wait_for_selector, not wait_for_function: the latter evaluates a string, which the
# Content-Security-Policy (no 'unsafe-eval') forbids in the page.
def sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def open_grid(page, live_server, form, unit) -> None:
    page.goto(
        f"{live_server.url}/reporting/entry/?ds={form.data_set.code}&ou={unit.code}&pe={last_month()}"
    )
    page.wait_for_selector("#hc-grid .hc-cell")


def cell(form, element, combo_name: str | None = None) -> str:
    combos = CategoryOptionCombo.objects.filter(combo=element.category_combo)
    coc = combos.get(name__icontains=combo_name) if combo_name else combos.get()
    return f'.hc-cell[data-de="{element.uid}"][data-coc="{coc.uid}"]'


def wait_until_sent(page) -> None:
    page.wait_for_selector("#hc-queue[data-pending='0']", state="attached")


def stored(form, world) -> dict[str, str]:
    return {
        f"{v.data_element.code}/{v.category_option_combo.name}": v.value
        for v in DataValue.objects.filter(unit=world.regiment_a, deleted=False).select_related(
            "data_element", "category_option_combo"
        )
    }


def test_clerk_fills_and_submits_with_the_keyboard(page, live_server, world, fuel_form):
    fuel_form.data_set.timely_days = 400
    fuel_form.data_set.save()
    sign_in(page, live_server, "clerk_a")
    open_grid(page, live_server, fuel_form, world.regiment_a)

    page.click(cell(fuel_form, fuel_form.stock, "A92"))
    page.keyboard.type("1200")
    page.keyboard.press("ArrowRight")  # caret at the end: on to the Diesel column
    page.keyboard.type("350")
    assert page.evaluate("document.activeElement.dataset.de") == fuel_form.stock.uid
    page.click(cell(fuel_form, fuel_form.note))
    page.keyboard.type("Đủ cấp phát")
    page.keyboard.press("Enter")  # down: the next row of the same table
    assert page.evaluate("document.activeElement.dataset.de") == fuel_form.issued.uid
    page.keyboard.type("12,5")
    page.keyboard.press("Tab")
    wait_until_sent(page)
    assert (
        page.text_content(f'tr:has([data-de="{fuel_form.stock.uid}"]) [data-row-total]') == "1.550"
    )

    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    page.focus("[data-action=submit]")
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-state=submitted]")
    assert page.is_visible("[data-testid=on-time]")

    page.reload()
    page.wait_for_selector("[data-state=submitted]")
    assert page.input_value(cell(fuel_form, fuel_form.stock, "A92")) == "1200"
    assert page.input_value(cell(fuel_form, fuel_form.issued)) == "12,5"
    assert page.get_attribute(cell(fuel_form, fuel_form.issued), "readonly") == ""
    assert stored(fuel_form, world) == {
        "PET_STOCK/Xăng A92": "1200",
        "PET_STOCK/Diesel": "350",
        "PET_NOTE/default": "Đủ cấp phát",
        "PET_ISSUED/default": "12.5",
    }
    assert CompleteRegistration.objects.get().on_time is True


def test_values_typed_offline_are_queued_kept_over_a_reload_and_sent_later(
    page, live_server, world, fuel_form
):
    sign_in(page, live_server, "clerk_a")
    open_grid(page, live_server, fuel_form, world.regiment_a)
    page.route("**/reporting/entry/save/**", lambda route: route.abort())

    for selector, value in [
        (cell(fuel_form, fuel_form.stock, "A92"), "10"),
        (cell(fuel_form, fuel_form.stock, "Diesel"), "20"),
        (cell(fuel_form, fuel_form.issued), "3,5"),
    ]:
        page.fill(selector, value)
        page.press(selector, "Tab")
    page.wait_for_selector("#hc-queue[data-pending='3']", state="attached")
    page.wait_for_selector("#hc-queue[data-offline='1']", state="attached")
    assert "3" in page.text_content("#hc-queue")
    assert DataValue.objects.count() == 0

    page.reload()  # the tab is reloaded while still offline: the queue comes back from storage
    page.wait_for_selector("#hc-grid .hc-cell")
    assert page.input_value(cell(fuel_form, fuel_form.issued)) == "3,5"
    page.wait_for_selector("#hc-queue[data-pending='3']", state="attached")

    page.unroute("**/reporting/entry/save/**")
    sent: list[int] = []
    page.on(
        "request",
        lambda r: (
            sent.append(len(json.loads(r.post_data or "{}").get("cells", [])))
            if r.url.endswith("/reporting/entry/save/")
            else None
        ),
    )
    page.evaluate("window.dispatchEvent(new Event('online'))")
    wait_until_sent(page)
    assert stored(fuel_form, world) == {
        "PET_STOCK/Xăng A92": "10",
        "PET_STOCK/Diesel": "20",
        "PET_ISSUED/default": "3.5",
    }
    assert sent == [3]  # the whole queue in one request


def test_stale_edit_shows_both_values_and_can_overwrite(
    page, live_server, world, scope_of, fuel_form
):
    sign_in(page, live_server, "clerk_a")
    open_grid(page, live_server, fuel_form, world.regiment_a)
    admin = scope_of("admin")
    target = resolve_target(admin, fuel_form.data_set, world.regiment_a, last_month())
    save_values(admin, target, [CellInput("PET_ISSUED", "7,25")])

    selector = cell(fuel_form, fuel_form.issued)
    page.fill(selector, "9")
    page.press(selector, "Tab")
    page.wait_for_selector(".hc-conflict")
    text = page.text_content(".hc-conflict")
    assert "7,25" in text and "9" in text and "admin" in text
    assert DataValue.objects.get().value == "7.25"

    page.click("[data-action=overwrite]")
    wait_until_sent(page)
    value = DataValue.objects.get()
    assert (value.value, value.stored_by, value.version) == ("9", "clerk_a", 2)
