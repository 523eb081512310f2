"""Ledger invariants on random sequences of postings (hypothesis): the balance always equals the
sum of the movements, never goes below zero where the policy forbids it, and reversing every
document restores the starting state."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from haucan.core.errors import ValidationFailed
from haucan.core.scope import Scope
from haucan.inventory.models import Balance, DocStatus, DocType, Document, Line
from haucan.inventory.queries import stock_on_hand
from haucan.inventory.services import reverse_document
from haucan.inventory.tests.factories import DOMAIN, item, location, post
from haucan.testing import World

TYPES = [DocType.RECEIPT, DocType.ISSUE, DocType.LOSS, DocType.CONSUMPTION, DocType.ADJUSTMENT]

steps = st.lists(
    st.tuples(
        st.sampled_from(TYPES),
        st.integers(min_value=0, max_value=1),  # which item
        st.integers(min_value=1, max_value=400),  # quantity (adjustments: signed below)
        st.booleans(),  # adjustment sign
        st.integers(min_value=0, max_value=40),  # day offset
    ),
    min_size=1,
    max_size=25,
)


class Rollback(Exception):
    pass


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=steps)
def test_balance_is_the_sum_of_movements_never_negative_and_reversal_restores(
    world: World, scope_of: Callable[[str], Scope], steps: list[tuple[str, int, int, bool, int]]
) -> None:
    scope = scope_of("clerk_a")
    try:
        with transaction.atomic():
            store = location(world.regiment_a, "S1")
            items = [item("A"), item("B", "Hàng B")]
            expected = {it.pk: Decimal(0) for it in items}
            for doc_type, which, qty, negative, offset in steps:
                it = items[which]
                signed = (
                    -qty
                    if doc_type != DocType.RECEIPT and (doc_type != DocType.ADJUSTMENT or negative)
                    else qty
                )
                day = date(2026, 1, 1) + timedelta(days=offset)
                try:
                    with transaction.atomic():
                        post(
                            scope,
                            doc_type,
                            store,
                            it,
                            signed if doc_type == DocType.ADJUSTMENT else qty,
                            day,
                        )
                except ValidationFailed:
                    assert expected[it.pk] + signed < 0  # refused only when it would go negative
                    continue
                expected[it.pk] += signed
                assert expected[it.pk] >= 0
            for balance in Balance.objects.all():
                lines = Line.objects.filter(item=balance.item, location=balance.location)
                assert balance.quantity == (lines.aggregate(s=Sum("quantity"))["s"] or 0)
                assert balance.quantity == expected[balance.item_id]
                assert balance.quantity >= 0
            # Reverse everything, newest first: every stock returns to zero.
            for document in Document.objects.filter(status=DocStatus.POSTED).order_by("-pk"):
                reverse_document(scope, document)
            assert stock_on_hand(scope, domain=DOMAIN) == {}
            assert stock_on_hand(scope, domain=DOMAIN, at=date(2026, 12, 31)) == {}
            raise Rollback
    except Rollback:
        pass
