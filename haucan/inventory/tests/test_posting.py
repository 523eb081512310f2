from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest

from haucan.audit.models import AuditEvent
from haucan.core.errors import Conflict, NotFound, ValidationFailed
from haucan.core.scope import Scope
from haucan.inventory.models import Balance, DocStatus, DocType, Document, Line
from haucan.inventory.queries import stock_on_hand
from haucan.inventory.services import close_ledger, reverse_document
from haucan.inventory.tests.factories import DOMAIN, item, location, post
from haucan.testing import World

ScopeOf = Callable[[str], Scope]


def on_hand(scope: Scope, **kwargs: object) -> dict[tuple[object, ...], Decimal]:
    return stock_on_hand(scope, domain=DOMAIN, **kwargs)  # type: ignore[arg-type]


def test_receipt_then_issue_updates_balance_and_numbers_per_unit_type_and_year(
    world: World, scope_of: ScopeOf
) -> None:
    scope = scope_of("clerk_a")
    store, a = location(world.regiment_a, "S1"), item()
    first = post(scope, DocType.RECEIPT, store, a, 100)
    second = post(scope, DocType.RECEIPT, store, a, 50)
    issue = post(scope, DocType.ISSUE, store, a, 30)
    next_year = post(scope, DocType.RECEIPT, store, a, 1, date(2027, 1, 2))

    assert [first.document.number, second.document.number] == ["PN-0001/2026", "PN-0002/2026"]
    assert issue.document.number == "PX-0001/2026"
    assert next_year.document.number == "PN-0001/2027"
    assert Line.objects.get(document=issue.document).quantity == Decimal("-30")
    assert on_hand(scope) == {(a.pk,): Decimal("121")}
    assert on_hand(scope, at=date(2026, 12, 31)) == {(a.pk,): Decimal("120")}
    assert AuditEvent.objects.filter(action="inventory.post").count() == 4


def test_issue_above_stock_is_refused_and_nothing_is_written(
    world: World, scope_of: ScopeOf
) -> None:
    scope = scope_of("clerk_a")
    store, a = location(world.regiment_a, "S1"), item()
    post(scope, DocType.RECEIPT, store, a, 100)

    with pytest.raises(ValidationFailed) as error:
        post(scope, DocType.ISSUE, store, a, "100.5")

    assert error.value.message == (
        "Not enough stock of Hàng A at Kho S1: 100 kg on hand, 100.5 kg requested."
    )
    assert Document.objects.filter(doc_type=DocType.ISSUE).count() == 0
    assert Balance.objects.get().quantity == Decimal("100")
    # The failed posting did not use up a number either.
    assert post(scope, DocType.ISSUE, store, a, 10).document.number == "PX-0001/2026"


def test_location_that_allows_negative_stock_posts_with_a_warning(
    world: World, scope_of: ScopeOf
) -> None:
    scope = scope_of("clerk_a")
    store, a = location(world.regiment_a, "S1", allow_negative=True), item()

    result = post(scope, DocType.ISSUE, store, a, 5)

    assert [(w.item, w.location, w.balance) for w in result.warnings] == [(a, store, Decimal("-5"))]


def test_duplicate_paper_number_is_refused(world: World, scope_of: ScopeOf) -> None:
    scope = scope_of("clerk_a")
    store, a = location(world.regiment_a, "S1"), item()
    post(scope, DocType.RECEIPT, store, a, 10, number="PN-15/2026")

    with pytest.raises(ValidationFailed) as error:
        post(scope, DocType.RECEIPT, store, a, 10, number="PN-15/2026")

    assert error.value.message == "Note number PN-15/2026 is already used in this unit."
    assert Document.objects.count() == 1


def test_closed_ledger_refuses_documents_dated_in_it(world: World, scope_of: ScopeOf) -> None:
    scope = scope_of("clerk_a")
    store, a = location(world.regiment_a, "S1"), item()
    close_ledger(
        scope_of("commander"), domain=DOMAIN, unit=world.division, through=date(2026, 2, 28)
    )

    with pytest.raises(ValidationFailed) as error:
        post(scope, DocType.RECEIPT, store, a, 10, date(2026, 2, 10))

    assert error.value.message == (
        "The ledger is closed through 28/02/2026: documents dated 10/02/2026 cannot be posted."
    )
    assert post(scope, DocType.RECEIPT, store, a, 10, date(2026, 3, 1)).document.pk


def test_reversal_restores_stock_and_cannot_be_repeated(world: World, scope_of: ScopeOf) -> None:
    scope = scope_of("clerk_a")
    store, a = location(world.regiment_a, "S1"), item()
    post(scope, DocType.RECEIPT, store, a, 100)
    issue = post(scope, DocType.ISSUE, store, a, 40)

    reversal = reverse_document(scope, issue.document)

    assert reversal.document.number == "DN-0001/2026"
    assert [(line.doc_type, line.quantity) for line in reversal.lines] == [
        (DocType.ISSUE, Decimal("40"))
    ]
    assert on_hand(scope) == {(a.pk,): Decimal("100")}
    assert Document.objects.get(pk=issue.document.pk).status == DocStatus.REVERSED
    with pytest.raises(Conflict):
        reverse_document(scope, issue.document)


def test_reversing_a_receipt_whose_stock_was_issued_is_refused(
    world: World, scope_of: ScopeOf
) -> None:
    scope = scope_of("clerk_a")
    store, a = location(world.regiment_a, "S1"), item()
    receipt = post(scope, DocType.RECEIPT, store, a, 100)
    post(scope, DocType.ISSUE, store, a, 60)

    with pytest.raises(ValidationFailed):
        reverse_document(scope, receipt.document)

    assert Document.objects.get(pk=receipt.document.pk).status == DocStatus.POSTED


def test_clerk_cannot_post_to_or_see_the_sibling_regiments_store(
    world: World, scope_of: ScopeOf
) -> None:
    store_b, a = location(world.regiment_b, "S2"), item()
    post(scope_of("clerk_b"), DocType.RECEIPT, store_b, a, 10)

    with pytest.raises(NotFound):
        post(scope_of("clerk_a"), DocType.ISSUE, store_b, a, 1)
    with pytest.raises(NotFound):
        on_hand(scope_of("clerk_a"), unit=world.regiment_b)
    assert on_hand(scope_of("clerk_a")) == {}
    assert on_hand(scope_of("commander"), by=("unit", "item")) == {
        (world.regiment_b.pk, a.pk): Decimal("10")
    }


def test_quantity_must_be_positive_on_typed_documents(world: World, scope_of: ScopeOf) -> None:
    store, a = location(world.regiment_a, "S1"), item()

    with pytest.raises(ValidationFailed) as error:
        post(scope_of("clerk_a"), DocType.RECEIPT, store, a, -5)

    assert error.value.message == "Line 1: the quantity must be greater than zero."
