"""Links from an alert to the data behind it: the entry screen of the form, unit and period for
a unit's own values, the completeness page of the form for a unit above (whose value is a sum)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache
from urllib.parse import quote_plus

from django.conf import settings
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.http import urlencode

from haucan.alerts.evaluation.context import Catalog
from haucan.alerts.models import AlertRule
from haucan.catalog.models import DataSetElement


def form_of(rule: AlertRule, element_ids: Iterable[int], catalog: Catalog) -> str:
    """The rule's form, or the first form (by code) that holds one of its elements."""
    if rule.data_set is not None:
        return rule.data_set.code
    if not catalog.forms:  # element id -> the first form (by code) holding it, one query
        for element_id, code in DataSetElement.objects.order_by("data_set__code").values_list(
            "data_element_id", "data_set__code"
        ):
            catalog.forms.setdefault(element_id, code)
        catalog.forms.setdefault(0, "")  # loaded, even when no form exists
    return next((catalog.forms[e] for e in sorted(element_ids) if e in catalog.forms), "")


def linker(form: str, *, own_values: bool = True) -> Callable[[str, str], str]:
    """(unit uid, period) -> the link, for many alerts of one form: the page is looked up once
    (a full evaluation links ~15,000 alerts; a reverse() and a urlencode() each were a tenth of
    its time)."""
    urlconf = get_urlconf() or settings.ROOT_URLCONF
    page = _page("entry" if own_values else "completeness", get_script_prefix(), urlconf)
    if not form or not page:
        return lambda unit_uid, period: ""
    head = f"{page}?{urlencode({'ds': form})}"  # the same text as urlencode() of all three
    return lambda unit_uid, period: f"{head}&ou={quote_plus(unit_uid)}&pe={quote_plus(period)}"


@lru_cache(maxsize=16)
def _page(name: str, _prefix: str, _urlconf: str) -> str:
    # One reverse() per page, prefix and URLconf (the key): a full evaluation links ~15,000
    # alerts, and reverse() was a tenth of its time.
    try:
        return reverse(name)
    except NoReverseMatch:  # pragma: no cover - reporting's pages are always installed
        return ""
