"""Apply what one rule found to its alerts, in bulk: open, refresh, reopen and resolve.

An evaluation looks at a *universe* (some periods, all or some units, all or some keys) and
returns every condition it found there. Conditions found become open alerts (new, reopened or
refreshed); active alerts of the rule inside the universe that were not found are resolved. An
alert whose message and values did not change is not written at all, so running the same
evaluation twice changes nothing (idempotence). The rule's row is locked for the duration, so an
arrival evaluation and the scheduled one never interleave on the same rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise

from haucan.alerts.messages import render
from haucan.alerts.models import Alert, AlertRule, AlertStatus, AlertTransition
from haucan.audit import services as audit
from haucan.core.bulk import update_rows
from haucan.core.scope import Scope


@dataclass
class Finding:
    """A condition found. Its message is rendered only when it is needed (a new or changed
    alert): most conditions of a daily run are the ones already open, and rendering is the
    costliest part of comparing them."""

    unit_id: int
    period: str
    key: str
    values: dict[str, Any]
    template: str | Promise
    params: dict[str, Any]
    link: str = ""
    _message: str | None = None

    @property
    def message(self) -> str:
        if self._message is None:
            self._message = render(self.template, self.params)
        return self._message


@dataclass(frozen=True)
class Universe:
    periods: frozenset[str]
    unit_ids: frozenset[int] | None = None  # None: every unit
    covers_key: Callable[[str], bool] | None = None  # None: every key

    def covers(self, alert: Alert) -> bool:
        return (
            alert.period in self.periods
            and (self.unit_ids is None or alert.unit_id in self.unit_ids)
            and (self.covers_key is None or self.covers_key(alert.key))
        )


@dataclass
class SyncResult:
    opened: list[Alert] = field(default_factory=list)
    reopened: list[Alert] = field(default_factory=list)
    refreshed: int = 0
    resolved: int = 0

    @property
    def raised(self) -> list[Alert]:
        """The alerts that must reach people now (new, or back after being resolved)."""
        return [*self.opened, *self.reopened]

    def add(self, other: SyncResult) -> None:
        self.opened += other.opened
        self.reopened += other.reopened
        self.refreshed += other.refreshed
        self.resolved += other.resolved


REFRESHED_FIELDS = ["message", "values", "severity", "link", "rule", "rule_version", "last_seen_at"]
REOPENED_FIELDS = [
    "status", "opened_at", "resolved_at", "acknowledged_at", "acknowledged_by",
    "acknowledge_note", "times_reopened",
]  # fmt: skip


Item = tuple[AlertRule, Iterable[Finding], Universe]


# The fields an existing alert is read with: what comparing a finding needs (not the message
# nor the timestamps: see Finding), and what its writes and notifications then use.
_READ_FIELDS = [
    f.attname
    for f in Alert._meta.concrete_fields
    if f.attname in {
        "id", "kind", "code", "key", "unit_id", "period", "domain", "status", "values",
        "severity", "link", "rule_version", "times_reopened",
    }
]  # fmt: skip
_VALUES, _STATUS, _SEVERITY, _LINK, _VERSION = (
    _READ_FIELDS.index(name) for name in ("values", "status", "severity", "link", "rule_version")
)
Row = tuple[Any, ...]


def _existing(items: list[Item]) -> dict[str, dict[tuple[int, str, str], Row]]:
    """rule code -> (unit, period, key) -> the alert's row (_READ_FIELDS), for the universes of
    `items`, locked. Rows, not model instances: a daily run reads some 15,000 alerts and changes
    few, and building an instance for each was most of the reading; `_alert` builds one for
    the alerts that change."""
    universes = [universe for _rule, _findings, universe in items]
    rows = Alert.objects.filter(
        code__in={rule.code for rule, _f, _u in items},
        period__in={p for u in universes for p in u.periods},
    )
    if all(u.unit_ids is not None for u in universes):
        rows = rows.filter(unit_id__in={pk for u in universes for pk in u.unit_ids or ()})
    code, unit, period, key = (_READ_FIELDS.index(n) for n in ("code", "unit_id", "period", "key"))
    found: dict[str, dict[tuple[int, str, str], Row]] = {}
    for row in rows.select_for_update().values_list(*_READ_FIELDS):
        found.setdefault(row[code], {})[(row[unit], row[period], row[key])] = row
    return found


def _alert(row: Row) -> Alert:
    """The alert of a row, as `.only(*_READ_FIELDS)` would give it (other fields deferred)."""
    return Alert.from_db(Alert.objects.db, _READ_FIELDS, row)


def _inside(key: tuple[int, str, str], universe: Universe) -> bool:
    unit_id, period, _key = key
    return period in universe.periods and (
        universe.unit_ids is None or unit_id in universe.unit_ids
    )


def sync_rule(
    scope: Scope, rule: AlertRule, findings: Iterable[Finding], universe: Universe
) -> SyncResult:
    return sync_rules(scope, [(rule, findings, universe)])


def sync_rules(scope: Scope, items: Iterable[Item]) -> SyncResult:
    """Apply what several rules found, in one transaction and with one query per kind of write
    for all of them (an arrival evaluation touches a dozen rules with a few alerts each).

    The rules are locked together, in the order of their ids. A rule that comes more than once
    (a late rule's units and its summary) is applied again after the first, as by a second call.
    """
    result = SyncResult()
    rounds: list[list[Item]] = []
    seen_codes: dict[str, int] = {}
    for item in items:
        n = seen_codes.get(item[0].code, 0)
        seen_codes[item[0].code] = n + 1
        if n == len(rounds):
            rounds.append([])
        rounds[n].append(item)
    if not rounds:
        return result
    now = timezone.now()
    # Its own transaction when called alone; inside an evaluation's (which commits the alerts
    # with their notifications) it joins that one instead of adding a savepoint round trip.
    with transaction.atomic(savepoint=False):
        rule_ids = {rule.pk for rule, _f, _u in rounds[0]}
        list(
            AlertRule.objects.select_for_update()
            .filter(pk__in=rule_ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        for chosen in rounds:
            _apply_round(scope, chosen, now, result)
    return result


def _apply_round(scope: Scope, items: list[Item], now: Any, result: SyncResult) -> None:
    existing_by_code = _existing(items)
    to_create: list[Alert] = []
    to_update: list[Alert] = []  # refreshed: new values, same state
    to_reopen: list[Alert] = []
    resolved: list[Alert] = []
    for rule, findings, universe in items:
        existing = {
            key: row
            for key, row in existing_by_code.get(rule.code, {}).items()
            if _inside(key, universe)
        }
        seen: set[tuple[int, str, str]] = set()
        for finding in findings:
            key = (finding.unit_id, finding.period, finding.key)
            if key in seen:
                continue
            seen.add(key)
            row = existing.get(key)
            if row is None:
                to_create.append(
                    Alert(
                        kind=rule.kind,
                        code=rule.code,
                        key=finding.key,
                        severity=rule.severity,
                        domain=rule.domain,
                        unit_id=finding.unit_id,
                        period=finding.period,
                        message=finding.message,
                        values=finding.values,
                        link=finding.link,
                        status=AlertStatus.OPEN,
                        opened_at=now,
                        last_seen_at=now,
                        rule=rule,
                        rule_version=rule.version,
                    )
                )
                continue
            # The message follows from the values, the rule version and the names: equal values
            # of the same rule version mean the same message (a renamed unit shows its new name
            # when the values next change).
            same = (
                row[_VALUES] == finding.values
                and row[_SEVERITY] == rule.severity
                and row[_LINK] == finding.link
                and row[_VERSION] == rule.version
            )
            if row[_STATUS] != AlertStatus.RESOLVED and same:
                continue
            alert = _alert(row)
            if alert.status == AlertStatus.RESOLVED:
                alert.status = AlertStatus.OPEN
                alert.opened_at = now
                alert.resolved_at = None
                alert.acknowledged_at = None
                alert.acknowledged_by = None
                alert.acknowledge_note = ""
                alert.times_reopened += 1
                result.reopened.append(alert)
                to_reopen.append(alert)
            else:
                result.refreshed += 1
                to_update.append(alert)
            alert.message, alert.values, alert.link = finding.message, finding.values, finding.link
            alert.severity, alert.rule, alert.rule_version = rule.severity, rule, rule.version
            alert.last_seen_at = now
        for key, row in existing.items():
            if key in seen or row[_STATUS] == AlertStatus.RESOLVED:
                continue
            alert = _alert(row)
            if universe.covers(alert):
                alert.status = AlertStatus.RESOLVED
                alert.resolved_at = now
                resolved.append(alert)
    if to_create:
        Alert.objects.bulk_create(to_create, batch_size=2000)
        if to_create[0].pk is None:  # no RETURNING: read the new rows back
            created = _existing(items)
            to_create = [_alert(created[a.code][(a.unit_id, a.period, a.key)]) for a in to_create]
        result.opened += to_create
    # Only the fields that were set: the alerts were read with some fields only, and writing a
    # field that was not read would fetch it first, one query per alert and field.
    update_rows(Alert, to_update, REFRESHED_FIELDS)
    update_rows(Alert, to_reopen, [*REFRESHED_FIELDS, *REOPENED_FIELDS])
    update_rows(Alert, resolved, ["status", "resolved_at"])
    result.resolved += len(resolved)
    steps = [
        *((a, "open", AlertStatus.OPEN) for a in to_create),
        *((a, "reopen", AlertStatus.OPEN) for a in to_reopen),
        *((a, "resolve", AlertStatus.RESOLVED) for a in resolved),
    ]
    if steps:
        AlertTransition.objects.bulk_create(
            (
                AlertTransition(alert=a, action=action, status=status, by=scope.username, at=now)
                for a, action, status in steps
            ),
            batch_size=2000,
        )
        audit.record_many(
            scope,
            [
                (f"alerts.{action}", a, {"code": a.code, "period": a.period, "key": a.key})
                for a, action, _status in steps
            ],
        )
