"""Min-max limits: soft bounds per (element, unit, option combo), checked at entry.

Generated bounds come from the unit's own history: mean ± k·SD for roughly normal data, or
median ± k·MAD (scaled by 1.4826 to be comparable with SD), which outliers cannot drag.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from haucan.audit import services as audit
from haucan.catalog.models import DataElement, DataSet
from haucan.core.errors import NotFound, PermissionDenied, ValidationFailed
from haucan.core.scope import Action, Domain, Scope
from haucan.org.models import Unit
from haucan.reporting.models import DataValue, MinMaxLimit

MIN_HISTORY = 4  # fewer past values than this give no generated bound
MAD_SCALE = 1.4826


@dataclass(frozen=True)
class OutOfRange:
    data_element_id: int
    category_option_combo_id: int
    value: float
    minimum: float
    maximum: float


def _require(scope: Scope, domain: str, unit: Unit) -> None:
    if not scope.covers_path(unit.path):
        raise NotFound(_("Unit not found."))
    if not (scope.can(Action.DESIGN, Domain(domain)) or scope.can(Action.APPROVE, Domain(domain))):
        raise PermissionDenied(_("You are not allowed to set min-max limits."))


@transaction.atomic
def set_limit(
    scope: Scope,
    element: DataElement,
    unit: Unit,
    category_option_combo_id: int,
    minimum: float,
    maximum: float,
) -> MinMaxLimit:
    """Set one limit by hand."""
    _require(scope, element.domain, unit)
    if minimum > maximum:
        raise ValidationFailed(_("The minimum is larger than the maximum."), field="minimum")
    limit, _created = MinMaxLimit.objects.update_or_create(
        data_element=element,
        unit=unit,
        category_option_combo_id=category_option_combo_id,
        defaults={"minimum": minimum, "maximum": maximum, "generated": False, "method": "manual"},
    )
    audit.record(
        scope,
        "reporting.minmax.set",
        unit,
        {"element": element.code, "min": minimum, "max": maximum},
    )
    return limit


def bounds(history: list[float], method: str, k: float) -> tuple[float, float] | None:
    if len(history) < MIN_HISTORY:
        return None
    if method == "mad":
        centre = statistics.median(history)
        spread = MAD_SCALE * statistics.median(abs(x - centre) for x in history)
    elif method == "sd":
        centre = statistics.fmean(history)
        spread = statistics.pstdev(history)
    else:
        raise ValidationFailed(_("Unknown method '%(m)s'; use 'sd' or 'mad'.") % {"m": method})
    low, high = centre - k * spread, centre + k * spread
    if all(x >= 0 for x in history):
        low = max(0.0, low)  # counts and quantities never go negative
    return round(low, 4), round(high, 4)


@transaction.atomic
def generate_limits(
    scope: Scope, data_set: DataSet, root: Unit, *, method: str = "sd", k: float = 2.0
) -> int:
    """Generate limits for every numeric cell of the form in `root`'s subtree; returns the count.

    Hand-set limits are kept; generated ones are replaced."""
    _require(scope, data_set.domain, root)
    if not 0 < k <= 10:
        raise ValidationFailed(_("k must lie between 0 and 10."), field="k")
    element_ids = list(data_set.data_elements.values_list("pk", flat=True))
    series: dict[tuple[int, int, int], list[float]] = defaultdict(list)
    rows = DataValue.objects.filter(
        data_element_id__in=element_ids,
        unit__path__startswith=root.path,
        deleted=False,
        numeric_value__isnull=False,
    ).values_list("data_element_id", "unit_id", "category_option_combo_id", "numeric_value")
    for de, unit, coc, number in rows.iterator(chunk_size=10_000):
        if number is not None:
            series[(de, unit, coc)].append(number)
    manual = set(
        MinMaxLimit.objects.filter(
            data_element_id__in=element_ids, unit__path__startswith=root.path, generated=False
        ).values_list("data_element_id", "unit_id", "category_option_combo_id")
    )
    MinMaxLimit.objects.filter(
        data_element_id__in=element_ids, unit__path__startswith=root.path, generated=True
    ).delete()
    limits = []
    for key, history in series.items():
        if key in manual:
            continue
        found = bounds(history, method, k)
        if found is not None:
            limits.append(
                MinMaxLimit(
                    data_element_id=key[0],
                    unit_id=key[1],
                    category_option_combo_id=key[2],
                    minimum=found[0],
                    maximum=found[1],
                    generated=True,
                    method=f"{method}:{k:g}",
                )
            )
    MinMaxLimit.objects.bulk_create(limits, batch_size=5000)
    audit.record(
        scope, "reporting.minmax.generate", root, {"form": data_set.code, "count": len(limits)}
    )
    return len(limits)


def check_limits(unit: Unit, cells: Iterable[tuple[int, int, float | None]]) -> list[OutOfRange]:
    """Which (element, combo, number) cells fall outside their limit (one query)."""
    cells = [c for c in cells if c[2] is not None]
    if not cells:
        return []
    limits = {
        (lim.data_element_id, lim.category_option_combo_id): lim
        for lim in MinMaxLimit.objects.filter(unit=unit, data_element_id__in={c[0] for c in cells})
    }
    found = []
    for de, coc, number in cells:
        limit = limits.get((de, coc))
        if (
            limit is not None
            and number is not None
            and not limit.minimum <= number <= limit.maximum
        ):
            found.append(OutOfRange(de, coc, number, limit.minimum, limit.maximum))
    return found
