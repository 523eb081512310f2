"""Reads of the catalog that other apps call."""

from __future__ import annotations

from datetime import date

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from haucan.catalog.models import DataSet, Norm
from haucan.core.errors import NotFound
from haucan.core.scope import Action, Scope
from haucan.org.queries import scope_filter


def data_sets_for(scope: Scope) -> QuerySet[DataSet]:
    """Forms assigned to at least one unit in the scope."""
    if scope.is_global:
        return DataSet.objects.all()
    return DataSet.objects.filter(
        pk__in=DataSet.units.through.objects.filter(scope_filter(scope, "unit__")).values(
            "dataset_id"
        )
    )


def get_data_set(scope: Scope, key: str) -> DataSet:
    data_set = data_sets_for(scope).filter(Q(uid=key) | Q(code=key)).first()
    if data_set is None and scope.can(Action.DESIGN):
        data_set = DataSet.objects.filter(Q(uid=key) | Q(code=key)).first()
    if data_set is None:
        raise NotFound(_("Report form not found."))
    return data_set


def norm_value(norm_set_code: str, item_code: str, on: date) -> Norm | None:
    """The norm in force for an item on a date, so past reports use the norms of their time."""
    return (
        Norm.objects.filter(norm_set__code=norm_set_code, item_code=item_code, valid_from__lte=on)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .first()
    )
