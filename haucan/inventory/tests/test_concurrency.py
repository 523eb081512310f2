"""Parallel issues against the same stock, from separate threads and database connections.

Runs on PostgreSQL (DATABASE_URL=postgresql://… pytest this file) and on a SQLite file database
(HAUCAN_TEST_SQLITE=/tmp/x.sqlite3). However the postings interleave, the stock never goes below
zero, each accepted issue has its own number and the balance equals the sum of the lines.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum

from haucan.core.errors import ValidationFailed
from haucan.core.scope import Scope
from haucan.inventory.models import Balance, DocType, Document, Line
from haucan.inventory.tests.factories import item, location, post
from haucan.testing import World

WORKERS = 8


@pytest.fixture(autouse=True)
def _file_database(transactional_db: None) -> None:
    if connection.vendor == "sqlite" and connection.is_in_memory_db():  # type: ignore[attr-defined]
        pytest.skip("two connections need a file database: set HAUCAN_TEST_SQLITE")


def run_together(workers: list[Callable[[], None]]) -> list[BaseException]:
    barrier = threading.Barrier(len(workers))
    errors: list[BaseException] = []

    def run(work: Callable[[], None]) -> None:
        try:
            barrier.wait(timeout=10)
            work()
        except BaseException as exc:  # collected and asserted by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


@pytest.mark.django_db(transaction=True)
def test_parallel_issues_never_drive_stock_below_zero(
    world: World, scope_of: Callable[[str], Scope]
) -> None:
    scope = scope_of("clerk_a")
    store, a = location(world.regiment_a, "S1"), item()
    post(scope, DocType.RECEIPT, store, a, 250)

    # Eight issues of 60 against 250: exactly four fit.
    def issue() -> None:
        post(scope, DocType.ISSUE, store, a, 60)

    errors = run_together([issue] * WORKERS)

    assert len(errors) == 4
    assert all(isinstance(e, ValidationFailed) for e in errors)
    numbers = sorted(
        Document.objects.filter(doc_type=DocType.ISSUE).values_list("number", flat=True)
    )
    assert numbers == ["PX-0001/2026", "PX-0002/2026", "PX-0003/2026", "PX-0004/2026"]
    balance = Balance.objects.get()
    assert balance.quantity == Decimal(10)
    assert Line.objects.aggregate(s=Sum("quantity"))["s"] == Decimal(10)
