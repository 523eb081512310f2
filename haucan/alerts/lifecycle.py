"""What people do with an alert: acknowledge it with a note, assign it, mark it read.

Resolving is not among them: an alert resolves when its condition clears (the data is fixed or
the module clears the event), which is what makes the inbox trustworthy. Every action checks that
the alert is in the actor's scope (else it is not found) and is audited.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from haucan.accounts.models import User
from haucan.alerts.models import Alert, AlertStatus, AlertTransition, Notification
from haucan.alerts.queries import get_alert
from haucan.audit import services as audit
from haucan.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from haucan.core.scope import Action, Domain, Scope


def _may_act(scope: Scope, alert: Alert) -> None:
    domain = Domain(alert.domain)
    if not (
        scope.can(Action.ENTER, domain)
        or scope.can(Action.APPROVE, domain)
        or scope.can(Action.DESIGN, domain)
    ):
        raise PermissionDenied(_("You may look at this warning but not act on it."))


@transaction.atomic
def acknowledge(scope: Scope, alert_id: int, note: str) -> Alert:
    note = note.strip()
    if not note:
        raise ValidationFailed(_("Write a note saying what is being done."), field="note")
    alert = get_alert(scope, alert_id, for_update=True)
    _may_act(scope, alert)
    if alert.status != AlertStatus.OPEN:
        raise Conflict(_("Only an open warning can be acknowledged."))
    now = timezone.now()
    alert.status = AlertStatus.ACKNOWLEDGED
    alert.acknowledged_at = now
    alert.acknowledged_by_id = scope.user_id
    alert.acknowledge_note = note[:2000]
    alert.save(update_fields=["status", "acknowledged_at", "acknowledged_by", "acknowledge_note"])
    AlertTransition.objects.create(
        alert=alert,
        action="acknowledge",
        status=alert.status,
        by=scope.username,
        at=now,
        note=note[:2000],
    )
    audit.record(scope, "alerts.acknowledge", alert, {"note": note[:200]})
    return alert


@transaction.atomic
def assign(scope: Scope, alert_id: int, username: str) -> Alert:
    """Give the alert to a user who can see it (whose scope covers its unit)."""
    from haucan.accounts.queries import resolve_scope

    alert = get_alert(scope, alert_id, for_update=True)
    _may_act(scope, alert)
    if alert.status == AlertStatus.RESOLVED:
        raise Conflict(_("A resolved warning cannot be assigned."))
    user = User.objects.filter(username=username.strip(), is_active=True).first()
    if user is None:
        raise NotFound(_("User not found."))
    if not resolve_scope(user).covers_path(alert.unit.path):
        raise ValidationFailed(
            _("%(user)s cannot see warnings of %(unit)s.")
            % {"user": user.display_name(), "unit": alert.unit.name},
            field="user",
        )
    alert.assigned_to = user
    alert.save(update_fields=["assigned_to"])
    AlertTransition.objects.create(
        alert=alert,
        action="assign",
        status=alert.status,
        by=scope.username,
        at=timezone.now(),
        note=user.username,
    )
    Notification.objects.get_or_create(
        alert=alert, user=user, defaults={"created_at": timezone.now()}
    )
    audit.record(scope, "alerts.assign", alert, {"to": user.username})
    return alert


def mark_read(scope: Scope, alert_id: int) -> None:
    if scope.user_id is None:
        return
    Notification.objects.filter(
        alert_id=alert_id, user_id=scope.user_id, read_at__isnull=True
    ).update(read_at=timezone.now())
