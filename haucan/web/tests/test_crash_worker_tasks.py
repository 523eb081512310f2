"""Crash safety of the worker's evaluation tasks on PostgreSQL (issue 10 §7): kill -9 of
`haucan worker` during an alert evaluation and during the recomputation of the report values it
reads; after a restart the task runs again, there is one alert per condition with its history
and notifications written once, and the recomputed values equal a fresh computation.

"Report recomputation" in the worker is the analytics rollup refresh: the module reports
(petroleum, medical, barracks) are recomputed inside the request or command that changes their
sources, never in the worker; the worker recomputes the rollups (the totals of every unit's
subtree that the reports and threshold rules read) when an evaluation needs them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from haucan.alerts.evaluation.context import periods_checked
from haucan.web.tests import crash_support as cs

pytestmark = pytest.mark.skipif(
    "postgresql" not in str(settings.DATABASES["default"]["ENGINE"]),
    reason="crash safety is proven on PostgreSQL, the production database (issue 10 §7)",
)

MONTHS = 3  # 100 rules × 20 companies × 3 months: two arrival tasks of about 10 s each
ROLLUP_MONTHS = 24  # 48,000 changes for the rollups to take in
COMPANY, BATTALION = 6, 5  # unit levels: the 20 companies of the crash world, their battalion


@pytest.fixture
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[cs.Live]:
    """A fresh live database per test: each test's rules and values are all there is."""
    base = settings.DATABASES["default"]
    url = (
        f"postgresql://{base['USER']}@{base['HOST'] or '127.0.0.1'}:{base['PORT'] or 5432}/postgres"
    )
    name = f"{base['NAME']}_crash_tasks"
    database = cs.create_live_database(url, name, tmp_path_factory.mktemp("live_data"))
    try:
        yield database
    finally:
        cs.drop_live_database(database)


def _periods(months: int) -> list[str]:
    return sorted(p.id for p in periods_checked("Monthly", timezone.localdate(), months))


def _value(k: int, u: int, m: int) -> int:
    return ((k + 1) * (u + 1) + m) % 10 + 1  # the elements take positive integers


def _cells(periods: list[str]) -> list[tuple[int, int, str, int]]:
    """(element index, unit index, period, value) of every cell of the crash form."""
    return [
        (k, u, period, _value(k, u, m))
        for m, period in enumerate(periods)
        for u in range(cs.UNITS)
        for k in range(cs.ELEMENTS)
    ]


def _alerts(live: cs.Live, prefix: str) -> set[tuple[str, str, str]]:
    rows = live.sql(
        "SELECT a.code, u.uid, a.period FROM alerts_alert a JOIN org_unit u ON u.id = a.unit_id "
        "WHERE a.code LIKE %s",
        [f"{prefix}_%"],
    )
    return {(code, uid, period) for code, uid, period in rows}


def _history_problems(live: cs.Live) -> dict[str, int]:
    """Alerts whose transitions, notifications or audit entries are missing or doubled."""
    counts = {
        "alerts without exactly one transition 'open'": live.scalar(
            "SELECT count(*) FROM alerts_alert a WHERE (SELECT count(*) FROM "
            "alerts_alerttransition t WHERE t.alert_id = a.id AND t.action = 'open') <> 1"
        ),
        "transitions other than 'open'": live.scalar(
            "SELECT count(*) FROM alerts_alerttransition WHERE action <> 'open'"
        ),
        "alerts without notifications": live.scalar(
            "SELECT count(*) FROM alerts_alert a WHERE NOT EXISTS "
            "(SELECT 1 FROM alerts_notification n WHERE n.alert_id = a.id)"
        ),
        "alerts without exactly one audit entry": live.scalar(
            "SELECT count(*) FROM alerts_alert a WHERE (SELECT count(*) FROM audit_auditevent e "
            "WHERE e.action = 'alerts.open' AND e.object_id = a.id::text) <> 1"
        ),
    }
    return {problem: count for problem, count in counts.items() if count}


def _notifying(live: cs.Live) -> bool:
    """A rule's alerts are being notified: their notifications are being written, or (were
    alerts committed before their notifications) an alert is visible without any."""
    return bool(
        live.scalar(
            "SELECT EXISTS (SELECT 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
            "WHERE c.relname = 'alerts_notification' AND l.mode = 'RowExclusiveLock' "
            "AND l.pid <> pg_backend_pid()) OR EXISTS (SELECT 1 FROM alerts_alert a WHERE NOT "
            "EXISTS (SELECT 1 FROM alerts_notification n WHERE n.alert_id = a.id))"
        )
    )


