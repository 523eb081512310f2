"""Late or missing reports: a form's deadline (end of period + the form's days to submit) passed
and the unit has not submitted it. Each parent with late children gets one summary alert (key
"summary") counting them, so a commander sees "3 of 12 units are late" rather than 3 alerts."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from haucan.alerts.evaluation import links
from haucan.alerts.evaluation.context import Units
from haucan.alerts.messages import LATE_SUMMARY, template_for
from haucan.alerts.models import AlertRule
from haucan.alerts.sync import Finding
from haucan.catalog.models import DataSet
from haucan.core.periods import Period, PeriodType, period_of
from haucan.reporting.models import CompleteRegistration

SUMMARY = "summary"


def overdue_periods(data_set: DataSet, today: date, lookback: int) -> list[Period]:
    """The last `lookback` periods of the form whose deadline day is before `today`."""
    period = period_of(today, PeriodType(data_set.period_type))
    found: list[Period] = []
    for _ in range(lookback + 2):
        if period.end + timedelta(days=data_set.timely_days) < today:
            found.append(period)
            if len(found) == lookback:
                break
        period = period.previous()
    return found


def evaluate(
    rule: AlertRule,
    data_set: DataSet,
    assigned: list[int],
    periods: list[Period],
    units: Units,
    parents: set[int] | None = None,
) -> list[Finding]:
    """`assigned`: the units (pks) that must report; `parents`: the parents whose summaries
    are recomputed (None: all)."""
    registrations = CompleteRegistration.objects.filter(
        data_set=data_set, period__in=[p.id for p in periods], is_complete=True
    )
    if not units.complete:
        registrations = registrations.filter(unit_id__in=assigned)
    submitted = set(registrations.values_list("unit_id", "period"))
    findings: list[Finding] = []
    own_link = links.linker(data_set.code)
    sum_link = links.linker(data_set.code, own_values=False)
    for period in periods:
        late_by_parent: dict[int, int] = defaultdict(int)
        total_by_parent: dict[int, int] = defaultdict(int)
        for unit_id in assigned:
            info = units.by_pk.get(unit_id)
            if info is None:
                continue
            late = (unit_id, period.id) not in submitted
            if info.parent_id is not None:
                total_by_parent[info.parent_id] += 1
                late_by_parent[info.parent_id] += late
            if not late:
                continue
            params = {
                "rule": rule.name,
                "unit": info.name,
                "period": period.display_name(),
                "form": data_set.name,
            }
            findings.append(
                Finding(
                    unit_id=unit_id,
                    period=period.id,
                    key="",
                    template=template_for(rule.message, rule.kind),
                    params=params,
                    values={"deadline": str(period.end + timedelta(days=data_set.timely_days))},
                    link=own_link(info.uid, period.id),
                )
            )
        for parent_id, missing in sorted(late_by_parent.items()):
            if not missing or (parents is not None and parent_id not in parents):
                continue
            summary: dict[str, object] = {
                "rule": rule.name,
                "unit": units.name(parent_id),
                "period": period.display_name(),
                "form": data_set.name,
                "missing": missing,
                "total": total_by_parent[parent_id],
            }
            findings.append(
                Finding(
                    unit_id=parent_id,
                    period=period.id,
                    key=SUMMARY,
                    template=LATE_SUMMARY,
                    params=summary,
                    values={"missing": missing, "total": total_by_parent[parent_id]},
                    link=sum_link(_uid(units, parent_id), period.id),
                )
            )
    return findings


def _uid(units: Units, pk: int) -> str:
    info = units.by_pk.get(pk)
    return info.uid if info else ""
