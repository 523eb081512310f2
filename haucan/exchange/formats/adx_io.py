"""IHE ADX (urn:ihe:qrph:adx:2015), as DHIS2 speaks it (shared/reference/dhis2.md §2.4).

    <adx xmlns="urn:ihe:qrph:adx:2015" exported="2024-02-08T19:30:00Z">
      <group orgUnit="F324-E1" period="2024-01-01/P1M" dataSet="PET_MONTHLY">
        <dataValue dataElement="PET_STOCK" FUEL_GROUP="A92" value="32"/>
      </group>
    </adx>

Reading is lenient, as DHIS2 is: `exported` may be missing, disaggregation comes as category-code
attributes or as a `categoryOptionCombo` attribute, and a period may also be a DHIS2 period id.
Extra group attributes are attribute-combination categories. The default id scheme is `code`.

Writing is always valid against adx_loose.xsd: `exported` is written, periods are start/duration,
and only numeric values are exported, because the schema types `value` as xs:decimal.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import IO, Any
from xml.sax.saxutils import quoteattr

from django.utils import timezone

from haucan.core.periods import Period, PeriodError, PeriodType, parse_period, period_of
from haucan.exchange.formats._xml import events, local
from haucan.reporting.services.imports import ExportRow, ImportFormatError, ImportRow

NAMESPACE = "urn:ihe:qrph:adx:2015"
DURATIONS: dict[str, PeriodType] = {
    "P1D": PeriodType.DAILY,
    "P7D": PeriodType.WEEKLY,
    "P1W": PeriodType.WEEKLY,
    "P1M": PeriodType.MONTHLY,
    "P3M": PeriodType.QUARTERLY,
    "P6M": PeriodType.SIX_MONTHLY,
    "P9M": PeriodType.NINE_MONTHS,
    "P1Y": PeriodType.YEARLY,
    "P12M": PeriodType.YEARLY,
}
DURATION_OF: dict[PeriodType, str] = {
    PeriodType.DAILY: "P1D",
    PeriodType.WEEKLY: "P7D",
    PeriodType.MONTHLY: "P1M",
    PeriodType.QUARTERLY: "P3M",
    PeriodType.SIX_MONTHLY: "P6M",
    PeriodType.NINE_MONTHS: "P9M",
    PeriodType.YEARLY: "P1Y",
}
_GROUP_KEYS = {"orgUnit", "period", "dataSet", "completeDate", "attributeOptionCombo", "empty"}
_VALUE_KEYS = {"dataElement", "value", "categoryOptionCombo", "comment", "followUp"}
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:T[0-9:.]+Z?)?/(P\w+)$")


def period_id(text: str) -> str:
    """ "2024-01-01/P1M" -> "202401"; a DHIS2 id passes through; anything else is returned as
    given, so the import service reports it as an invalid period on its row."""
    text = (text or "").strip()
    match = _RANGE.match(text)
    if not match:
        return text
    kind = DURATIONS.get(match.group(2).upper())
    try:
        start = date.fromisoformat(match.group(1))
        if kind is None:
            return text
        period = period_of(start, kind)
    except (ValueError, PeriodError):
        return text
    return period.id if period.start == start else text


def period_range(period: Period) -> str:
    return f"{period.start.isoformat()}/{DURATION_OF[period.type]}"


def read(stream: IO[bytes], **_options: Any) -> Iterator[ImportRow]:
    counter = [0]
    group: dict[str, str] | None = None
    children: dict[str, str] = {}
    root_seen = False
    for event, element, stack in events(stream, counter):
        name = local(element.tag)
        if event == "start":
            if not root_seen:
                root_seen = True
                if name != "adx":
                    raise ImportFormatError(f"expected <adx>, found <{name}>", 0)
            elif name == "group" and len(stack) == 2:
                group = dict(element.attrib)
                if group.get("empty") == "true":
                    group = None  # the marker group of an empty export carries no values
                    continue
                if not group.get("orgUnit") or not group.get("period"):
                    raise ImportFormatError("a group lacks orgUnit or period", counter[0])
            continue
        if name == "group":
            group = None
            continue
        if group is None and name == "dataValue" and len(stack) == 2:
            continue
        if len(stack) == 3 and local(stack[-1].tag) == "dataValue":
            children[name] = (element.text or "").strip()  # read before it is detached
            continue
        if name != "dataValue" or group is None or len(stack) != 2:
            continue
        attrs = dict(element.attrib)
        comment = children.pop("annotation", None) or None
        children.clear()
        index = counter[0]
        if not attrs.get("dataElement"):
            raise ImportFormatError(f"data value {index} lacks dataElement", index)
        categories = tuple(
            sorted((k, v) for k, v in attrs.items() if k not in _VALUE_KEYS and "}" not in k)
        )
        attribute_pairs = tuple(
            sorted((k, v) for k, v in group.items() if k not in _GROUP_KEYS and "}" not in k)
        )
        yield ImportRow(
            data_element=attrs["dataElement"],
            period=period_id(group["period"]),
            org_unit=group["orgUnit"],
            value=attrs.get("value"),
            category_option_combo=attrs.get("categoryOptionCombo") or None,
            attribute_option_combo=group.get("attributeOptionCombo") or None,
            comment=comment or attrs.get("comment"),
            data_set=group.get("dataSet") or None,
            category_options=categories or None,
            attribute_options=attribute_pairs or None,
        )
        counter[0] += 1
    if not root_seen:
        raise ImportFormatError("the document is empty", 0)


def _decimal(row: ExportRow) -> str | None:
    if row.numeric_value is None:
        return None
    try:
        number = Decimal(repr(float(row.numeric_value)))
    except (InvalidOperation, ValueError):
        return None
    text = format(number.normalize(), "f")
    return text if text not in {"nan", "inf", "-inf"} else None


def _pairs_of_combos(ids: set[int]) -> dict[int, list[tuple[str, str]]]:
    """option combo id -> its (category code, option code) pairs; default combos get none."""
    from haucan.catalog.models import (
        CategoryComboMembership,
        CategoryMembership,
        CategoryOptionCombo,
    )

    cocs = {
        c.pk: c for c in CategoryOptionCombo.objects.filter(pk__in=ids).prefetch_related("options")
    }
    combos = {c.combo_id for c in cocs.values()}
    categories: dict[int, list[tuple[int, str]]] = {}
    for combo, category, code in CategoryComboMembership.objects.filter(
        combo_id__in=combos
    ).values_list("combo_id", "category_id", "category__code"):
        categories.setdefault(combo, []).append((category, code))
    option_category = {
        (cat, opt)
        for cat, opt in CategoryMembership.objects.values_list("category_id", "option_id")
    }
    result: dict[int, list[tuple[str, str]]] = {}
    for coc_id, coc in cocs.items():
        pairs = []
        for option in coc.options.all():
            for category, code in categories.get(coc.combo_id, []):
                if (category, option.pk) in option_category and code != "default":
                    pairs.append((code, option.code))
        result[coc_id] = sorted(pairs)
    return result


_NCNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


def write(rows: Iterable[ExportRow], *, data_set: str | None = None, **_: Any) -> Iterator[bytes]:
    exported = timezone.now().replace(microsecond=0).isoformat().replace("+00:00", "Z")
    yield (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<adx xmlns="{NAMESPACE}" exported="{exported}">\n'
    ).encode()
    pairs: dict[int, list[tuple[str, str]]] = {}
    current: tuple[str, str, int] | None = None
    buffer: list[str] = []
    wrote_group = False
    for row in rows:
        value = _decimal(row)
        if value is None:
            continue  # the schema only admits decimals
        for coc in (row.category_option_combo_id, row.attribute_option_combo_id):
            if coc not in pairs:
                pairs.update(_pairs_of_combos({coc}))
        key = (row.org_unit, row.period, row.attribute_option_combo_id)
        if key != current:
            if current is not None:
                buffer.append("  </group>\n")
            try:
                period = period_range(parse_period(row.period))
            except PeriodError:
                continue
            extra = "".join(
                f" {c}={quoteattr(o)}"
                for c, o in pairs.get(row.attribute_option_combo_id, [])
                if _NCNAME.match(c) and c not in _GROUP_KEYS
            )
            ds = f" dataSet={quoteattr(data_set)}" if data_set else ""
            buffer.append(
                f"  <group orgUnit={quoteattr(row.org_unit)}"
                f" period={quoteattr(period)}{ds}{extra}>\n"
            )
            current = key
            wrote_group = True
        disaggregation = pairs.get(row.category_option_combo_id, [])
        if all(_NCNAME.match(c) and c not in _VALUE_KEYS for c, _o in disaggregation):
            attrs = "".join(f" {c}={quoteattr(o)}" for c, o in disaggregation)
        else:  # a category code that cannot be an XML attribute name: name the combo instead
            attrs = f" categoryOptionCombo={quoteattr(row.category_option_combo)}"
        buffer.append(
            f'    <dataValue dataElement={quoteattr(row.data_element)}{attrs} value="{value}"/>\n'
        )
        if len(buffer) >= 2000:
            yield "".join(buffer).encode()
            buffer = []
    if current is not None:
        buffer.append("  </group>\n")
    if not wrote_group:
        # The schema needs at least one group; an empty export carries an empty marker group.
        buffer.append(
            f'  <group orgUnit="-" period="{date.today().isoformat()}/P1D" empty="true">'
            f'<dataValue dataElement="-" value="0"/></group>\n'
        )
    buffer.append("</adx>\n")
    yield "".join(buffer).encode()