def _duplicates(live: cs.Live) -> int:
    return int(
        live.scalar(
            "SELECT count(*) FROM (SELECT 1 FROM alerts_alert GROUP BY code, unit_id, period, key "
            "HAVING count(*) > 1) d"
        )
    )


def _task_ids(live: cs.Live, name: str) -> list[str]:
    rows = live.sql(
        "SELECT id FROM django_tasks_database_dbtaskresult WHERE task_path LIKE %s",
        [f"%.{name}"],
    )
    return [str(pk) for (pk,) in rows]


def _statuses(live: cs.Live, tasks: list[str]) -> list[str]:
    return sorted(cs.task_status(live, task) for task in tasks)


def _kill_when(
    live: cs.Live, tasks: list[str], moment: Callable[[], bool], what: str, log: Path
) -> None:
    """Start the worker and kill -9 its process group at `moment` (before the tasks finish)."""

    def done() -> bool:
        return all(s in ("SUCCESSFUL", "FAILED") for s in _statuses(live, tasks))

    worker = cs.start(live, "worker", "--interval", "0.2", "--no-scheduler", log=log)
    try:
        cs.wait_until(lambda: moment() or done(), 180, what)
        cs.kill9(worker)
    finally:
        cs.stop(worker)
    assert not done(), f"the tasks finished before {what}"


def _restart_until_done(live: cs.Live, tasks: list[str], log: Path) -> None:
    worker = cs.start(live, "worker", "--interval", "0.2", "--no-scheduler", log=log)
    try:
        cs.wait_until(
            lambda: all(s in ("SUCCESSFUL", "FAILED") for s in _statuses(live, tasks)),
            300,
            "the tasks to finish after the restart",
        )
    finally:
        cs.stop(worker)
    assert _statuses(live, tasks) == ["SUCCESSFUL"] * len(tasks), log.read_text()[-3000:]
    assert "Requeued 1 task(s)" in log.read_text()


def test_kill_9_of_the_worker_during_an_arrival_evaluation_raises_each_alert_once(
    live: cs.Live, tmp_path: Path
) -> None:
    # Given one rule per element on the companies, and a large import: its arrival evaluation
    # goes to the worker (far above HAUCAN_ALERTS_INLINE_CELLS).
    periods = _periods(MONTHS)
    cs.call(live, "threshold_rules", prefix="ARR", level=COMPANY, compare_to="5", lookback=MONTHS)
    cells = _cells(periods)
    assert cs.call(live, "import", cells=cells, announce=True) == {
        "imported": len(cells),
        "conflicts": [],
    }
    tasks = _task_ids(live, "evaluate_arrivals_task")  # one per chunk of the import
    assert len(tasks) >= 1
    units = live.keys["units"]
    expected = {(f"ARR_{k:03d}", units[u], period) for k, u, period, value in cells if value > 5}
    log = tmp_path / "worker.log"

    # When the worker is killed while it writes a rule's notifications (its last write), or as
    # soon as an alert shows without them
    _kill_when(live, tasks, lambda: _notifying(live), "the task notified", log)

    # then one task is still claimed, and what it committed is whole: every alert it kept has
    # its transition, its notifications and its audit entry.
    assert _statuses(live, tasks).count("RUNNING") == 1
    kept = _alerts(live, "ARR")
    assert kept < expected
    assert _history_problems(live) == {}

    # When the worker restarts, the task runs again to the end
    _restart_until_done(live, tasks, log)

    # and there is one alert per condition, each raised once, reaching its recipients once.
    assert _alerts(live, "ARR") == expected
    assert _duplicates(live) == 0
    assert live.scalar("SELECT count(*) FROM alerts_alert WHERE status <> 'open'") == 0
    assert _history_problems(live) == {}
    assert live.scalar("SELECT count(*) FROM alerts_notification") == cs.call(
        live, "expected_notifications"
    )
    assert cs.call(live, "chain_ok") is True
    fresh = cs.call(live, "fresh_evaluation")
    assert fresh == {"opened": 0, "reopened": 0, "refreshed": 0, "resolved": 0, "errors": 0}


