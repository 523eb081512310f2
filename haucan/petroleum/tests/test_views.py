from __future__ import annotations

from collections.abc import Callable
from datetime import date

from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from haucan.core.scope import Scope
from haucan.inventory.models import Document, Line
from haucan.petroleum.services import NoteKind
from haucan.petroleum.tests.conftest import Fuel, note
from haucan.testing import World

Login = Callable[[str], Client]


def today_text() -> str:
    return timezone.localdate().strftime("%d/%m/%Y")


def post_issue(client: Client, world: World, fuel: Fuel, quantity: str) -> object:
    return client.post(
        reverse("petroleum:note_new", args=[NoteKind.ISSUE]) + f"?unit={world.regiment_a.uid}",
        {
            "unit": world.regiment_a.uid,
            "location": fuel.tank_a.pk,
            "date": today_text(),
            "channel": "TX",
            "recipient": "Đại đội 2",
            "product-1": fuel.diesel.pk,
            "quantity-1": quantity,
            "temperature-1": "15",
        },
        HTTP_ACCEPT_LANGUAGE="vi",
    )


def test_clerk_posts_an_issue_from_the_form_and_sees_the_note(
    world: World, login: Login, scope_of: Callable[[str], Scope], fuel: Fuel
) -> None:
    note(
        scope_of("clerk_a"), NoteKind.RECEIPT, fuel.tank_a, fuel.diesel, 5000, timezone.localdate()
    )
    client = login("clerk_a")

    response = post_issue(client, world, fuel, "1.200")

    document = Document.objects.get(doc_type="issue")
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert response["Location"] == reverse("petroleum:note", args=[document.pk])  # type: ignore[index]
    assert Line.objects.get(document=document).quantity == -1200
    page = client.get(response["Location"]).content.decode()  # type: ignore[index]
    assert document.number in page


def test_issue_above_stock_shows_the_message_and_posts_nothing(
    world: World, login: Login, fuel: Fuel
) -> None:
    response = post_issue(login("clerk_a"), world, fuel, "50")

    assert response.status_code == 400  # type: ignore[attr-defined]
    assert "Bể số 1" in response.content.decode()  # type: ignore[attr-defined]
    assert Document.objects.count() == 0


def test_clerk_b_cannot_open_clerk_a_note_or_unit(
    world: World, login: Login, scope_of: Callable[[str], Scope], fuel: Fuel
) -> None:
    result = note(
        scope_of("clerk_a"), NoteKind.RECEIPT, fuel.tank_a, fuel.diesel, 100, timezone.localdate()
    )
    client = login("clerk_b")

    assert client.get(reverse("petroleum:note", args=[result.document.pk])).status_code == 404  # type: ignore[attr-defined]
    assert (
        client.get(reverse("petroleum:home") + f"?unit={world.regiment_a.uid}").status_code == 404
    )


def test_pages_render_for_the_commander(
    world: World, login: Login, scope_of: Callable[[str], Scope], fuel: Fuel
) -> None:
    result = note(
        scope_of("clerk_a"), NoteKind.RECEIPT, fuel.tank_a, fuel.diesel, 100, timezone.localdate()
    )
    client = login("commander")
    unit = f"?unit={world.division.uid}"
    for name in (
        "petroleum:home",
        "petroleum:stock",
        "petroleum:quotas",
        "petroleum:norms",
        "petroleum:counts",
    ):
        assert client.get(reverse(name) + unit).status_code == 200, name
    card = client.get(
        reverse("petroleum:card") + f"{unit}&item={fuel.diesel.item_id}&start=01/01/2020"
    )
    assert card.status_code == 200
    assert result.document.number in card.content.decode()  # type: ignore[attr-defined]


def test_note_pdf_has_vietnamese_text(
    world: World, login: Login, scope_of: Callable[[str], Scope], fuel: Fuel
) -> None:
    import io

    result = note(
        scope_of("clerk_a"),
        NoteKind.RECEIPT,
        fuel.tank_a,
        fuel.diesel,
        1000,
        date.today(),
        counterparty="Kho 190",
        vehicle_plate="QK-12-34",
    )
    response = login("clerk_a").get(reverse("petroleum:note_pdf", args=[result.document.pk]))

    assert response["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "PHIẾU NHẬP XĂNG DẦU" in text
    assert "Dầu diesel DO 0,05S" in text
    assert "Độc lập - Tự do - Hạnh phúc" in text
