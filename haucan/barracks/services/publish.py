"""Publishing the registry's summaries into the barracks report forms (the module source).

A change republishes only what it can affect: the forms of its kind (land or buildings), for the
units whose sites or buildings changed, for the periods from its date to today. The window stops
at the first of January of last year (ADR 0040): older periods are history the army has already
reported, and a late correction to them is a decision for a person, not a side effect. A period
that is approved or locked is left as it was."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import date

from django.utils import timezone

from haucan.barracks import summaries
from haucan.catalog.models import DataSet
from haucan.core.errors import Conflict
from haucan.core.periods import Period, PeriodType, periods_between
from haucan.core.scope import Scope
from haucan.org.models import Unit
from haucan.reporting.services.sources import publish_source_values
from haucan.reporting.services.values import InvalidCells, SaveResult

SOURCE = "barracks"
log = logging.getLogger(__name__)


def window_start(today: date) -> date:
    return date(today.year - 1, 1, 1)


def periods_for(data_set: DataSet, since: date, today: date) -> list[Period]:
    start = max(since, window_start(today))
    if start > today:
        return []
    return periods_between(start, today, PeriodType(data_set.period_type))


def land_changed(scope: Scope, units: Sequence[Unit], *, since: date) -> int:
    return publish(scope, [u.pk for u in units], summaries.LAND_FORMS, since=since)


def buildings_changed(scope: Scope, unit_ids: Sequence[int], *, since: date) -> int:
    return publish(scope, unit_ids, summaries.BUILDING_FORMS, since=since)


def publish(
    scope: Scope,
    unit_ids: Iterable[int],
    forms: Iterable[str],
    *,
    since: date,
    today: date | None = None,
) -> int:
    """Recompute and publish `forms` for `unit_ids` over the window; returns values written.

    Forms missing from the catalog (a deployment without the barracks forms) are skipped."""
    today = today or timezone.localdate()
    ids = sorted(set(unit_ids))
    data_sets = list(DataSet.objects.filter(code__in=list(forms)))
    if not ids or not data_sets:
        return 0
    units = {u.pk: u for u in Unit.objects.filter(pk__in=ids)}
    maps = summaries.Maps.load()
    written = 0
    for data_set in data_sets:
        for period in periods_for(data_set, since, today):
            values = summaries.compute(data_set.code, period, ids, today, maps)
            for uid in ids:
                try:
                    result = _publish_one(scope, data_set, units[uid], period.id, values[uid])
                except Conflict as exc:  # approved or locked: the report stays as approved
                    log.info(
                        "barracks: %s %s %s not republished: %s", data_set.code, uid, period.id, exc
                    )
                    continue
                written += result.created + result.updated + result.deleted
    return written


def _publish_one(
    scope: Scope, data_set: DataSet, unit: Unit, period_id: str, values: summaries.Values
) -> SaveResult:
    """Publish; a cell the form does not have (a classification mapped to an option the catalog
    lacks, after a specialist's edit) is left out and logged rather than failing the change."""
    try:
        return publish_source_values(
            scope, source=SOURCE, data_set=data_set, unit=unit, period_id=period_id, values=values
        )
    except InvalidCells as exc:
        keys = list(values)
        bad = {keys[e.index] for e in exc.errors if e.index < len(keys)}
        log.warning("barracks: %s has no cells %s; published without them", data_set.code, bad)
        kept = {k: v for k, v in values.items() if k not in bad}
        return publish_source_values(
            scope, source=SOURCE, data_set=data_set, unit=unit, period_id=period_id, values=kept
        )


def publish_all(scope: Scope, *, today: date | None = None, since: date | None = None) -> int:
    """The full recompute: every unit that holds a site, every barracks form, over the window."""
    today = today or timezone.localdate()
    units = summaries.site_units()
    return publish(scope, units, summaries.FORMS, since=since or window_start(today), today=today)
