"""After-commit listeners for arriving report data (the seam between reporting and alerts).

Reporting may not import the apps above it, yet alerts must look at every value that arrives, by
any path (entry, API import, module sources). So reporting's write paths announce what changed
here, inside their transaction, and the announcement is delivered to the registered listeners
once that transaction commits: a rolled-back write announces nothing. Listeners are registered
explicitly in an AppConfig.ready() (not Django signals, DESIGN.md §4) and must be cheap and never
raise into the writer: a failing listener is logged and skipped. Durable work is theirs to queue.
See docs/adr/0020-alert-evaluation-on-arrival.md.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import transaction

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Arrival:
    """Values of `element_ids` changed for one unit and period, or (with `data_set_id`) a
    report's submission changed there."""

    unit_id: int
    period: str
    element_ids: frozenset[int] = frozenset()
    data_set_id: int | None = None


Listener = Callable[[list[Arrival]], None]
_listeners: list[Listener] = []


def listen(listener: Listener) -> None:
    """Register `listener`; registering the same function twice keeps one."""
    if listener not in _listeners:
        _listeners.append(listener)


def _deliver(arrivals: list[Arrival]) -> None:
    for listener in list(_listeners):
        try:
            listener(arrivals)
        except Exception:  # a listener must never break the write that already committed
            logger.exception("arrival listener %r failed", listener)


def announce(arrivals: Iterable[Arrival]) -> None:
    """Deliver `arrivals` to the listeners after the current transaction commits."""
    batch = [a for a in arrivals if a.element_ids or a.data_set_id is not None]
    if batch and _listeners:
        transaction.on_commit(lambda: _deliver(batch))


def values_arrived(unit_id: int, period: str, element_ids: Iterable[int]) -> None:
    ids = frozenset(element_ids)
    if ids:
        announce([Arrival(unit_id, period, ids)])


def report_submitted(unit_id: int, period: str, data_set_id: int) -> None:
    announce([Arrival(unit_id, period, data_set_id=data_set_id)])


def cells_changed(cells: Iterable[tuple[int, str, int]]) -> None:
    """Announce changed (unit id, period, element id) cells, grouped per unit and period."""
    grouped: dict[tuple[int, str], set[int]] = {}
    for unit_id, period, element_id in cells:
        grouped.setdefault((unit_id, period), set()).add(element_id)
    announce(Arrival(u, p, frozenset(ids)) for (u, p), ids in grouped.items())
