"""Reads that must agree with each other: one database snapshot for all of them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction


@contextmanager
def one_snapshot() -> Iterator[None]:
    """Run the block's queries in one transaction that sees one snapshot of the database.

    On PostgreSQL each statement of a READ COMMITTED transaction sees what was committed when
    it started, so a page made of several queries could count a write in one figure and miss
    it in the next; the block's transaction is REPEATABLE READ instead. An SQLite transaction
    begins IMMEDIATE here (settings.py): it holds the write lock, so writers wait for the block
    to end; keep blocks short. Inside an outer transaction the block joins it (its level is set
    by whoever began it)."""
    fresh = not connection.in_atomic_block
    with transaction.atomic(savepoint=False):  # reads only: nothing to roll back to
        if fresh and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield
