"""Submitting ("Nộp báo cáo") and reopening a report, with timeliness and validation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from haucan.audit import services as audit
from haucan.core import arrivals
from haucan.core.errors import Conflict, PermissionDenied, ValidationFailed
from haucan.core.scope import Action, Domain, Scope
from haucan.reporting.models import CompleteRegistration, DataValue
from haucan.reporting.services.values import Target, check_writable
from haucan.reporting.structure import load_structure
from haucan.reporting.validation import Violation, run_rules


class ValidationBlocked(Conflict):
    """The form refuses submission while a high-importance rule fails."""

    def __init__(self, violations: list[Violation]) -> None:
        super().__init__(
            _("The report cannot be submitted: %(n)d high-importance validation rule(s) fail.")
            % {"n": sum(1 for v in violations if v.is_high)}
        )
        self.violations = violations


@dataclass(frozen=True)
class SubmitResult:
    registration: CompleteRegistration
    violations: list[Violation]


def validate_report(scope: Scope, target: Target) -> list[Violation]:
    """Run the form's validation rules on demand."""
    structure = load_structure(target.data_set)
    values = list(
        DataValue.objects.filter(
            unit=target.unit,
            period=target.period.id,
            attribute_option_combo=target.attribute_option_combo,
            data_element_id__in=structure.rows_by_element.keys(),
        )
    )
    return run_rules(structure, values, target.period.days)


def deadline(target: Target) -> datetime:
    """The last moment a submission counts as on time: the end of the form's deadline day."""
    last_day = target.period.end + timedelta(days=target.data_set.timely_days)
    return timezone.make_aware(datetime.combine(last_day, time.max))


@transaction.atomic
def submit_report(scope: Scope, target: Target, *, override_reason: str = "") -> SubmitResult:
    """Mark the report complete and record whether it was on time."""
    check_writable(scope, target, override_reason)
    violations = validate_report(scope, target)
    if target.data_set.block_on_high_validation and any(v.is_high for v in violations):
        raise ValidationBlocked(violations)
    now = timezone.now()
    registration, _created = CompleteRegistration.objects.update_or_create(
        data_set=target.data_set,
        period=target.period.id,
        unit=target.unit,
        attribute_option_combo=target.attribute_option_combo,
        defaults={
            "is_complete": True,
            "completed_at": now,
            "completed_by": scope.username,
            "on_time": now <= deadline(target),
        },
    )
    audit.record(
        scope,
        "reporting.submit",
        target.unit,
        {"form": target.data_set.code, "period": target.period.id, "on_time": registration.on_time},
    )
    arrivals.report_submitted(target.unit.pk, target.period.id, target.data_set.pk)
    return SubmitResult(registration, violations)


@transaction.atomic
def reopen_report(scope: Scope, target: Target, *, reason: str) -> CompleteRegistration:
    """Reopen a submitted report so it can be changed; the reason is kept and audited."""
    reason = reason.strip()
    if not reason:
        raise ValidationFailed(_("Give a reason for reopening the report."), field="reason")
    if not (
        scope.can(Action.ENTER, Domain(target.data_set.domain))
        or scope.can(Action.APPROVE, Domain(target.data_set.domain))
    ):
        raise PermissionDenied(_("You are not allowed to reopen this report."))
    updated = CompleteRegistration.objects.filter(
        data_set=target.data_set,
        period=target.period.id,
        unit=target.unit,
        attribute_option_combo=target.attribute_option_combo,
        is_complete=True,
    ).update(
        is_complete=False,
        reopened_at=timezone.now(),
        reopened_by=scope.username,
        reopen_reason=reason[:500],
    )
    if updated == 0:
        raise Conflict(_("The report is not submitted, so there is nothing to reopen."))
    audit.record(
        scope,
        "reporting.reopen",
        target.unit,
        {"form": target.data_set.code, "period": target.period.id, "reason": reason},
    )
    arrivals.report_submitted(target.unit.pk, target.period.id, target.data_set.pk)
    return CompleteRegistration.objects.get(
        data_set=target.data_set,
        period=target.period.id,
        unit=target.unit,
        attribute_option_combo=target.attribute_option_combo,
    )
