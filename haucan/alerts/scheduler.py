"""The worker's scheduler for periodic jobs (DESIGN.md §3: django-tasks has none of its own).

`haucan worker` runs `run_forever` in a thread beside django-tasks' db_worker. Each tick looks
at the ScheduledJob rows; a due job is claimed by a conditional UPDATE of its next_run_at (so with
several workers exactly one enqueues it) and its task is enqueued for the worker to run. Times
are in the server's time zone (TIME_ZONE, Asia/Ho_Chi_Minh).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db import close_old_connections
from django.utils import timezone

from haucan.alerts.models import ScheduledJob

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    enqueue: Callable[[], object]
    at: time | None = None  # daily at this local time, or
    every: timedelta | None = None  # every interval

    def next_after(self, moment: datetime) -> datetime:
        if self.every is not None:
            return moment + self.every
        assert self.at is not None
        local = timezone.localtime(moment)
        candidate = local.replace(hour=self.at.hour, minute=self.at.minute, second=0, microsecond=0)
        if candidate <= local:
            candidate += timedelta(days=1)
        return candidate


def jobs() -> list[Job]:
    from haucan.alerts import tasks

    return [
        Job("alerts.full_evaluation", tasks.full_evaluation_task.enqueue, at=time(1, 30)),
        Job("alerts.digest", tasks.digest_task.enqueue, at=time(7, 0)),
        Job("alerts.send_due", tasks.send_due_task.enqueue, every=timedelta(minutes=5)),
    ]


def tick(now: datetime | None = None, chosen: list[Job] | None = None) -> list[str]:
    """Enqueue the jobs that are due; returns their names."""
    now = now or timezone.now()
    started: list[str] = []
    for job in chosen if chosen is not None else jobs():
        row, created = ScheduledJob.objects.get_or_create(
            name=job.name, defaults={"next_run_at": job.next_after(now)}
        )
        if created or row.next_run_at > now:
            continue
        claimed = ScheduledJob.objects.filter(pk=row.pk, next_run_at=row.next_run_at).update(
            next_run_at=job.next_after(now), last_run_at=now
        )
        if claimed:
            job.enqueue()
            started.append(job.name)
    return started


def run_forever(stop: threading.Event, interval: float = 30.0) -> None:
    while not stop.is_set():
        try:
            for name in tick():
                logger.info("scheduled %s", name)
        except Exception:  # the scheduler must outlive a database hiccup
            logger.exception("scheduler tick failed")
        finally:
            close_old_connections()
        stop.wait(interval)


def start(interval: float = 30.0) -> threading.Event:
    """Start the scheduler thread; set the returned event to stop it."""
    stop = threading.Event()
    threading.Thread(
        target=run_forever, args=(stop, interval), name="haucan-scheduler", daemon=True
    ).start()
    return stop
