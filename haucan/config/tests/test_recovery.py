"""`haucan worker` puts back the tasks a dead worker left RUNNING (haucan.config.recovery);
the kill -9 case end to end is haucan/web/tests/test_crash_safety.py (PostgreSQL)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from haucan.config.recovery import requeue_orphaned_tasks, worker_id
from haucan.exchange.models import ImportJob

pytestmark = pytest.mark.django_db

IMPORT_TASK = "haucan.exchange.datavalues_api.run_import_job"


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _running(
    worker: str, *, task: str = IMPORT_TASK, args: list[object] | None = None
) -> DBTaskResult:
    return DBTaskResult.objects.create(
        status=TaskResultStatus.RUNNING,
        args_kwargs={"args": args or [], "kwargs": {}},
        task_path=task,
        worker_ids=[worker],
        backend_name="default",
        run_after=timezone.now(),
        started_at=timezone.now(),
    )


def test_the_worker_id_names_the_host_and_the_process() -> None:
    assert len(worker_id()) <= 64
    assert worker_id().startswith(socket.gethostname()[:40])
    assert worker_id().endswith(f":{os.getpid()}")


def test_a_dead_workers_task_and_its_import_job_are_put_back() -> None:
    job = ImportJob.objects.create(
        username="x", format="json", payload_path="/nowhere", status=ImportJob.Status.RUNNING
    )
    task = _running(f"{socket.gethostname()}:{_dead_pid()}", args=[job.pk])
    assert requeue_orphaned_tasks() == [str(task.pk)]
    task.refresh_from_db()
    job.refresh_from_db()
    assert (task.status, task.started_at) == (TaskResultStatus.READY, None)
    assert job.status == ImportJob.Status.PENDING
    assert requeue_orphaned_tasks() == []  # once


def test_a_live_workers_task_and_another_hosts_are_left_running() -> None:
    alive = _running(f"{socket.gethostname()}:{os.getppid()}")
    elsewhere = _running(f"another-host-{socket.gethostname()}:{_dead_pid()}")
    assert requeue_orphaned_tasks() == []
    assert {t.status for t in DBTaskResult.objects.filter(pk__in=[alive.pk, elsewhere.pk])} == {
        TaskResultStatus.RUNNING
    }
