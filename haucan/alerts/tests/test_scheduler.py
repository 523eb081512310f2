"""The worker's scheduler: a due job is enqueued exactly once, then waits for its next time."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from haucan.alerts import scheduler
from haucan.alerts.models import ScheduledJob
from haucan.alerts.tasks import full_evaluation_task

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.mark.django_db
def test_a_daily_job_runs_once_when_due_and_is_rescheduled_for_the_next_day() -> None:
    runs: list[str] = []
    job = scheduler.Job("test.daily", lambda: runs.append("ran"), at=time(1, 30))
    monday = datetime(2026, 11, 16, 0, 0, tzinfo=HANOI)

    assert scheduler.tick(monday, [job]) == []  # first sight: scheduled for 01:30
    assert ScheduledJob.objects.get().next_run_at == datetime(2026, 11, 16, 1, 30, tzinfo=HANOI)
    assert scheduler.tick(monday + timedelta(hours=1), [job]) == []
    later = monday + timedelta(hours=2)
    assert scheduler.tick(later, [job]) == ["test.daily"]
    assert scheduler.tick(later, [job]) == []  # claimed: a second worker does not run it
    assert runs == ["ran"]
    row = ScheduledJob.objects.get()
    assert (row.last_run_at, row.next_run_at) == (
        later,
        datetime(2026, 11, 17, 1, 30, tzinfo=HANOI),
    )


@pytest.mark.django_db
def test_an_interval_job_runs_every_interval() -> None:
    runs: list[int] = []
    job = scheduler.Job("test.every", lambda: runs.append(1), every=timedelta(minutes=5))
    start = datetime(2026, 11, 16, 8, 0, tzinfo=HANOI)
    for minute in range(0, 16):
        scheduler.tick(start + timedelta(minutes=minute), [job])
    assert len(runs) == 3  # at 08:05, 08:10 and 08:15


@pytest.mark.django_db
def test_the_real_jobs_are_enqueued_as_tasks() -> None:
    from django_tasks_db.models import DBTaskResult

    now = datetime(2026, 11, 16, 0, 0, tzinfo=HANOI)
    scheduler.tick(now)
    assert scheduler.tick(now + timedelta(days=1)) == [
        "alerts.full_evaluation",
        "alerts.digest",
        "alerts.send_due",
    ]
    names = set(DBTaskResult.objects.values_list("task_path", flat=True))
    assert "haucan.alerts.tasks.full_evaluation_task" in names
    assert full_evaluation_task.call().startswith("0 rules")
