"""Links from an alert to the data behind it: the entry screen of the form, unit and period for
a unit's own values, the completeness page of the form for a unit above (whose value is a sum)."""

from __future__ import annotations

from collections.abc import Iterable

from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode

from haucan.alerts.evaluation.context import Catalog
from haucan.alerts.models import AlertRule
from haucan.catalog.models import DataSetElement


def form_of(rule: AlertRule, element_ids: Iterable[int], catalog: Catalog) -> str:
    """The rule's form, or the first form (by code) that holds one of its elements."""
    if rule.data_set is not None:
        return rule.data_set.code
    ids = tuple(sorted(set(element_ids)))
    if ids not in catalog.forms:
        catalog.forms[ids] = (
            DataSetElement.objects.filter(data_element_id__in=ids)
            .order_by("data_set__code")
            .values_list("data_set__code", flat=True)
            .first()
            or ""
        )
    return catalog.forms[ids]


def to_data(form: str, unit_uid: str, period: str, *, own_values: bool = True) -> str:
    if not form:
        return ""
    try:
        if own_values:
            return f"{reverse('entry')}?{urlencode({'ds': form, 'ou': unit_uid, 'pe': period})}"
        return f"{reverse('completeness')}?{urlencode({'ds': form, 'ou': unit_uid, 'pe': period})}"
    except NoReverseMatch:  # pragma: no cover - reporting's pages are always installed
        return ""
