"""Every change to alerts. Domain modules raise and clear their conditions through two functions:

    raise_event(scope, code="petroleum.stock_below_reserve", domain=Domain.PETROLEUM, unit=unit,
                severity=Severity.WARNING, message=_("Stock of %(product)s is below the reserve"),
                params={"product": "DO 0,05S"}, values={"stock": 1200, "reserve": 5000},
                key=f"depot:{depot.pk}", link=url)
    clear_event(scope, code="petroleum.stock_below_reserve", unit=unit, key=f"depot:{depot.pk}")

Call them in the same transaction as the change that raised or cleared the condition: the alert is
committed with it, or not at all. Both are idempotent: raising an open condition refreshes it,
clearing one that is not active does nothing. The core never imports a module; modules import this.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.functional import Promise

from haucan.alerts.models import (
    Alert,
    AlertKind,
    AlertRule,
    AlertStatus,
    AlertTransition,
    RuleKind,
    Severity,
)
from haucan.alerts.notify import notify
from haucan.audit import services as audit
from haucan.core.scope import Domain, Scope
from haucan.org.models import Unit


def render_message(message: str | Promise, params: Mapping[str, Any] | None = None) -> str:
    """The message in Vietnamese with its values filled in (alerts are stored as shown)."""
    with translation.override("vi"):
        text = str(message)
        return text % dict(params) if params else text


def raise_event(
    scope: Scope,
    *,
    code: str,
    domain: Domain | str,
    unit: Unit,
    severity: Severity | str,
    message: str | Promise,
    params: Mapping[str, Any] | None = None,
    values: Mapping[str, Any] | None = None,
    period: str = "",
    key: str = "",
    link: str = "",
    kind: AlertKind | str = AlertKind.EVENT,
) -> Alert:
    """Open the condition's alert, refresh it while it is active, or reopen it once resolved.

    An active AlertRule of kind "domain event" whose event code is `code` sets the severity and
    the recipients; without one the module's severity and the default recipients apply."""
    now = timezone.now()
    rule = (
        AlertRule.objects.filter(kind=RuleKind.EVENT, event_code=code, active=True).first()
        if str(kind) == AlertKind.EVENT
        else None
    )
    fields = {
        "kind": str(kind),
        "severity": rule.severity if rule is not None else str(severity),
        "rule": rule,
        "rule_version": rule.version if rule is not None else None,
        "domain": str(domain),
        "message": render_message(message, params),
        "values": dict(values or {}),
        "link": link,
        "last_seen_at": now,
    }
    with transaction.atomic():
        alert = (
            Alert.objects.select_for_update()
            .filter(code=code, unit=unit, period=period, key=key)
            .first()
        )
        if alert is None:
            try:
                with transaction.atomic():
                    alert = Alert.objects.create(
                        code=code, unit=unit, period=period, key=key, opened_at=now, **fields
                    )
            except IntegrityError:  # raised at the same moment elsewhere: refresh that one
                alert = Alert.objects.select_for_update().get(
                    code=code, unit=unit, period=period, key=key
                )
            else:
                audit.record(scope, "alerts.open", alert, {"code": code, "period": period})
                _step(scope, alert, "open", now)
                notify(scope, [alert])
                return alert
        reopened = alert.status == AlertStatus.RESOLVED
        for name, value in fields.items():
            setattr(alert, name, value)
        update = [*fields]
        if reopened:
            alert.status = AlertStatus.OPEN
            alert.opened_at = now
            alert.resolved_at = None
            alert.acknowledged_at = None
            alert.acknowledged_by = None
            alert.acknowledge_note = ""
            alert.times_reopened += 1
            update += [
                "status",
                "opened_at",
                "resolved_at",
                "acknowledged_at",
                "acknowledged_by",
                "acknowledge_note",
                "times_reopened",
            ]
        alert.save(update_fields=update)
        if reopened:
            audit.record(scope, "alerts.reopen", alert, {"code": code, "period": period})
            _step(scope, alert, "reopen", now)
            notify(scope, [alert])
        return alert


def clear_event(
    scope: Scope, *, code: str, unit: Unit, period: str = "", key: str = ""
) -> Alert | None:
    """Resolve the condition's alert when it is active; returns it, or None when nothing was
    active."""
    with transaction.atomic():
        alert = (
            Alert.objects.select_for_update()
            .filter(code=code, unit=unit, period=period, key=key)
            .exclude(status=AlertStatus.RESOLVED)
            .first()
        )
        if alert is None:
            return None
        alert.status = AlertStatus.RESOLVED
        alert.resolved_at = timezone.now()
        alert.save(update_fields=["status", "resolved_at"])
        audit.record(scope, "alerts.resolve", alert, {"code": code, "period": period})
        _step(scope, alert, "resolve", alert.resolved_at)
        return alert


def _step(scope: Scope, alert: Alert, action: str, at: datetime, note: str = "") -> None:
    AlertTransition.objects.create(
        alert=alert, action=action, status=alert.status, by=scope.username, at=at, note=note
    )
