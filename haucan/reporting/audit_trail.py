"""Reads of the value audit: per cell for the entry screen, filtered lists for specialists."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from haucan.catalog.models import DataSet
from haucan.core.errors import PermissionDenied
from haucan.core.scope import Action, Scope
from haucan.org.queries import scope_filter
from haucan.reporting.models import DataValueAudit


@dataclass(frozen=True)
class AuditFilter:
    data_set: DataSet | None = None
    unit_path: str | None = None  # a subtree
    period: str | None = None
    data_element: str | None = None  # code or uid
    changed_by: str | None = None
    action: str | None = None


def audit_trail(
    scope: Scope, filters: AuditFilter, *, limit: int = 500
) -> QuerySet[DataValueAudit]:
    """Value changes inside the scope, newest first, for users who may view data."""
    if not scope.can_any(Action.VIEW):
        raise PermissionDenied(_("You are not allowed to see the value audit."))
    rows = DataValueAudit.objects.filter(scope_filter(scope, "data_value__unit__")).select_related(
        "data_value__data_element",
        "data_value__unit",
        "data_value__category_option_combo",
    )
    if filters.data_set is not None:
        rows = rows.filter(data_value__data_element__in=filters.data_set.data_elements.all())
    if filters.unit_path:
        rows = rows.filter(data_value__unit__path__startswith=filters.unit_path)
    if filters.period:
        rows = rows.filter(data_value__period=filters.period)
    if filters.data_element:
        rows = rows.filter(
            Q(data_value__data_element__code=filters.data_element)
            | Q(data_value__data_element__uid=filters.data_element)
        )
    if filters.changed_by:
        rows = rows.filter(changed_by=filters.changed_by)
    if filters.action:
        rows = rows.filter(action=filters.action)
    return rows.order_by("-changed_at", "-id")[:limit]
