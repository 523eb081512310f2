"""Crash safety on PostgreSQL (issue 10 §7): kill -9 of the web server during a large import and
of the worker during an asynchronous import; after a restart nothing is half-written, nothing
acknowledged is lost, and the job completes exactly once.

Real processes (`haucan serve`, `haucan worker`) on a live database of their own
(crash_support.py), killed with SIGKILL while PostgreSQL shows their import transaction writing.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from haucan.web.tests import crash_support as cs

pytestmark = [
    pytest.mark.skipif(
        "postgresql" not in str(settings.DATABASES["default"]["ENGINE"]),
        reason="crash safety is proven on PostgreSQL, the production database (issue 10 §7)",
    ),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning"),
]

VALUES = cs.ELEMENTS * cs.UNITS  # per period


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[cs.Live]:
    base = settings.DATABASES["default"]
    url = (
        f"postgresql://{base['USER']}@{base['HOST'] or '127.0.0.1'}:{base['PORT'] or 5432}/postgres"
    )
    name = f"{base['NAME']}_crash_live"
    database = cs.create_live_database(url, name, tmp_path_factory.mktemp("live_data"))
    try:
        yield database
    finally:
        cs.drop_live_database(database)


def _count(live: cs.Live, periods: list[str]) -> int:
    return int(
        live.scalar(
            "SELECT count(*) FROM reporting_datavalue WHERE period = ANY(%s) AND NOT deleted",
            [periods],
        )
    )


def _duplicates(live: cs.Live) -> int:
    return int(
        live.scalar(
            "SELECT count(*) FROM (SELECT 1 FROM reporting_datavalue GROUP BY data_element_id, "
            "period, unit_id, category_option_combo_id, attribute_option_combo_id "
            "HAVING count(*) > 1) d"
        )
    )


def test_kill_9_of_the_server_during_a_large_import_keeps_all_or_nothing(
    live: cs.Live, tmp_path: Path
) -> None:
    keys = live.keys
    acknowledged_periods, large_periods = keys["periods"][:1], keys["periods"][1:]
    port = cs.free_port()
    log = tmp_path / "server.log"
    with cs.server(live, port, log) as server:
        # An acknowledged write just before the crash.
        status, body = cs.request(
            port, "POST", "/api/dataValueSets", cs.payload(keys, acknowledged_periods, 7)
        )
        assert status == 200, body[:500]
        assert json.loads(body)["importCount"]["imported"] == VALUES
        # The large import, killed while PostgreSQL shows it writing.
        outcome: dict[str, object] = {}

        def send() -> None:
            try:
                outcome["status"] = cs.request(
                    port, "POST", "/api/dataValueSets", cs.payload(keys, large_periods, 9)
                )[0]
            except OSError as exc:  # the connection dies with the server
                outcome["error"] = exc

        sender = threading.Thread(target=send)
        sender.start()
        cs.wait_until(lambda: live.writing("reporting_datavalue"), 120, "the import to write")
        cs.kill9(server)
        sender.join(timeout=30)
    assert "status" not in outcome, "the import was acknowledged before the kill"
    large = len(large_periods) * VALUES
    after_kill = _count(live, large_periods)
    assert after_kill == 0, f"{after_kill} of {large} values of a killed import were kept"

    with cs.server(live, port, log):  # restarted: the acknowledged write is there, once
        assert _count(live, acknowledged_periods) == VALUES
        assert _duplicates(live) == 0
        status, body = cs.request(
            port, "POST", "/api/dataValueSets", cs.payload(keys, large_periods, 9)
        )
        assert status == 200, body[:500]
        assert json.loads(body)["importCount"]["imported"] == large
    assert _count(live, large_periods) == large
    assert _duplicates(live) == 0


def test_kill_9_of_the_worker_during_an_async_import_reruns_it_once(
    live: cs.Live, tmp_path: Path
) -> None:
    keys = live.keys
    periods = keys["periods"][-6:]
    live.sql("DELETE FROM reporting_datavalueaudit")
    live.sql("DELETE FROM reporting_datavalue WHERE period = ANY(%s)", [periods])
    port = cs.free_port()
    log = tmp_path / "worker.log"
    with cs.server(live, port, tmp_path / "server.log"):
        status, body = cs.request(
            port, "POST", "/api/dataValueSets?async=true", cs.payload(keys, periods, 5)
        )
        assert status == 200, body[:500]
        job = json.loads(body)["response"]["id"]

        worker = cs.start(live, "worker", "--interval", "0.2", log=log)
        try:
            cs.wait_until(lambda: live.writing("reporting_datavalue"), 120, "the job to write")
            cs.kill9(worker)
        finally:
            cs.stop(worker)
        assert _count(live, periods) == 0  # the killed transaction left nothing
        assert live.scalar("SELECT status FROM exchange_importjob WHERE uid = %s", [job]) == (
            "RUNNING"
        )

        restarted = cs.start(live, "worker", "--interval", "0.2", log=log)
        try:
            cs.wait_until(
                lambda: (
                    live.scalar("SELECT status FROM exchange_importjob WHERE uid = %s", [job])
                    in ("COMPLETED", "FAILED")
                ),
                180,
                "the job to finish after the restart",
            )
        finally:
            cs.stop(restarted)
        status, body = cs.request(port, "GET", f"/api/system/taskSummaries/DATAVALUE_IMPORT/{job}")
    assert live.scalar("SELECT status FROM exchange_importjob WHERE uid = %s", [job]) == "COMPLETED"
    assert status == 200
    assert json.loads(body)["importCount"]["imported"] == len(periods) * VALUES
    assert _count(live, periods) == len(periods) * VALUES
    assert _duplicates(live) == 0
    # One audit entry per value: the re-run wrote each once.
    assert live.scalar("SELECT count(*) FROM reporting_datavalueaudit") == len(periods) * VALUES
    assert "Requeued 1 task(s)" in log.read_text()
