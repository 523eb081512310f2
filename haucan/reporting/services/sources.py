"""Module sources of report values: no double entry (DESIGN.md §5.3).

A domain module (the fuel ledger, the land registry, the hospital records) registers once, in its
AppConfig.ready(), and then publishes the values it derives whenever its operational data changes:

    register_source(SourceSpec("petroleum", _("Fuel ledger"), link=stock_card_url))
    publish_source_values(scope, source="petroleum", data_set=form, unit=unit, period_id="202401",
                          values={("XD_XUAT", "DO"): 1250.0, ("XD_NHAP", "DO"): None})

The values go through `save_values` with `origin=source`, so they are checked, audited and seen by
analytics like any other; the entry screen shows them read-only with the source's label and link.
Publishing is idempotent (unchanged values write nothing). A value this source stored earlier for
the same form, unit and period but absent from `values` is deleted, so the caller always passes the
complete set it derives. A submission does not stop a source; a lock or an approval does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext as _

from haucan.catalog.models import DataSet
from haucan.catalog.services import default_option_combo
from haucan.core.errors import NotFound, ValidationFailed
from haucan.core.periods import PeriodError, parse_period
from haucan.core.scope import Scope
from haucan.org.models import Unit
from haucan.reporting.models import DataValue, Origin
from haucan.reporting.services.values import CellInput, SaveResult, Target, save_values

# (unit, period id, data element code) -> the page that shows where the value came from, or None.
LinkBuilder = Callable[[Unit, str, str], str | None]


@dataclass(frozen=True)
class SourceSpec:
    name: str  # stored in DataValue.source; short and stable, e.g. "petroleum"
    label: str | Promise  # shown beside a computed cell, e.g. "Sổ cái xăng dầu"
    link: LinkBuilder | None = None


_SOURCES: dict[str, SourceSpec] = {}


def register_source(spec: SourceSpec) -> None:
    _SOURCES[spec.name] = spec


def source_spec(name: str) -> SourceSpec | None:
    return _SOURCES.get(name)


def source_link(name: str, unit: Unit, period_id: str, element_code: str) -> str | None:
    spec = _SOURCES.get(name)
    if spec is None or spec.link is None:
        return None
    return spec.link(unit, period_id, element_code)


Key = tuple[str, str | None]  # (data element code, category option combo code or None)


def publish_source_values(
    scope: Scope,
    *,
    source: str,
    data_set: DataSet,
    unit: Unit,
    period_id: str,
    values: Mapping[Key, float | int | str | None],
) -> SaveResult:
    """Write the complete set of values that `source` derives for one form, unit and period."""
    if source not in _SOURCES:
        raise ValidationFailed(f"Unknown source '{source}'; register it first.")
    if not scope.covers_path(unit.path):
        raise NotFound(_("Unit not found."))
    try:
        period = parse_period(period_id)
    except PeriodError as exc:
        raise ValidationFailed(str(exc), field="period") from None
    target = Target(data_set, unit, period, default_option_combo())
    cells = [
        CellInput(data_element=de, category_option_combo=coc, value=_text(value))
        for (de, coc), value in values.items()
    ]
    given = {(de, coc or "") for de, coc in values}
    stale = (
        DataValue.objects.filter(
            unit=unit,
            period=period.id,
            attribute_option_combo=target.attribute_option_combo,
            data_element__in=data_set.data_elements.all(),
            origin=Origin.SOURCE,
            source=source,
            deleted=False,
        )
        .values_list("data_element__code", "category_option_combo__code")
        .distinct()
    )
    for de_code, coc_code in stale:
        if (de_code, coc_code) not in given and (de_code, "") not in given:
            cells.append(CellInput(data_element=de_code, category_option_combo=coc_code, value=""))
    return save_values(scope, target, cells, origin=Origin.SOURCE, source=source)


def _text(value: float | int | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{round(value, 6):.6f}".rstrip("0").rstrip(".")
    return str(value)
