"""Who may see what in the medical module.

Aggregate figures (beds, counts, rates, the board) follow the ordinary rule: VIEW in the medical
domain for units of the scope. Patient-identifying data follows the care chain: only those who may
ENTER medical data for the facility (its own staff, assigned at or above it in the tree) read or
change its patients, and every read of it is written to the audit log. A commander or a specialist
sees the counts, never the names. Anything outside the scope is "not found".
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from haucan.audit import services as audit
from haucan.core.errors import NotFound, PermissionDenied
from haucan.core.scope import Action, Domain, Scope
from haucan.medical.models import Facility


def facilities_in_scope(scope: Scope) -> QuerySet[Facility]:
    qs = Facility.objects.select_related("unit").order_by("unit__path")
    if scope.is_global:
        return qs
    from django.db.models import Q

    cond = Q(pk__in=[])
    for root in scope.root_paths:
        cond |= Q(unit__path__startswith=root)
    return qs.filter(cond)


def get_facility(scope: Scope, uid: str) -> Facility:
    if not scope.can(Action.VIEW, Domain.MEDICAL):
        raise NotFound(_("Facility not found."))
    facility = Facility.objects.select_related("unit").filter(uid=uid).first()
    if facility is None or not scope.covers_path(facility.unit.path):
        raise NotFound(_("Facility not found."))
    return facility


def in_care_chain(scope: Scope, facility: Facility) -> bool:
    return scope.covers_path(facility.unit.path) and scope.can(Action.ENTER, Domain.MEDICAL)


def require_care_chain(scope: Scope, facility: Facility) -> None:
    """Refuse anyone outside the facility's care chain (outside the scope: not found)."""
    if not scope.covers_path(facility.unit.path):
        raise NotFound(_("Facility not found."))
    if not scope.can(Action.ENTER, Domain.MEDICAL):
        raise PermissionDenied(_("Only the facility's own staff may see or change its patients."))


def audit_patient_read(scope: Scope, facility: Facility, what: str, keys: list[str]) -> None:
    """Every read of patient-identifying data leaves a trace (DESIGN.md §7)."""
    audit.record(scope, "medical.patient_read", facility, {"what": what, "episodes": keys[:200]})
