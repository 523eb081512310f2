"""Tasks of a worker that died (kill -9, power loss) are run again when a worker starts.

django-tasks' database worker marks a task RUNNING when it claims it and never looks at it again:
a worker killed mid-task leaves it RUNNING for ever. `haucan worker` therefore names its worker
after the host and process ("host:pid") and, before it starts, puts back to READY every RUNNING
task whose worker on this host is no longer alive. Tasks are idempotent (the house rule), so
running one again is safe; a task whose own bookkeeping also says RUNNING is reset with it
(REQUEUE_HOOKS), e.g. the asynchronous import's job row, so that the re-run is not skipped.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)


def worker_id() -> str:
    """`host:pid`, at most 64 characters (django-tasks' limit)."""
    pid = str(os.getpid())
    return f"{socket.gethostname()[: 63 - len(pid)]}:{pid}"


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # a previous incarnation with the same pid (containers reuse them)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process holds the pid: leave its task alone
    return True


def _reset_import_job(args: list[Any]) -> None:
    from haucan.exchange.models import ImportJob

    if args:
        ImportJob.objects.filter(pk=args[0], status=ImportJob.Status.RUNNING).update(
            status=ImportJob.Status.PENDING, started_at=None
        )


# task path → what to reset with the task (its args), so the re-run does the work again.
REQUEUE_HOOKS: dict[str, Callable[[list[Any]], None]] = {
    "haucan.exchange.datavalues_api.run_import_job": _reset_import_job,
}


def requeue_orphaned_tasks() -> list[str]:
    """Put back to READY the RUNNING tasks of dead workers of this host; their ids."""
    from django.db import transaction
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    host = socket.gethostname()
    requeued = []
    for result in DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING):
        last = (result.worker_ids or [""])[-1]
        worker_host, _sep, pid = last.rpartition(":")
        if not (pid.isdigit() and worker_host and host.startswith(worker_host)) or _alive(int(pid)):
            continue
        with transaction.atomic():
            # Conditional: two workers starting together requeue a task once.
            changed = DBTaskResult.objects.filter(
                pk=result.pk, status=TaskResultStatus.RUNNING
            ).update(status=TaskResultStatus.READY, started_at=None)
            hook = REQUEUE_HOOKS.get(result.task_path)
            if changed and hook is not None:
                hook(list(result.args_kwargs.get("args", [])))
        if changed:
            log.warning(
                "Requeued task %s (%s) of dead worker %s", result.pk, result.task_path, last
            )
            requeued.append(str(result.pk))
    return requeued
