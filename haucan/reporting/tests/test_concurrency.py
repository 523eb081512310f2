"""Two clerks save the same form at the same moment, from two threads and two DB connections.

Runs on SQLite (a file database, as in production: HAUCAN_TEST_SQLITE=/tmp/haucan-test.sqlite3)
and on PostgreSQL (DATABASE_URL=postgresql://... pytest this file). Whatever the
interleaving, every accepted write has its audit row, a stale write is refused as StaleCells (never
applied silently), and nothing is lost.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection
from django.utils import timezone

from haucan.accounts.queries import resolve_scope
from haucan.accounts.services import assign, create_user
from haucan.core.errors import Conflict
from haucan.core.periods import PeriodType, period_of
from haucan.core.scope import Scope
from haucan.reporting.models import DataValue, DataValueAudit
from haucan.reporting.services.values import CellInput, StaleCells, resolve_target, save_values

ROUNDS = 15


@pytest.fixture(autouse=True)
def _file_database(transactional_db: None) -> None:
    # An in-memory SQLite test database is shared between connections with table locks that fail
    # at once ("database table is locked") instead of waiting like the real WAL file does.
    if connection.vendor == "sqlite" and connection.is_in_memory_db():  # type: ignore[attr-defined]
        pytest.skip(
            "two connections need a file database: set HAUCAN_TEST_SQLITE=/tmp/haucan-test.sqlite3"
        )


def last_month() -> str:
    return period_of(timezone.localdate(), PeriodType.MONTHLY).previous().id


def run_together(*workers: Callable[[], None]) -> list[BaseException]:
    """Start the workers at the same instant; return what they raised."""
    barrier = threading.Barrier(len(workers))
    errors: list[BaseException] = []

    def run(work: Callable[[], None]) -> None:
        try:
            barrier.wait(timeout=10)
            work()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return errors


@pytest.fixture
def second_clerk(world):
    """A second clerk of regiment 1, so the race is between two equals."""
    system = Scope.system("test")
    user = create_user(
        system,
        username="clerk_a2",
        password="x-Long-Password-1",
        full_name="Võ Văn Hai",
        check_password=False,
    )
    assign(system, user, world.regiment_a, "clerk")
    return resolve_scope(user)


@pytest.mark.django_db(transaction=True)
def test_blind_writes_of_two_clerks_are_all_audited(world, scope_of, fuel_form, second_clerk):
    one, two = scope_of("clerk_a"), second_clerk
    target = resolve_target(one, fuel_form.data_set, world.regiment_a, last_month())
    accepted: dict[str, list[str]] = {"clerk_a": [], "clerk_a2": []}

    def writer(scope: Scope) -> Callable[[], None]:
        def work() -> None:
            for i in range(ROUNDS):
                value = f"{scope.username}-{i}"
                # Text values so every write differs; no version: last write wins, but is audited.
                save_values(
                    scope,
                    target,
                    [CellInput("PET_NOTE", value), CellInput("PET_ISSUED", str(i + 1))],
                )
                accepted[scope.username].append(value)

        return work

    errors = run_together(writer(one), writer(two))

    assert [e for e in errors if not isinstance(e, Conflict)] == []
    notes = DataValueAudit.objects.filter(data_value__data_element=fuel_form.note)
    audited = set(notes.values_list("value", flat=True))
    assert audited == set(accepted["clerk_a"]) | set(accepted["clerk_a2"])
    assert notes.count() == len(accepted["clerk_a"]) + len(accepted["clerk_a2"])
    stored = DataValue.objects.get(data_element=fuel_form.note)
    assert stored.version == notes.count()  # one version per accepted write, none skipped
    latest = notes.order_by("-changed_at", "-id").first()
    assert latest is not None
    assert stored.value == latest.value


@pytest.mark.django_db(transaction=True)
def test_racing_first_writes_with_versions_one_wins_the_other_is_stale(
    world, scope_of, fuel_form, second_clerk
):
    one, two = scope_of("clerk_a"), second_clerk
    target = resolve_target(one, fuel_form.data_set, world.regiment_a, last_month())
    outcome: dict[str, str] = {}

    def writer(scope: Scope, value: str) -> Callable[[], None]:
        def work() -> None:
            try:
                # Both clerks opened an empty form (version 0) and type different values.
                save_values(scope, target, [CellInput("PET_ISSUED", value, expected_version=0)])
                outcome[scope.username] = "saved"
            except StaleCells as exc:
                outcome[scope.username] = f"stale:{exc.stale[0].server_value}"

        return work

    errors = run_together(writer(one, "10"), writer(two, "20"))

    assert errors == []
    assert sorted(outcome.values())[0] == "saved"
    winner = next(name for name, result in outcome.items() if result == "saved")
    loser = next(name for name in outcome if name != winner)
    stored = DataValue.objects.get(data_element=fuel_form.issued)
    assert outcome[loser] == f"stale:{stored.value}"
    assert (stored.stored_by, stored.version) == (winner, 1)
    audits = list(
        DataValueAudit.objects.filter(data_value=stored).values_list("changed_by", "value")
    )
    assert audits == [(winner, stored.value)]


@pytest.mark.django_db(transaction=True)
def test_versioned_edits_in_turn_never_lose_a_value(world, scope_of, fuel_form, second_clerk):
    """Each clerk re-reads the version after a stale refusal and tries again: all values land."""
    one, two = scope_of("clerk_a"), second_clerk
    target = resolve_target(one, fuel_form.data_set, world.regiment_a, last_month())
    stale_seen = {"clerk_a": 0, "clerk_a2": 0}

    def writer(scope: Scope) -> Callable[[], None]:
        def work() -> None:
            for i in range(ROUNDS):
                value = f"{scope.username}-{i}"
                while True:
                    current = DataValue.objects.filter(data_element=fuel_form.note).first()
                    version = current.version if current else 0
                    try:
                        save_values(
                            scope, target, [CellInput("PET_NOTE", value, expected_version=version)]
                        )
                        break
                    except StaleCells:
                        stale_seen[scope.username] += 1
                    except Conflict:
                        pass  # both created the row at once: the service asks to try again

        return work

    errors = run_together(writer(one), writer(two))

    assert errors == []
    audited = list(
        DataValueAudit.objects.filter(data_value__data_element=fuel_form.note).values_list(
            "value", flat=True
        )
    )
    expected = {f"{who}-{i}" for who in ("clerk_a", "clerk_a2") for i in range(ROUNDS)}
    assert set(audited) == expected and len(audited) == 2 * ROUNDS
    assert DataValue.objects.get(data_element=fuel_form.note).version == 2 * ROUNDS
