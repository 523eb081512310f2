"""Background tasks of the alerts app (django-tasks, database backend; run by `haucan worker`).

Every task is idempotent: evaluations make alerts match the data (running twice changes nothing),
and a delivery is claimed before it is sent.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django_tasks import task

from haucan.core.arrivals import Arrival
from haucan.core.scope import Scope

logger = logging.getLogger(__name__)

Payload = list[tuple[int, str, list[int], int | None]]


def to_payload(arrivals: list[Arrival]) -> Payload:
    return [(a.unit_id, a.period, sorted(a.element_ids), a.data_set_id) for a in arrivals]


def from_payload(payload: Payload) -> list[Arrival]:
    return [Arrival(u, p, frozenset(e), d) for u, p, e, d in payload]


@task()
def evaluate_arrivals_task(payload: Payload) -> str:
    from haucan.alerts.evaluation import evaluate_arrivals

    report = evaluate_arrivals(Scope.system("alerts.arrival"), from_payload(payload))
    return report.describe()


@task()
def full_evaluation_task() -> str:
    from haucan.alerts.evaluation import evaluate_all

    report = evaluate_all(Scope.system("alerts.schedule"))
    logger.info("scheduled alert evaluation: %s", report.describe())
    return report.describe()


@task()
def send_delivery_task(delivery_id: int) -> str:
    from haucan.alerts import mail

    return mail.send(delivery_id)


@task()
def send_due_task() -> int:
    from haucan.alerts import mail

    return mail.send_due()


@task()
def digest_task() -> int:
    from haucan.alerts import mail

    return mail.queue_digests()


def on_arrivals(arrivals: list[Arrival]) -> None:
    """The listener registered with haucan.core.arrivals (runs after the writer's commit).

    Small arrivals (one form) are evaluated right here, in-process: it takes milliseconds, needs
    no worker (the demo has none), and the clerk sees the warning resolve as soon as the data is
    fixed. Large ones (imports, bulk loads) go to the worker as a task. HAUCAN_ALERTS_INLINE_CELLS
    sets the limit; 0 sends everything to the worker."""
    cells = sum(len(a.element_ids) or 1 for a in arrivals)
    limit = getattr(settings, "HAUCAN_ALERTS_INLINE_CELLS", 500)
    if cells <= limit:
        from haucan.alerts.evaluation import evaluate_arrivals

        try:
            evaluate_arrivals(Scope.system("alerts.arrival"), arrivals)
            return
        except Exception:  # never lose the arrival: the worker tries again
            logger.exception("in-process alert evaluation failed; queued for the worker")
    evaluate_arrivals_task.enqueue(to_payload(arrivals))