ROLLUP_KEY = (
    "data_element_id, category_option_combo_id, attribute_option_combo_id, unit_id, period, "
    "period_start, period_end, total, count, minimum, maximum"
)
FRESH_ROLLUPS = """
    SELECT v.data_element_id, v.category_option_combo_id, v.attribute_option_combo_id,
        a.ancestor_id AS unit_id, v.period, v.period_start, v.period_end,
        SUM(v.numeric_value) AS total, COUNT(*) AS count,
        MIN(v.numeric_value) AS minimum, MAX(v.numeric_value) AS maximum
    FROM reporting_datavalue v JOIN analytics_unitancestor a ON a.unit_id = v.unit_id
    WHERE NOT v.deleted AND v.numeric_value IS NOT NULL
    GROUP BY v.data_element_id, v.category_option_combo_id, v.attribute_option_combo_id,
        a.ancestor_id, v.period, v.period_start, v.period_end
"""


# The recomputation's transaction takes the outbox into the staging table, then writes the rollups.
RECOMPUTING = ("reporting_valuechange", "analytics_stagedchange", "analytics_rollup")


def _rollups_differing(live: cs.Live) -> int:
    """Rollup rows not equal to a fresh aggregation of the raw values, either way."""
    return int(
        live.scalar(
            f"SELECT count(*) FROM (({FRESH_ROLLUPS}) EXCEPT (SELECT {ROLLUP_KEY} FROM "  # noqa: S608 - constants
            f"analytics_rollup) UNION ALL ((SELECT {ROLLUP_KEY} FROM analytics_rollup) "
            f"EXCEPT ({FRESH_ROLLUPS}))) d"
        )
    )


def test_kill_9_of_the_worker_during_a_rollup_recomputation_completes_it_on_restart(
    live: cs.Live, tmp_path: Path
) -> None:
    # Given the rollups built, a large import waiting in the outbox (no evaluation of its own),
    # and one rule per element on the battalions, which the rollups answer.
    periods = _periods(ROLLUP_MONTHS)
    cs.call(live, "build_rollups")
    cells = _cells(periods)
    assert cs.call(live, "import", cells=cells, announce=False) == {
        "imported": len(cells),
        "conflicts": [],
    }
    waiting = live.scalar("SELECT count(*) FROM reporting_valuechange")
    assert waiting == len(cells)
    cs.call(
        live,
        "threshold_rules",
        prefix="BAT",
        level=BATTALION,
        compare_to="110",
        lookback=ROLLUP_MONTHS,
    )
    battalion = live.scalar(
        "SELECT p.uid FROM org_unit u JOIN org_unit p ON p.id = u.parent_id WHERE u.uid = %s",
        [live.keys["units"][0]],
    )
    expected = {
        (f"BAT_{k:03d}", battalion, period)
        for k in range(cs.ELEMENTS)
        for m, period in enumerate(periods)
        if sum(_value(k, u, m) for u in range(cs.UNITS)) > 110
    }
    assert expected  # the rule finds something
    task = cs.call(live, "enqueue", task="full_evaluation_task")
    log = tmp_path / "worker.log"

    # When the worker is killed while the full evaluation recomputes the rollups
    _kill_when(live, [task], lambda: live.writing(*RECOMPUTING), "the recomputation", log)

    # then nothing of the recomputation is kept: the outbox still holds every change.
    assert _statuses(live, [task]) == ["RUNNING"]
    assert live.scalar("SELECT count(*) FROM reporting_valuechange") == waiting
    assert _alerts(live, "BAT") == set()

    # When the worker restarts, the recomputation and the evaluation complete
    _restart_until_done(live, [task], log)

    # and every rollup equals a fresh aggregation of the raw values, the outbox is empty, and
    # the battalions' alerts are raised once each.
    assert live.scalar("SELECT count(*) FROM reporting_valuechange") == 0
    assert live.scalar("SELECT count(*) FROM analytics_rollup") > 0
    assert _rollups_differing(live) == 0
    assert _alerts(live, "BAT") == expected
    assert _duplicates(live) == 0
    assert _history_problems(live) == {}
    assert cs.call(live, "chain_ok") is True
    fresh = cs.call(live, "fresh_evaluation")
    assert fresh == {"opened": 0, "reopened": 0, "refreshed": 0, "resolved": 0, "errors": 0}
