"""one_snapshot: queries in the block all see the database as it was at its first read, even
when another connection commits between them."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from haucan.core.snapshot import one_snapshot
from haucan.org.models import Unit
from haucan.testing import World

pytestmark = pytest.mark.django_db(transaction=True)


def _rename_elsewhere(world: World) -> threading.Thread:
    """Rename a unit through another connection (another thread), which commits at once."""

    def rename() -> None:
        try:
            Unit.objects.filter(pk=world.battalion_a.pk).update(name="Tiểu đoàn đổi tên")
        finally:
            connections.close_all()

    thread = threading.Thread(target=rename)
    thread.start()
    return thread


def test_a_commit_between_two_reads_is_not_seen_inside_the_block(world: World) -> None:
    with one_snapshot():
        before = Unit.objects.count()
        writer = _rename_elsewhere(world)
        if connection.vendor == "postgresql":
            writer.join()  # committed between the two reads
        # (On SQLite the block holds the write lock: the writer waits for it to end.)
        name = Unit.objects.get(pk=world.battalion_a.pk).name
        assert Unit.objects.count() == before
    writer.join()
    assert name == "Tiểu đoàn 1"
    assert Unit.objects.get(pk=world.battalion_a.pk).name == "Tiểu đoàn đổi tên"


def test_without_it_the_second_read_sees_the_commit(world: World) -> None:
    """The control: the same reads in autocommit see the change (so the test above can fail)."""
    assert not connection.in_atomic_block
    Unit.objects.count()
    _rename_elsewhere(world).join()
    assert Unit.objects.get(pk=world.battalion_a.pk).name == "Tiểu đoàn đổi tên"
