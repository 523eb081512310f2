"""Buildings: register (one, or many at once for the importer), assess, repair, retire.

The end of life is the year in service plus the service life, computed on every write and stored,
so the registers and the summaries filter on it in SQL. The service life defaults to the
durability class's and must fall within the class's range (QCVN 03:2012/BXD)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from haucan.audit import services as audit
from haucan.barracks.models import (
    Assessment,
    Building,
    BuildingGrade,
    BuildingType,
    ConditionLevel,
    DurabilityClass,
    LandSite,
    Repair,
)
from haucan.barracks.services import publish, warnings
from haucan.barracks.services.common import area_value, require_site
from haucan.core.errors import ValidationFailed
from haucan.core.scope import Scope
from haucan.core.text import fold

FIRST_YEAR = 1800


@dataclass
class BuildingInput:
    site: LandSite
    code: str
    name: str
    type: BuildingType
    durability: DurabilityClass
    condition: ConditionLevel
    year_built: int
    year_in_service: int
    built_area: Decimal | float | str
    floor_area: Decimal | float | str | None = None
    service_life_years: int | None = None
    grade: str = ""
    floors: int = 1
    capacity: int = 0
    purpose: str = ""
    assessed_on: date | None = None
    assessor: str = ""
    original_cost: Decimal | float | str | None = None
    residual_value: Decimal | float | str | None = None
    last_major_repair_year: int | None = None


def _money(raw: object, field: str) -> Decimal | None:
    if raw in (None, ""):
        return None
    try:
        value = Decimal(str(raw).replace(" ", "").replace(",", ""))
    except InvalidOperation:
        raise ValidationFailed(_("The amount must be a number."), field=field) from None
    if not value.is_finite() or value < 0:
        raise ValidationFailed(_("The amount may not be negative."), field=field)
    return value.quantize(Decimal("1"))


def build_building(spec: BuildingInput, today: date | None = None) -> Building:
    """Check a building and return it unsaved; raise ValidationFailed naming the field."""
    this_year = (today or timezone.localdate()).year
    code = spec.code.strip()
    if not code:
        raise ValidationFailed(_("The building needs a code."), field="code")
    if not spec.name.strip():
        raise ValidationFailed(_("The building needs a name."), field="name")
    for field, year in (("year_built", spec.year_built), ("year_in_service", spec.year_in_service)):
        if not FIRST_YEAR <= year <= this_year:
            raise ValidationFailed(
                _("The year %(year)s is not between %(first)d and %(now)d.")
                % {"year": year, "first": FIRST_YEAR, "now": this_year},
                field=field,
            )
    if spec.year_in_service < spec.year_built:
        raise ValidationFailed(
            _("The year in service (%(service)d) is before the year built (%(built)d).")
            % {"service": spec.year_in_service, "built": spec.year_built},
            field="year_in_service",
        )
    klass = spec.durability
    life = spec.service_life_years or klass.default_years
    if life < klass.min_years or (klass.max_years is not None and life > klass.max_years):
        raise ValidationFailed(
            _("A service life of %(life)d years does not fit %(klass)s.")
            % {"life": life, "klass": klass.name},
            field="service_life_years",
        )
    if spec.grade and spec.grade not in BuildingGrade.values:
        raise ValidationFailed(
            _("Unknown building grade '%(g)s'.") % {"g": spec.grade}, field="grade"
        )
    if spec.floors < 1 or spec.floors > 200:
        raise ValidationFailed(_("The number of floors must be between 1 and 200."), field="floors")
    if spec.capacity < 0:
        raise ValidationFailed(_("The capacity may not be negative."), field="capacity")
    built = area_value(spec.built_area, "built_area")
    floor = (
        area_value(spec.floor_area, "floor_area")
        if spec.floor_area not in (None, "")
        else built * spec.floors
    )
    repair = spec.last_major_repair_year
    if repair is not None and not spec.year_built <= repair <= this_year:
        raise ValidationFailed(
            _("The year of the last major repair must lie between the year built and today."),
            field="last_major_repair_year",
        )
    cost = _money(spec.original_cost, "original_cost")
    residual = _money(spec.residual_value, "residual_value")
    if cost is not None and residual is not None and residual > cost:
        raise ValidationFailed(
            _("The residual value is larger than the original cost."), field="residual_value"
        )
    return Building(
        site=spec.site,
        unit_id=spec.site.unit_id,
        code=code,
        name=spec.name.strip(),
        search_name=fold(f"{code} {spec.name} {spec.purpose}"),
        type=spec.type,
        grade=spec.grade,
        durability=klass,
        floors=spec.floors,
        built_area=built,
        floor_area=floor,
        capacity=spec.capacity,
        purpose=spec.purpose.strip(),
        year_built=spec.year_built,
        year_in_service=spec.year_in_service,
        service_life_years=life,
        end_of_life_year=spec.year_in_service + life,
        condition=spec.condition,
        assessed_on=spec.assessed_on,
        last_major_repair_year=repair,
        original_cost=cost,
        residual_value=residual,
    )


def register_building(scope: Scope, spec: BuildingInput) -> Building:
    """Register one building, raise its warnings and refresh its unit's building summaries."""
    return register_buildings(scope, [spec])[0]


