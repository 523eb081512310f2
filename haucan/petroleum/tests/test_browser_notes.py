"""The depot clerk in headless Chromium: clerk_a posts a receipt and an issue of diesel from the
keyboard-friendly form; the stock card, the monthly report's entry screen (read-only, from the
ledger) show the new figures; an issue above the stock is refused with the Vietnamese message.
Run with `pytest -m browser`; skipped when /usr/bin/chromium is missing."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.utils import timezone

from haucan.catalog.models import CategoryOptionCombo, DataElement
from haucan.petroleum.tests.conftest import Fuel
from haucan.reporting.models import DataValue
from haucan.testing import PASSWORD, World

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="headless Chromium is not installed"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def page(live_server) -> Iterator[object]:  # type: ignore[no-untyped-def]
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
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        yield page
        browser.close()
    assert errors == []


def post_note(page, live_server, world: World, fuel: Fuel, kind: str, quantity: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server.url}/petroleum/notes/new/{kind}/?unit={world.regiment_a.uid}")
    page.select_option("#id_location", str(fuel.tank_a.pk))
    page.select_option("select[name=product-1]", str(fuel.diesel.pk))
    page.fill("input[name=quantity-1]", quantity)
    page.fill("input[name=temperature-1]", "15")
    page.click("[data-testid=post-note]")
    page.wait_for_load_state()


def posted_number(page) -> str:  # type: ignore[no-untyped-def]
    error = page.locator("[data-testid=note-error]")
    assert error.count() == 0, error.inner_text() + page.inner_text("form")
    return str(page.inner_text("[data-testid=note-number]"))


def report_value(world: World, element: str) -> str | None:
    row = DataValue.objects.filter(
        unit=world.regiment_a,
        period=timezone.localdate().strftime("%Y%m"),
        data_element__code=element,
        category_option_combo__code="XD_DIESEL",
        deleted=False,
    ).first()
    return row.value if row else None


def test_clerk_posts_receipt_and_issue_and_sees_card_and_report(  # type: ignore[no-untyped-def]
    page, live_server, world: World, fuel: Fuel
) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "clerk_a")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    post_note(page, live_server, world, fuel, "receipt", "8.000")
    assert posted_number(page) == f"PN-0001/{timezone.localdate().year}"

    post_note(page, live_server, world, fuel, "issue", "1.500")
    assert posted_number(page).startswith("PX-0001/")

    # An issue above the stock: refused, with the stock in the message, nothing posted.
    post_note(page, live_server, world, fuel, "issue", "7.000")
    message = page.inner_text("[data-testid=note-error]")
    assert message == (
        "Không đủ tồn kho Dầu diesel DO 0,05S tại Bể số 1: còn 6500 lít, yêu cầu 7000 lít."
    )

    page.goto(
        f"{live_server.url}/petroleum/card/?unit={world.regiment_a.uid}"
        f"&location={fuel.tank_a.pk}&item={fuel.diesel.item_id}"
    )
    assert page.inner_text("[data-testid=card-closing]") == "6.500"

    assert (report_value(world, "XD_NHAP"), report_value(world, "XD_XUAT")) == ("8000", "1500")
    assert report_value(world, "XD_TON_CUOI") == "6500"
    # The entry screen shows the ledger's value, read-only.
    element = DataElement.objects.get(code="XD_XUAT")
    coc = CategoryOptionCombo.objects.get(code="XD_DIESEL")
    page.goto(
        f"{live_server.url}/reporting/entry/?ds=XD_TON_KHO_THANG&ou={world.regiment_a.code}"
        f"&pe={timezone.localdate().strftime('%Y%m')}"
    )
    cell = page.locator(f'.hc-cell[data-de="{element.uid}"][data-coc="{coc.uid}"]')
    assert cell.input_value() == "1.500" or cell.input_value() == "1500"
    assert cell.is_disabled() or cell.get_attribute("readonly") is not None
