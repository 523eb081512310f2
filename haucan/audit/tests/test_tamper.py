"""Tampering straight in the database (raw SQL, as someone with database access would) is
detected by `verify_chain`, which names the first broken event."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from haucan.audit.models import AuditCheckpoint, AuditEvent, AuditHead
from haucan.audit.services import checkpoint, record, verify_chain
from haucan.core.scope import Scope

# Table names written out: S608 (no SQL built by string formatting) holds in tests too.
assert AuditEvent._meta.db_table == "audit_auditevent"


@pytest.fixture
def ids(db: None) -> list[int]:
    scope = Scope.system("test")
    return [record(scope, "test.event", f"object-{n}", {"n": n}).id for n in range(6)]


def sql(statement: str, params: list[Any] | None = None) -> None:
    """Run SQL as a database superuser would: on PostgreSQL the append-only trigger is switched
    off first (an ordinary connection is refused, see below)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_append_only")
        cursor.execute(statement, params or [])
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_event_append_only")


def test_postgresql_itself_refuses_to_change_or_delete_an_event(ids: list[int]) -> None:
    from django.db import DatabaseError, transaction

    if connection.vendor != "postgresql":
        pytest.skip("the database-level guard exists on PostgreSQL only")
    for statement in (
        "UPDATE audit_auditevent SET actor = 'x' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [ids[0]])
    assert verify_chain().ok


def test_an_intact_chain_verifies(ids: list[int]) -> None:
    assert verify_chain().ok


def test_changing_the_content_of_an_entry_is_detected_at_that_entry(ids: list[int]) -> None:
    sql("UPDATE audit_auditevent SET detail = %s WHERE id = %s", [json.dumps({"n": 99}), ids[2]])
    report = verify_chain()
    assert (report.ok, report.first_bad_id, report.checked) == (False, ids[2], 2)
    assert report.reason == "content does not match its hash"


def test_changing_the_actor_or_time_is_detected(ids: list[int]) -> None:
    sql("UPDATE audit_auditevent SET actor = %s WHERE id = %s", ["someone-else", ids[4]])
    assert verify_chain().first_bad_id == ids[4]


def test_rehashing_a_changed_entry_breaks_the_next_link(ids: list[int]) -> None:
    sql("UPDATE audit_auditevent SET hash = %s WHERE id = %s", ["f" * 64, ids[1]])
    report = verify_chain()
    # The forged hash no longer matches its own content, and the next event's link is broken.
    assert (report.ok, report.first_bad_id) == (False, ids[1])


def test_deleting_an_entry_in_the_middle_is_detected_at_the_next_one(ids: list[int]) -> None:
    sql("DELETE FROM audit_auditevent WHERE id = %s", [ids[3]])
    report = verify_chain()
    assert (report.ok, report.first_bad_id, report.reason) == (
        False,
        ids[4],
        "previous hash does not match",
    )


def test_deleting_the_last_entries_is_detected_by_the_signed_head(ids: list[int]) -> None:
    sql("DELETE FROM audit_auditevent WHERE id >= %s", [ids[4]])
    report = verify_chain()
    assert (report.ok, report.reason) == (False, "events are missing at the end")
    # Rewriting the head to match the shortened chain does not help without the secret key.
    last = AuditEvent.objects.get(id=ids[3])
    sql(
        "UPDATE audit_audithead SET last_hash = %s, count = %s",
        [last.hash, 4],
    )
    assert verify_chain().reason == "the head signature does not match"


def test_reordering_two_entries_is_detected(ids: list[int]) -> None:
    a, b = ids[1], ids[2]
    spare = ids[-1] + 1000
    sql("UPDATE audit_auditevent SET id = %s WHERE id = %s", [spare, a])
    sql("UPDATE audit_auditevent SET id = %s WHERE id = %s", [a, b])
    sql("UPDATE audit_auditevent SET id = %s WHERE id = %s", [b, spare])
    report = verify_chain()
    assert (report.ok, report.first_bad_id) == (False, a)


def test_inserting_a_forged_entry_is_detected(ids: list[int]) -> None:
    sql("DELETE FROM audit_auditevent WHERE id = %s", [ids[2]])
    sql(
        "INSERT INTO audit_auditevent (id, at, actor_id, actor, action, object_type, object_id,"
        " detail, previous_hash, hash)"
        " VALUES (%s, %s, NULL, 'x', 'test.event', '', 'forged', %s, %s, %s)",
        [ids[2], timezone.now(), json.dumps({}), "0" * 64, "e" * 64],
    )
    assert verify_chain().first_bad_id == ids[2]


# --- Checkpoints (incremental verification) --------------------------------------------------


def test_verification_starts_from_the_newest_checkpoint(ids: list[int]) -> None:
    mark = checkpoint()
    assert mark is not None and (mark.event_id, mark.count) == (ids[-1], 6)
    record(Scope.system("test"), "test.event", "after")
    report = verify_chain(full=False)
    assert (report.ok, report.start_id, report.checked, report.total) == (True, ids[-1], 1, 7)
    full = verify_chain(full=True)
    assert (full.ok, full.start_id, full.checked, full.total) == (True, 0, 7, 7)


def test_a_change_before_the_checkpoint_is_found_by_the_full_verification(
    ids: list[int],
) -> None:
    checkpoint()
    sql("UPDATE audit_auditevent SET detail = %s WHERE id = %s", [json.dumps({"n": 7}), ids[1]])
    assert verify_chain(full=False).ok  # incremental trusts the checkpoint…
    assert verify_chain(full=True).first_bad_id == ids[1]  # …the full walk does not


def test_a_deletion_before_the_checkpoint_is_found_even_incrementally(ids: list[int]) -> None:
    checkpoint()
    sql("DELETE FROM audit_auditevent WHERE id = %s", [ids[0]])
    report = verify_chain(full=False)
    assert (report.ok, report.reason) == (False, "events before the checkpoint are missing")


def test_a_forged_checkpoint_is_refused(ids: list[int]) -> None:
    mark = checkpoint()
    assert mark is not None
    sql(
        "UPDATE audit_auditcheckpoint SET hash = %s WHERE id = %s",
        ["a" * 64, mark.id],
    )
    report = verify_chain(full=False)
    assert (report.ok, report.reason) == (False, "checkpoint signature does not match")


def test_the_first_event_of_a_new_day_records_a_checkpoint(ids: list[int]) -> None:
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    AuditHead.objects.filter(singleton=1).update(checkpoint_day=yesterday)
    record(Scope.system("test"), "test.event", "today")
    record(Scope.system("test"), "test.event", "again")
    mark = AuditCheckpoint.objects.get()
    assert (mark.event_id, mark.count) == (ids[-1], 6)
    assert verify_chain(full=False).checked == 2