def register_buildings(
    scope: Scope,
    specs: Sequence[BuildingInput],
    *,
    today: date | None = None,
    checked: Sequence[Building] | None = None,
) -> list[Building]:
    """Register many buildings in one transaction (the importer's path): all or none.
    `checked` are the unsaved results of `build_building` for `specs`, when the caller has them."""
    today = today or timezone.localdate()
    for site in {s.site.pk: s.site for s in specs}.values():
        require_site(scope, site)
    buildings = list(checked) if checked is not None else [build_building(s, today) for s in specs]
    codes = [b.code for b in buildings]
    if len(set(codes)) != len(codes):
        raise ValidationFailed(_("The same building code appears twice."), field="code")
    with transaction.atomic():
        taken = set(Building.objects.filter(code__in=codes).values_list("code", flat=True)[:1])
        if taken:
            raise ValidationFailed(
                _("A building with the code %(code)s already exists.") % {"code": taken.pop()},
                field="code",
            )
        Building.objects.bulk_create(buildings, batch_size=2000)
        if buildings and buildings[0].pk is None:  # backends without RETURNING
            ids = dict(Building.objects.filter(code__in=codes).values_list("code", "pk"))
            for b in buildings:
                b.pk = ids[b.code]
        Assessment.objects.bulk_create(
            (
                Assessment(
                    building=b,
                    assessed_on=spec.assessed_on,
                    condition=b.condition,
                    assessor=spec.assessor or scope.username,
                )
                for b, spec in zip(buildings, specs, strict=True)
                if spec.assessed_on is not None
            ),
            batch_size=2000,
        )
        if len(buildings) == 1:
            audit.record(scope, "barracks.building.create", buildings[0], {"code": codes[0]})
        else:
            audit.record(
                scope,
                "barracks.building.import",
                None,
                {"count": len(buildings), "first": codes[0]},
            )
        warnings.check_buildings(scope, buildings, today)
        publish.buildings_changed(scope, _units(buildings), since=today)
    return buildings


def _units(buildings: Iterable[Building]) -> list[int]:
    return sorted({b.unit_id for b in buildings})


def assess(
    scope: Scope,
    building: Building,
    *,
    assessed_on: date,
    condition: ConditionLevel,
    assessor: str,
    danger_level: str = "",
    note: str = "",
) -> Assessment:
    """Record a condition assessment; the latest one is the building's condition."""
    require_site(scope, building.site)
    if assessed_on > timezone.localdate():
        raise ValidationFailed(_("The assessment date is in the future."), field="assessed_on")
    if not assessor.strip():
        raise ValidationFailed(_("Name the assessor."), field="assessor")
    if danger_level and danger_level not in "ABCD":
        raise ValidationFailed(_("The danger level is A, B, C or D."), field="danger_level")
    with transaction.atomic():
        locked = Building.objects.select_for_update().get(pk=building.pk)
        item = Assessment.objects.create(
            building=locked,
            assessed_on=assessed_on,
            condition=condition,
            danger_level=danger_level,
            assessor=assessor.strip(),
            note=note,
        )
        if locked.assessed_on is None or assessed_on >= locked.assessed_on:
            locked.condition = condition
            locked.assessed_on = assessed_on
            locked.save(update_fields=["condition", "assessed_on", "updated_at"])
        audit.record(scope, "barracks.building.assess", locked, {"condition": condition.code})
        warnings.check_buildings(scope, [locked], timezone.localdate())
        publish.buildings_changed(scope, [locked.unit_id], since=assessed_on)
    building.refresh_from_db()
    return item


def record_repair(
    scope: Scope,
    building: Building,
    *,
    completed_on: date,
    description: str,
    cost: Decimal | float | str | None = None,
) -> Repair:
    require_site(scope, building.site)
    if not description.strip():
        raise ValidationFailed(_("Describe the work done."), field="description")
    if completed_on > timezone.localdate() or completed_on.year < building.year_built:
        raise ValidationFailed(
            _("The repair date must lie between the year built and today."), field="completed_on"
        )
    with transaction.atomic():
        repair = Repair.objects.create(
            building=building,
            completed_on=completed_on,
            description=description.strip(),
            cost=_money(cost, "cost"),
        )
        Building.objects.filter(pk=building.pk).update(last_major_repair_year=completed_on.year)
        audit.record(scope, "barracks.building.repair", building, {"year": completed_on.year})
    return repair


def retire(scope: Scope, building: Building, *, retired_on: date, reason: str) -> None:
    """Take a building out of use (demolished, handed over): it leaves the summaries."""
    require_site(scope, building.site)
    if not reason.strip():
        raise ValidationFailed(_("Give the reason."), field="reason")
    with transaction.atomic():
        updated = Building.objects.filter(pk=building.pk, retired_on__isnull=True).update(
            retired_on=retired_on
        )
        if not updated:
            raise ValidationFailed(_("The building is already out of use."))
        building.retired_on = retired_on
        audit.record(scope, "barracks.building.retire", building, {"reason": reason.strip()})
        warnings.check_buildings(scope, [building], timezone.localdate())
        publish.buildings_changed(scope, [building.unit_id], since=retired_on)
