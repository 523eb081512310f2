"""The barracks report forms computed from the registry, per unit, as SQL aggregates.

`compute(form, period, units, today)` returns {unit id: {(data element, option): value}} with the
COMPLETE set of keys the registry derives for each unit (zeros included), ready for
`publish_source_values`. Values a unit enters by hand (occupancy, notes, proposed funds) are not
derived and never touched. Stocks (areas, counts) are taken on the period's last day, or today for
the running period; flows (handed over, resolved) are summed over the period.

`units=None` computes every unit in one pass of each query (the army-wide recompute)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum

from haucan.barracks.models import (
    AreaEvent,
    Building,
    BuildingType,
    CaseKind,
    ConditionLevel,
    DurabilityClass,
    LandCase,
    LandCertificate,
    LandPurpose,
    LandSite,
    LandTransfer,
    PartyKind,
    TransferKind,
)
from haucan.core.periods import Period

LAND_FORM = "DT_DAT_QUOC_PHONG"
BUILDINGS_FORM = "DT_NHA_CONG_TRINH"
CASES_FORM = "DT_TRANH_CHAP_DAT"
LIFE_FORM = "DT_NIEN_HAN_CONG_TRINH"
LAND_FORMS = (LAND_FORM, CASES_FORM)
BUILDING_FORMS = (BUILDINGS_FORM, LIFE_FORM)
FORMS = LAND_FORMS + BUILDING_FORMS
SOON_YEARS = 5  # NH_SAP_HET_NIEN_HAN: reaching the end of life within five years

PARTY_OPTION = {PartyKind.HOUSEHOLD: "TC_HO_GIA_DINH", PartyKind.ORGANISATION: "TC_TO_CHUC"}

Key = tuple[str, str | None]
Values = dict[Key, Any]


@dataclass(frozen=True)
class Maps:
    purposes: dict[int, LandPurpose]
    types: dict[int, BuildingType]
    classes: dict[int, DurabilityClass]
    conditions: dict[int, ConditionLevel]

    @classmethod
    def load(cls) -> Maps:
        return cls(
            {p.pk: p for p in LandPurpose.objects.all()},
            {t.pk: t for t in BuildingType.objects.all()},
            {c.pk: c for c in DurabilityClass.objects.all()},
            {c.pk: c for c in ConditionLevel.objects.all()},
        )


def as_of(period: Period, today: date) -> date:
    return min(period.end, today)


def _unit_filter(units: Iterable[int] | None, field: str) -> Q:
    return Q() if units is None else Q(**{f"{field}__in": list(units)})


def _num(value: Decimal | float | int | None) -> float:
    return round(float(value or 0), 2)


def compute(
    form: str, period: Period, units: Iterable[int] | None, today: date, maps: Maps | None = None
) -> dict[int, Values]:
    maps = maps or Maps.load()
    unit_list = None if units is None else list(units)
    if form == LAND_FORM:
        return land(period, unit_list, today, maps)
    if form == BUILDINGS_FORM:
        return buildings(period, unit_list, today, maps)
    if form == CASES_FORM:
        return cases(period, unit_list, today)
    if form == LIFE_FORM:
        return life(period, unit_list, today, maps)
    raise ValueError(form)


def _empty(units: list[int] | None, template: Values, seen: Iterable[int]) -> dict[int, Values]:
    """Every unit asked for (or seen, or holding a site when all are asked) starts with all keys
    at zero."""
    ids = set(seen) | (set(units) if units is not None else site_units())
    return {uid: dict(template) for uid in ids}


def land(period: Period, units: list[int] | None, today: date, maps: Maps) -> dict[int, Values]:
    day = as_of(period, today)
    options = sorted({p.report_option for p in maps.purposes.values() if p.report_option})
    template: Values = {}
    for option in options:
        for de in ("DAT_SO_KHU", "DAT_DIEN_TICH", "DAT_DIEN_TICH_GCN"):
            template[(de, option)] = 0
    template[("DAT_DIEN_TICH_KET_HOP", None)] = 0
    rows = (
        AreaEvent.objects.filter(_unit_filter(units, "site__unit_id"), effective_on__lte=day)
        .values("site_id", "site__unit_id", "purpose_id")
        .annotate(area=Sum("delta"))
    )
    by_site: dict[int, dict[int | None, Decimal]] = defaultdict(dict)
    unit_of: dict[int, int] = {}
    for row in rows:
        by_site[row["site_id"]][row["purpose_id"]] = row["area"] or Decimal(0)
        unit_of[row["site_id"]] = row["site__unit_id"]
    result = _empty(units, template, unit_of.values())
    for site_id, areas in by_site.items():
        values = result[unit_of[site_id]]
        classified = {pid: a for pid, a in areas.items() if pid is not None and a > 0}
        if sum(areas.values(), Decimal(0)) <= 0:
            continue  # handed over entirely: no longer a site of the army on that day
        for pid, area in classified.items():
            purpose = maps.purposes[pid]
            key: Key
            if purpose.report_option:
                key = ("DAT_DIEN_TICH", purpose.report_option)
                values[key] = _num(values[key]) + _num(area)
            if purpose.combined_use:
                key = ("DAT_DIEN_TICH_KET_HOP", None)
                values[key] = _num(values[key]) + _num(area)
        if classified:  # counted under its main purpose (the largest area)
            main = maps.purposes[max(classified, key=lambda pid: (classified[pid], -pid))]
            if main.report_option:
                key = ("DAT_SO_KHU", main.report_option)
                values[key] = int(values[key] or 0) + 1
    certified = (
        LandCertificate.objects.filter(_unit_filter(units, "site__unit_id"), issued_on__lte=day)
        .values("site_id", "purpose_id")
        .annotate(area=Sum("area"))
    )
    for row in certified:
        site_id = row["site_id"]
        if site_id not in unit_of:
            continue
        purpose = maps.purposes[row["purpose_id"]]
        if not purpose.report_option:
            continue
        # Never more than the purpose's area that day (land may have been handed over since).
        area = min(row["area"], by_site[site_id].get(row["purpose_id"], Decimal(0)))
        key = ("DAT_DIEN_TICH_GCN", purpose.report_option)
        values = result[unit_of[site_id]]
        values[key] = _num(values[key]) + _num(max(area, Decimal(0)))
    return result


def _in_use(units: list[int] | None, day: date) -> Q:
    return (
        _unit_filter(units, "unit_id")
        & Q(year_built__lte=day.year)
        & (Q(retired_on__isnull=True) | Q(retired_on__gt=day))
    )


def buildings(
    period: Period, units: list[int] | None, today: date, maps: Maps
) -> dict[int, Values]:
    day = as_of(period, today)
    elements = sorted({t.report_element for t in maps.types.values() if t.report_element})
    options = sorted({c.report_option for c in maps.conditions.values() if c.report_option})
    template: Values = {(de, opt): 0 for de in elements for opt in options}
    template.update({("CT_DIEN_TICH_SAN", opt): 0 for opt in options})
    template[("CT_SUC_CHUA", None)] = 0
    rows = list(
        Building.objects.filter(_in_use(units, day))
        .values("unit_id", "type_id", "condition_id")
        .annotate(n=Count("id"), floor=Sum("floor_area"), capacity=Sum("capacity"))
    )
    result = _empty(units, template, (r["unit_id"] for r in rows))
    for row in rows:
        values = result[row["unit_id"]]
        kind = maps.types[row["type_id"]]
        option = maps.conditions[row["condition_id"]].report_option
        if not option:
            continue
        if kind.report_element:
            key: Key = (kind.report_element, option)
            values[key] = int(values[key] or 0) + row["n"]
        key = ("CT_DIEN_TICH_SAN", option)
        values[key] = _num(values[key]) + _num(row["floor"])
        if kind.report_element == "CT_NHA_O":
            key = ("CT_SUC_CHUA", None)
            values[key] = int(values[key] or 0) + int(row["capacity"] or 0)
    return result


def life(period: Period, units: list[int] | None, today: date, maps: Maps) -> dict[int, Values]:
    day = as_of(period, today)
    year = period.end.year
    options = sorted({c.report_option for c in maps.classes.values() if c.report_option})
    template: Values = {
        (de, opt): 0
        for de in ("NH_SO_CONG_TRINH", "NH_HET_NIEN_HAN", "NH_SAP_HET_NIEN_HAN", "NH_DIEN_TICH_SAN")
        for opt in options
    }
    rows = list(
        Building.objects.filter(_in_use(units, day))
        .values("unit_id", "durability_id")
        .annotate(
            n=Count("id"),
            expired=Count("id", filter=Q(end_of_life_year__lte=year)),
            soon=Count(
                "id",
                filter=Q(end_of_life_year__gt=year, end_of_life_year__lte=year + SOON_YEARS),
            ),
            floor=Sum("floor_area"),
        )
    )
    result = _empty(units, template, (r["unit_id"] for r in rows))
    for row in rows:
        option = maps.classes[row["durability_id"]].report_option
        if not option:
            continue
        values = result[row["unit_id"]]
        for de, add in (
            ("NH_SO_CONG_TRINH", row["n"]),
            ("NH_HET_NIEN_HAN", row["expired"]),
            ("NH_SAP_HET_NIEN_HAN", row["soon"]),
        ):
            values[(de, option)] = int(values[(de, option)] or 0) + add
        key = ("NH_DIEN_TICH_SAN", option)
        values[key] = _num(values[key]) + _num(row["floor"])
    return result


def cases(period: Period, units: list[int] | None, today: date) -> dict[int, Values]:
    day = as_of(period, today)
    template: Values = {}
    for option in PARTY_OPTION.values():
        for de in (
            "TC_SO_VU_TRANH_CHAP",
            "TC_DT_TRANH_CHAP",
            "TC_SO_VU_LAN_CHIEM",
            "TC_DT_LAN_CHIEM",
        ):
            template[(de, option)] = 0
    for de in ("TC_SO_VU_DA_GIAI_QUYET", "TC_DT_DA_THU_HOI", "TC_DT_BAN_GIAO"):
        template[(de, None)] = 0
    template[("TC_CO_VU_MOI", None)] = "false"
    where = _unit_filter(units, "site__unit_id")
    open_rows = list(
        LandCase.objects.filter(where, opened_on__lte=day)
        .filter(Q(resolved_on__isnull=True) | Q(resolved_on__gt=day))
        .values("site__unit_id", "kind", "party_kind")
        .annotate(n=Count("id"), area=Sum("area"))
    )
    solved = list(
        LandCase.objects.filter(where, resolved_on__gte=period.start, resolved_on__lte=day)
        .values("site__unit_id")
        .annotate(n=Count("id"), area=Sum("recovered_area"))
    )
    new = set(
        LandCase.objects.filter(where, opened_on__gte=period.start, opened_on__lte=day)
        .values_list("site__unit_id", flat=True)
        .distinct()
    )
    handed = list(
        LandTransfer.objects.filter(
            where,
            kind=TransferKind.HANDOVER,
            area__isnull=False,
            effective_on__gte=period.start,
            effective_on__lte=day,
        )
        .values("site__unit_id")
        .annotate(area=Sum("area"))
    )
    seen = [r["site__unit_id"] for r in open_rows + solved + handed] + list(new)
    result = _empty(units, template, seen)
    for row in open_rows:
        values = result[row["site__unit_id"]]
        option = PARTY_OPTION[PartyKind(row["party_kind"])]
        count_de, area_de = (
            ("TC_SO_VU_TRANH_CHAP", "TC_DT_TRANH_CHAP")
            if row["kind"] == CaseKind.DISPUTE
            else ("TC_SO_VU_LAN_CHIEM", "TC_DT_LAN_CHIEM")
        )
        values[(count_de, option)] = int(values[(count_de, option)] or 0) + row["n"]
        values[(area_de, option)] = _num(values[(area_de, option)]) + _num(row["area"])
    for row in solved:
        values = result[row["site__unit_id"]]
        values[("TC_SO_VU_DA_GIAI_QUYET", None)] = row["n"]
        values[("TC_DT_DA_THU_HOI", None)] = _num(row["area"])
    for row in handed:
        result[row["site__unit_id"]][("TC_DT_BAN_GIAO", None)] = _num(row["area"])
    for uid in new:
        result[uid][("TC_CO_VU_MOI", None)] = "true"
    return result


def site_units(units: Iterable[int] | None = None) -> set[int]:
    """Units that hold at least one site (the full recompute publishes for these)."""
    qs = LandSite.objects.all() if units is None else LandSite.objects.filter(unit_id__in=units)
    return set(qs.values_list("unit_id", flat=True).distinct())
