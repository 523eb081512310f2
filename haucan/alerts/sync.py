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


def _existing(rule: AlertRule, universe: Universe) -> dict[tuple[int, str, str], Alert]:
    rows = Alert.objects.filter(code=rule.code, period__in=universe.periods)
    if universe.unit_ids is not None:
        rows = rows.filter(unit_id__in=universe.unit_ids)
    # The message and timestamps are not read: comparing needs only the values (see Finding).
    rows = rows.only(
        "pk", "kind", "code", "key", "unit_id", "period", "domain", "status", "values",
        "severity", "link", "rule_version", "times_reopened",
    )  # fmt: skip
    return {(a.unit_id, a.period, a.key): a for a in rows.select_for_update()}


def sync_rule(
    scope: Scope, rule: AlertRule, findings: Iterable[Finding], universe: Universe
) -> SyncResult:
    result = SyncResult()
    now = timezone.now()
    with transaction.atomic():
        AlertRule.objects.select_for_update().filter(pk=rule.pk).first()
        existing = _existing(rule, universe)
        seen: set[tuple[int, str, str]] = set()
        to_create: list[Alert] = []
        to_update: list[Alert] = []
        changed_fields = {"message", "values", "severity", "link", "rule_version"}
        for finding in findings:
            key = (finding.unit_id, finding.period, finding.key)
            if key in seen:
                continue
            seen.add(key)
            alert = existing.get(key)
            if alert is None:
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
                alert.values == finding.values
                and alert.severity == rule.severity
                and alert.link == finding.link
                and alert.rule_version == rule.version
            )
            if alert.status == AlertStatus.RESOLVED:
                alert.status = AlertStatus.OPEN
                alert.opened_at = now
                alert.resolved_at = None
                alert.acknowledged_at = None
                alert.acknowledged_by = None
                alert.acknowledge_note = ""
                alert.times_reopened += 1
                result.reopened.append(alert)
            elif same:
                continue
            else:
                result.refreshed += 1
            alert.message, alert.values, alert.link = finding.message, finding.values, finding.link
            alert.severity, alert.rule, alert.rule_version = rule.severity, rule, rule.version
            alert.last_seen_at = now
            to_update.append(alert)
        resolved: list[Alert] = []
        for key, alert in existing.items():
            if key not in seen and alert.is_active and universe.covers(alert):
                alert.status = AlertStatus.RESOLVED
                alert.resolved_at = now
                resolved.append(alert)
        if to_create:
            Alert.objects.bulk_create(to_create, batch_size=2000)
            if to_create[0].pk is None:  # no RETURNING: read the new rows back
                created = _existing(rule, universe)
                to_create = [created[(a.unit_id, a.period, a.key)] for a in to_create]
            result.opened = to_create
        if to_update:
            Alert.objects.bulk_update(
                to_update,
                [
                    *changed_fields,
                    "rule",
                    "last_seen_at",
                    "status",
                    "opened_at",
                    "resolved_at",
                    "acknowledged_at",
                    "acknowledged_by",
                    "acknowledge_note",
                    "times_reopened",
                ],
                batch_size=2000,
            )
        if resolved:
            Alert.objects.bulk_update(resolved, ["status", "resolved_at"], batch_size=2000)
        result.resolved = len(resolved)
        steps = [
            *((a, "open", AlertStatus.OPEN) for a in result.opened),
            *((a, "reopen", AlertStatus.OPEN) for a in result.reopened),
            *((a, "resolve", AlertStatus.RESOLVED) for a in resolved),
        ]
        if steps:
            AlertTransition.objects.bulk_create(
                (
                    AlertTransition(
                        alert=a, action=action, status=status, by=scope.username, at=now
                    )
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
    return result
