"""Facilities, departments, dated bed counts and staff on duty."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from haucan.audit import services as audit
from haucan.core.errors import NotFound, PermissionDenied, ValidationFailed
from haucan.core.scope import Action, Domain, Scope
from haucan.medical.models import (
    BedCount,
    BedPolicy,
    Department,
    Facility,
    StaffCategory,
    StaffOnDuty,
    Tier,
)
from haucan.org.models import Unit


def _require_enter(scope: Scope, unit: Unit) -> None:
    if not scope.covers_path(unit.path):
        raise NotFound(_("Unit not found."))
    if not scope.can(Action.ENTER, Domain.MEDICAL):
        raise PermissionDenied(_("You may not change medical data."))


def register_facility(
    scope: Scope,
    unit: Unit,
    *,
    tier: str,
    bed_policy: str = BedPolicy.WARN,
    insurance_code: str = "",
    publishes_reports: bool = True,
) -> Facility:
    _require_enter(scope, unit)
    if tier not in Tier.values:
        raise ValidationFailed(_("Unknown medical tier '%(tier)s'.") % {"tier": tier}, field="tier")
    if bed_policy not in BedPolicy.values:
        raise ValidationFailed(_("Unknown bed policy."), field="bed_policy")
    with transaction.atomic():
        facility, created = Facility.objects.get_or_create(
            unit=unit,
            defaults={
                "tier": tier,
                "bed_policy": bed_policy,
                "insurance_code": insurance_code,
                "publishes_reports": publishes_reports,
            },
        )
        if not created:
            facility.tier = tier
            facility.bed_policy = bed_policy
            facility.insurance_code = insurance_code
            facility.publishes_reports = publishes_reports
            facility.save(
                update_fields=["tier", "bed_policy", "insurance_code", "publishes_reports"]
            )
        audit.record(scope, "medical.facility", facility, {"tier": tier, "created": created})
    return facility


def add_department(
    scope: Scope,
    facility: Facility,
    *,
    code: str,
    name: str,
    planned: int,
    set_up: int,
    valid_from: date,
) -> Department:
    _require_enter(scope, facility.unit)
    code, name = code.strip().upper(), name.strip()
    if not code or not name:
        raise ValidationFailed(_("A department needs a code and a name."), field="code")
    with transaction.atomic():
        if Department.objects.filter(facility=facility, code=code).exists():
            raise ValidationFailed(
                _("The department code %(code)s is already used.") % {"code": code},
                field="code",
            )
        department = Department.objects.create(facility=facility, code=code, name=name)
        _set_beds(scope, department, planned=planned, set_up=set_up, valid_from=valid_from)
        audit.record(scope, "medical.department", department, {"code": code, "name": name})
    return department


def _check_beds(planned: int, set_up: int) -> None:
    if planned < 0 or set_up < 0:
        raise ValidationFailed(_("Bed counts cannot be negative."), field="planned")


def _set_beds(
    scope: Scope, department: Department, *, planned: int, set_up: int, valid_from: date
) -> BedCount:
    _check_beds(planned, set_up)
    row, _created = BedCount.objects.update_or_create(
        department=department,
        valid_from=valid_from,
        defaults={"planned": planned, "set_up": set_up},
    )
    audit.record(
        scope,
        "medical.beds",
        department,
        {"valid_from": valid_from.isoformat(), "planned": planned, "set_up": set_up},
    )
    return row


def set_beds(
    scope: Scope, department: Department, *, planned: int, set_up: int, valid_from: date
) -> BedCount:
    """Beds from `valid_from` on; earlier days keep the counts then in force. The reports of the
    days from `valid_from` on are recomputed."""
    from haucan.medical.services.publish import publish_days

    _require_enter(scope, department.facility.unit)
    with transaction.atomic():
        row = _set_beds(scope, department, planned=planned, set_up=set_up, valid_from=valid_from)
        publish_days(scope, department.facility, valid_from)
    return row


def record_staff(scope: Scope, department: Department, day: date, counts: dict[str, int]) -> None:
    """Staff on duty in a department on a day, by category (the complete set for the day)."""
    _require_enter(scope, department.facility.unit)
    for category, headcount in counts.items():
        if category not in StaffCategory.values:
            raise ValidationFailed(
                _("Unknown staff category '%(c)s'.") % {"c": category}, field="category"
            )
        if headcount < 0:
            raise ValidationFailed(
                _("The number of staff on duty cannot be negative."), field=category
            )
    with transaction.atomic():
        for category, headcount in counts.items():
            StaffOnDuty.objects.update_or_create(
                department=department,
                day=day,
                category=category,
                defaults={"headcount": headcount},
            )
        audit.record(scope, "medical.staff", department, {"day": day.isoformat(), "counts": counts})
