from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest

from haucan.core.errors import Conflict, NotFound, ValidationFailed
from haucan.core.scope import Scope
from haucan.inventory.models import CountStatus, DocStatus, DocType
from haucan.inventory.queries import in_transit, period_movements, stock_card, stock_on_hand
from haucan.inventory.services import (
    CountEntry,
    DocumentSpec,
    LineSpec,
    dispatch_transfer,
    receive_transfer,
    record_count,
    start_count,
    submit_count,
)
from haucan.inventory.tests.factories import DOMAIN, item, location, post, reason
from haucan.testing import World

ScopeOf = Callable[[str], Scope]


def test_stock_card_has_opening_and_running_balance(world: World, scope_of: ScopeOf) -> None:
    scope = scope_of("clerk_a")
    store, a = location(world.regiment_a, "S1"), item()
    post(scope, DocType.RECEIPT, store, a, 100, date(2026, 2, 20))
    post(scope, DocType.ISSUE, store, a, 30, date(2026, 3, 2))
    post(scope, DocType.RECEIPT, store, a, 50, date(2026, 3, 5))
    post(scope, DocType.ISSUE, store, a, 10, date(2026, 4, 1))

    card = stock_card(
        scope, domain=DOMAIN, item=a, location=store, start=date(2026, 3, 1), end=date(2026, 3, 31)
    )

    assert card.opening == Decimal("100")
    assert [(r.number, r.received, r.issued, r.balance) for r in card.rows] == [
        ("PX-0001/2026", Decimal(0), Decimal("30"), Decimal("70")),
        ("PN-0002/2026", Decimal("50"), Decimal(0), Decimal("120")),
    ]
    assert (card.received, card.issued, card.closing) == (Decimal(50), Decimal(30), Decimal(120))


def test_period_movements_by_dimension(world: World, scope_of: ScopeOf) -> None:
    scope = scope_of("clerk_a")
    store, a = location(world.regiment_a, "S1"), item()
    post(scope, DocType.RECEIPT, store, a, 100, date(2026, 2, 1), dimension="SSCD")
    post(scope, DocType.RECEIPT, store, a, 40, date(2026, 3, 1), dimension="TX")
    post(scope, DocType.ISSUE, store, a, 15, date(2026, 3, 9), dimension="TX")
    post(scope, DocType.LOSS, store, a, 2, date(2026, 3, 9), dimension="SSCD")

    result = period_movements(
        scope,
        domain=DOMAIN,
        start=date(2026, 3, 1),
        end=date(2026, 3, 31),
        by=("item", "dimension"),
    )

    sscd, tx = result[(a.pk, "SSCD")], result[(a.pk, "TX")]
    assert (sscd.opening, sscd.receipts, sscd.outflow(DocType.LOSS), sscd.closing) == (
        Decimal(100),
        Decimal(0),
        Decimal(2),
        Decimal(98),
    )
    assert (tx.opening, tx.receipts, tx.issues, tx.closing) == (
        Decimal(0),
        Decimal(40),
        Decimal(15),
        Decimal(25),
    )


def test_transfer_is_in_transit_until_received_once(world: World, scope_of: ScopeOf) -> None:
    commander = scope_of("commander")
    source, target, a = location(world.regiment_a, "S1"), location(world.regiment_b, "S2"), item()
    post(commander, DocType.RECEIPT, source, a, 100)

    out = dispatch_transfer(
        commander,
        DocumentSpec(
            domain=DOMAIN,
            doc_type=DocType.TRANSFER_OUT,
            unit=world.regiment_a,
            date=date(2026, 3, 2),
            location=source,
            lines=[LineSpec(item=a, quantity=Decimal(60))],
        ),
        destination=target,
    )
    assert [d.number for d in in_transit(commander, domain=DOMAIN)] == ["DC-0001/2026"]
    assert stock_on_hand(commander, domain=DOMAIN, by=("location",)) == {(source.pk,): 40}

    line = out.lines[0]
    received = receive_transfer(
        scope_of("clerk_b"), out.document, on=date(2026, 3, 4), received={line.pk: Decimal(59)}
    )

    assert received.document.number == "NDC-0001/2026"
    assert out.document.status == DocStatus.RECEIVED
    assert in_transit(commander, domain=DOMAIN) == []
    assert stock_on_hand(commander, domain=DOMAIN, by=("location",)) == {
        (source.pk,): Decimal(40),
        (target.pk,): Decimal(59),
    }
    with pytest.raises(Conflict):
        receive_transfer(scope_of("clerk_b"), out.document, on=date(2026, 3, 4))


def test_clerk_cannot_transfer_to_a_unit_outside_scope(world: World, scope_of: ScopeOf) -> None:
    scope = scope_of("clerk_a")
    source, target, a = location(world.regiment_a, "S1"), location(world.regiment_b, "S2"), item()
    post(scope, DocType.RECEIPT, source, a, 100)

    with pytest.raises(NotFound):
        dispatch_transfer(
            scope,
            DocumentSpec(
                domain=DOMAIN,
                doc_type=DocType.TRANSFER_OUT,
                unit=world.regiment_a,
                date=date(2026, 3, 2),
                location=source,
                lines=[LineSpec(item=a, quantity=Decimal(10))],
            ),
            destination=target,
        )


def test_count_needs_a_reason_for_a_discrepancy_and_posts_an_adjustment(
    world: World, scope_of: ScopeOf
) -> None:
    scope = scope_of("clerk_a")
    store, a, b = location(world.regiment_a, "S1"), item(), item("B", "Hàng B")
    post(scope, DocType.RECEIPT, store, a, 100, date(2026, 3, 1))
    count = start_count(scope, store, date(2026, 3, 31), items=[b])
    lines = {line.item_id: line for line in count.lines.all()}
    assert (lines[a.pk].expected, lines[b.pk].expected) == (Decimal(100), Decimal(0))

    record_count(
        scope,
        count,
        [CountEntry(lines[a.pk].pk, Decimal("97.5")), CountEntry(lines[b.pk].pk, Decimal(0))],
    )
    with pytest.raises(ValidationFailed) as error:
        submit_count(scope, count)
    assert error.value.message == "Hàng A: the count differs from the book stock; give a reason."

    record_count(
        scope,
        count,
        [CountEntry(lines[a.pk].pk, Decimal("97.5"), reason("LOSS"))],
    )
    submit_count(scope, count)

    assert count.status == CountStatus.SUBMITTED
    assert count.document is not None and count.document.number == "KK-0001/2026"
    assert stock_on_hand(scope, domain=DOMAIN) == {(a.pk,): Decimal("97.5")}
    with pytest.raises(Conflict):
        submit_count(scope, count)
