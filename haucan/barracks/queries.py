"""Scoped reads of the barracks registry: registers, pages and the overview of a subtree.

Every read takes a Scope; objects outside it do not exist (NotFound)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils.translation import gettext as _

from haucan.barracks.models import (
    AreaEvent,
    Building,
    CaseStatus,
    ConditionLevel,
    LandCase,
    LandCertificate,
    LandPurpose,
    LandSite,
    LandTransfer,
    TransferKind,
)
from haucan.core.errors import NotFound
from haucan.core.scope import Scope
from haucan.core.text import fold
from haucan.org.models import Unit


def _in_scope(scope: Scope, field: str) -> Q:
    if scope.is_global:
        return Q()
    q = Q(pk__in=[])
    for root in scope.root_paths:
        q |= Q(**{f"{field}__startswith": root})
    return q


def units_in_scope(scope: Scope) -> QuerySet[Unit]:
    return Unit.objects.filter(_in_scope(scope, "path"))


def unit_by_code(scope: Scope, code: str) -> Unit | None:
    unit = Unit.objects.filter(code=code).first()
    if unit is None or not scope.covers_path(unit.path):
        return None
    return unit


@dataclass
class SiteFilters:
    q: str = ""
    unit: Unit | None = None  # the subtree of this unit
    purpose: LandPurpose | None = None
    certificate: str = ""  # "yes", "no" or ""
    cases: bool = False  # only sites with an unresolved case


def sites(scope: Scope, filters: SiteFilters | None = None) -> QuerySet[LandSite]:
    f = filters or SiteFilters()
    qs = LandSite.objects.filter(_in_scope(scope, "unit__path")).select_related("unit")
    if f.unit is not None:
        qs = qs.filter(unit__path__startswith=f.unit.path)
    if f.q.strip():
        for word in fold(f.q).split():
            qs = qs.filter(search_name__contains=word)
    if f.purpose is not None:
        qs = qs.filter(Exists(AreaEvent.objects.filter(site=OuterRef("pk"), purpose=f.purpose)))
    has_cert = Exists(LandCertificate.objects.filter(site=OuterRef("pk")))
    if f.certificate == "yes":
        qs = qs.filter(has_cert)
    elif f.certificate == "no":
        qs = qs.exclude(has_cert)
    if f.cases:
        qs = qs.filter(
            Exists(LandCase.objects.filter(site=OuterRef("pk")).exclude(status=CaseStatus.RESOLVED))
        )
    return qs.annotate(area=_sum_of(AreaEvent, "delta"), certified=_sum_of(LandCertificate, "area"))


def _sum_of(model: Any, column: str) -> Subquery:
    # One subquery per total: two joins in one GROUP BY would multiply each other's rows.
    rows = model.objects.filter(site=OuterRef("pk")).order_by().values("site")
    return Subquery(rows.annotate(s=Sum(column)).values("s")[:1])


def get_site(scope: Scope, pk: int) -> LandSite:
    site = LandSite.objects.select_related("unit").filter(pk=pk).first()
    if site is None or not scope.covers_path(site.unit.path):
        raise NotFound(_("Land site not found."))
    return site


@dataclass
class BuildingFilters:
    q: str = ""
    unit: Unit | None = None
    site: LandSite | None = None
    type_id: int | None = None
    condition_id: int | None = None
    durability_id: int | None = None
    life: str = ""  # "past", "1", "3", "5": past its end of life or within N years


def buildings(scope: Scope, filters: BuildingFilters | None, year: int) -> QuerySet[Building]:
    f = filters or BuildingFilters()
    qs = Building.objects.filter(_in_scope(scope, "unit__path"), retired_on__isnull=True)
    if f.unit is not None:
        qs = qs.filter(unit__path__startswith=f.unit.path)
    if f.site is not None:
        qs = qs.filter(site=f.site)
    if f.q.strip():
        for word in fold(f.q).split():
            qs = qs.filter(search_name__contains=word)
    if f.type_id:
        qs = qs.filter(type_id=f.type_id)
    if f.condition_id:
        qs = qs.filter(condition_id=f.condition_id)
    if f.durability_id:
        qs = qs.filter(durability_id=f.durability_id)
    if f.life == "past":
        qs = qs.filter(end_of_life_year__lte=year)
    elif f.life in ("1", "3", "5"):
        qs = qs.filter(end_of_life_year__gt=year, end_of_life_year__lte=year + int(f.life))
    return qs.select_related("site", "unit", "type", "condition", "durability").order_by("code")


def get_building(scope: Scope, pk: int) -> Building:
    b = (
        Building.objects.select_related("site__unit", "type", "condition", "durability")
        .filter(pk=pk)
        .first()
    )
    if b is None or not scope.covers_path(b.site.unit.path):
        raise NotFound(_("Building not found."))
    return b


def get_case(scope: Scope, pk: int) -> LandCase:
    case = LandCase.objects.select_related("site__unit").filter(pk=pk).first()
    if case is None or not scope.covers_path(case.site.unit.path):
        raise NotFound(_("Case not found."))
    return case


def cases(scope: Scope, status: str = "") -> QuerySet[LandCase]:
    qs = LandCase.objects.filter(_in_scope(scope, "site__unit__path")).select_related("site__unit")
    if status == "open":
        qs = qs.exclude(status=CaseStatus.RESOLVED)
    elif status in CaseStatus.values:
        qs = qs.filter(status=status)
    return qs


def get_transfer(scope: Scope, pk: int) -> LandTransfer:
    t = LandTransfer.objects.select_related("site__unit", "purpose").filter(pk=pk).first()
    if t is None or not scope.covers_path(t.site.unit.path):
        raise NotFound(_("Record not found."))
    return t


@dataclass
class Overview:
    sites: int = 0
    area: Decimal = Decimal(0)
    certified: Decimal = Decimal(0)
    by_purpose: list[tuple[str, Decimal]] = field(default_factory=list)
    unclassified: Decimal = Decimal(0)
    buildings: int = 0
    by_condition: list[tuple[ConditionLevel, int]] = field(default_factory=list)
    past_life: int = 0
    within: dict[int, int] = field(default_factory=dict)  # 1, 3, 5 years -> count
    open_cases: int = 0
    case_area: Decimal = Decimal(0)
    handed_over: Decimal = Decimal(0)  # this year
    received: Decimal = Decimal(0)  # this year
    previous_area: Decimal = Decimal(0)  # on 31/12 of last year


def overview(scope: Scope, today: date, unit: Unit | None = None) -> Overview:
    """The figures of the barracks home for the actor's subtree (or `unit`'s)."""
    where = _in_scope(scope, "site__unit__path")
    if unit is not None:
        where &= Q(site__unit__path__startswith=unit.path)
    o = Overview()
    o.sites = LandSite.objects.filter(
        _in_scope(scope, "unit__path"),
        *([Q(unit__path__startswith=unit.path)] if unit is not None else []),
    ).count()
    purposes = {p.pk: p for p in LandPurpose.objects.all()}
    area_rows = (
        AreaEvent.objects.filter(where, effective_on__lte=today)
        .values("purpose_id")
        .annotate(area=Sum("delta"))
    )
    by_purpose: dict[int | None, Decimal] = defaultdict(Decimal)
    for row in area_rows:
        by_purpose[row["purpose_id"]] += row["area"] or 0
    o.unclassified = by_purpose.pop(None, Decimal(0))
    o.by_purpose = [
        (purposes[pid].name, a)
        for pid, a in sorted(by_purpose.items(), key=lambda kv: kv[0] or 0)
        if a and pid is not None
    ]
    o.area = sum(by_purpose.values(), o.unclassified)
    last_year_end = date(today.year - 1, 12, 31)
    o.previous_area = AreaEvent.objects.filter(where, effective_on__lte=last_year_end).aggregate(
        s=Sum("delta")
    )["s"] or Decimal(0)
    o.certified = LandCertificate.objects.filter(where).aggregate(s=Sum("area"))["s"] or Decimal(0)
    bwhere = _in_scope(scope, "unit__path") & Q(retired_on__isnull=True)
    if unit is not None:
        bwhere &= Q(unit__path__startswith=unit.path)
    counts = dict(
        Building.objects.filter(bwhere).values_list("condition_id").annotate(n=Count("id"))
    )
    o.by_condition = [(c, counts.get(c.pk, 0)) for c in ConditionLevel.objects.all()]
    o.buildings = sum(counts.values())
    year = today.year
    life = Building.objects.filter(bwhere).aggregate(
        past=Count("id", filter=Q(end_of_life_year__lte=year)),
        y1=Count("id", filter=Q(end_of_life_year__gt=year, end_of_life_year__lte=year + 1)),
        y3=Count("id", filter=Q(end_of_life_year__gt=year, end_of_life_year__lte=year + 3)),
        y5=Count("id", filter=Q(end_of_life_year__gt=year, end_of_life_year__lte=year + 5)),
    )
    o.past_life = life["past"]
    o.within = {1: life["y1"], 3: life["y3"], 5: life["y5"]}
    open_cases = LandCase.objects.filter(where).exclude(status=CaseStatus.RESOLVED)
    agg = open_cases.aggregate(n=Count("id"), a=Sum("area"))
    o.open_cases, o.case_area = agg["n"], agg["a"] or Decimal(0)
    flows = LandTransfer.objects.filter(
        where, effective_on__gte=date(year, 1, 1), effective_on__lte=today, area__isnull=False
    )
    o.handed_over = flows.filter(kind=TransferKind.HANDOVER).aggregate(s=Sum("area"))[
        "s"
    ] or Decimal(0)
    o.received = flows.filter(kind=TransferKind.RECEIPT).aggregate(s=Sum("area"))["s"] or Decimal(0)
    return o


def map_payload(site: LandSite) -> dict[str, Any] | None:
    """The boundary and markers as Plotly traces' data (drawn by static/barracks/map.js)."""
    if not site.boundary and not site.markers:
        return None
    rings: list[list[list[float]]] = []
    if site.boundary:
        geom = site.boundary
        polys = [geom["coordinates"]] if geom["type"] == "Polygon" else geom["coordinates"]
        rings = [ring for poly in polys for ring in poly]
    return {"rings": rings, "markers": site.markers or [], "name": site.name}
