"""The petroleum catalog and plans: products, depots and tanks, quotas, reserves, equipment,
activity (km and hours run) with its Excel import."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from io import BytesIO

from django.db import transaction
from django.utils.translation import gettext as _

from haucan.audit import services as audit
from haucan.core.errors import NotFound, PermissionDenied, ValidationFailed
from haucan.core.periods import PeriodError, PeriodType, parse_period
from haucan.core.scope import Action, Domain, Scope
from haucan.inventory.models import Item, Location
from haucan.org.models import Unit
from haucan.petroleum.models import (
    DOMAIN,
    Activity,
    Equipment,
    EquipmentType,
    LocationKind,
    Product,
    ProductGroup,
    Quota,
    Reserve,
    Tank,
)


def _need(scope: Scope, action: Action) -> None:
    if not scope.can(action, Domain.PETROLEUM):
        raise PermissionDenied(_("You may not change the petroleum catalog."))


def _in_scope(scope: Scope, unit: Unit) -> None:
    if not scope.covers_path(unit.path):
        raise NotFound(_("Unit not found."))


def create_product(
    scope: Scope,
    *,
    code: str,
    name: str,
    group: ProductGroup,
    grade: str,
    uom: str,
    density15: Decimal,
    corrects_volume: bool = True,
) -> Product:
    _need(scope, Action.DESIGN)
    with transaction.atomic():
        item = Item.objects.create(domain=DOMAIN, code=code, name=name, uom=uom)
        product = Product.objects.create(
            item=item,
            group=group,
            grade=grade,
            density15=density15,
            corrects_volume=corrects_volume,
        )
        audit.record(scope, "petroleum.product.create", product, {"code": code})
    return product


def create_location(
    scope: Scope,
    *,
    unit: Unit,
    code: str,
    name: str,
    kind: str = LocationKind.DEPOT,
    parent: Location | None = None,
    capacity: Decimal | None = None,
    product: Product | None = None,
    allow_negative: bool = False,
) -> Location:
    """A depot, sub-depot, tank (with its capacity and product) or unit fuel point."""
    _need(scope, Action.ENTER)
    _in_scope(scope, unit)
    if kind == LocationKind.TANK and (capacity is None or capacity <= 0):
        raise ValidationFailed(_("A tank needs a capacity greater than zero."), field="capacity")
    with transaction.atomic():
        location = Location.objects.create(
            domain=DOMAIN,
            unit=unit,
            parent=parent,
            code=code,
            name=name,
            kind=kind,
            allow_negative=allow_negative,
        )
        if kind == LocationKind.TANK:
            assert capacity is not None
            Tank.objects.create(location=location, capacity=capacity, product=product)
        audit.record(scope, "petroleum.location.create", location, {"code": code, "kind": kind})
    return location


def set_quota(
    scope: Scope, *, year: int, unit: Unit, group: ProductGroup, channel: str, quantity: Decimal
) -> Quota:
    _need(scope, Action.DESIGN)
    _in_scope(scope, unit)
    if quantity < 0:
        raise ValidationFailed(_("The quota cannot be negative."), field="quantity")
    with transaction.atomic():
        quota, _created = Quota.objects.update_or_create(
            year=year, unit=unit, group=group, channel=channel, defaults={"quantity": quantity}
        )
        audit.record(scope, "petroleum.quota.set", quota, {"quantity": quantity})
    return quota


def set_reserve(scope: Scope, *, unit: Unit, group: ProductGroup, quantity: Decimal) -> Reserve:
    _need(scope, Action.DESIGN)
    _in_scope(scope, unit)
    with transaction.atomic():
        reserve, _created = Reserve.objects.update_or_create(
            unit=unit, group=group, defaults={"quantity": quantity}
        )
        audit.record(scope, "petroleum.reserve.set", reserve, {"quantity": quantity})
    return reserve


def set_equipment(
    scope: Scope, *, unit: Unit, equipment_type: EquipmentType, quantity: int
) -> Equipment:
    _need(scope, Action.ENTER)
    _in_scope(scope, unit)
    with transaction.atomic():
        held, _created = Equipment.objects.update_or_create(
            unit=unit, equipment_type=equipment_type, defaults={"quantity": quantity}
        )
        audit.record(scope, "petroleum.equipment.set", held, {"quantity": quantity})
    return held


@dataclass(frozen=True)
class ActivityInput:
    equipment_type: EquipmentType
    period: str
    km: Decimal
    hours: Decimal
    actual_fuel: Decimal


def record_activities(scope: Scope, unit: Unit, rows: Sequence[ActivityInput]) -> int:
    """Save the km and hours run and the fuel consumed per equipment type and month, then
    republish the unit's equipment report. All rows or none."""
    from haucan.petroleum import reports

    _need(scope, Action.ENTER)
    _in_scope(scope, unit)
    periods = set()
    with transaction.atomic():
        for row in rows:
            Activity.objects.update_or_create(
                unit=unit,
                equipment_type=row.equipment_type,
                period=row.period,
                defaults={"km": row.km, "hours": row.hours, "actual_fuel": row.actual_fuel},
            )
            periods.add(row.period)
        audit.record(scope, "petroleum.activity.record", unit, {"rows": len(rows)})
        from haucan.petroleum.services.notes import history_reason

        for period_id in sorted(periods):
            day = parse_period(period_id).start
            reports.refresh(
                unit, day, forms=[reports.EQUIPMENT], until=day, override_reason=history_reason()
            )
    return len(rows)


IMPORT_HEADER = ["Mã loại phương tiện", "Kỳ (YYYYMM)", "Số km", "Số giờ máy", "Nhiên liệu (lít)"]


def import_activities(scope: Scope, unit: Unit, content: bytes) -> int:
    """Read an Excel sheet with IMPORT_HEADER and record its rows; an error names the cell."""
    from openpyxl import load_workbook

    try:
        sheet = load_workbook(BytesIO(content), read_only=True, data_only=True).active
    except Exception:
        raise ValidationFailed(_("The file is not an Excel workbook (.xlsx).")) from None
    if sheet is None:
        raise ValidationFailed(_("The workbook has no sheet."))
    types = {t.code: t for t in EquipmentType.objects.all()}
    rows: list[ActivityInput] = []
    for r, values in enumerate(sheet.iter_rows(min_row=2, values_only=True), start=2):
        if not values or all(v in (None, "") for v in values):
            continue
        code, period_text, *numbers = (list(values) + [None] * 5)[:5]
        equipment_type = types.get(str(code or "").strip())
        if equipment_type is None:
            raise ValidationFailed(
                _("Row %(row)s, column A: unknown equipment type '%(code)s'.")
                % {"row": r, "code": code or ""}
            )
        try:
            period = parse_period(str(period_text or "").strip())
            if period.type != PeriodType.MONTHLY:
                raise PeriodError("monthly")
        except PeriodError:
            raise ValidationFailed(
                _("Row %(row)s, column B: '%(value)s' is not a month (YYYYMM).")
                % {"row": r, "value": period_text or ""}
            ) from None
        parsed = []
        for column, value in zip("CDE", numbers, strict=True):
            try:
                number = Decimal(str(value if value not in (None, "") else 0).replace(",", "."))
            except InvalidOperation:
                number = Decimal(-1)
            if number < 0:
                raise ValidationFailed(
                    _("Row %(row)s, column %(column)s: '%(value)s' is not a number ≥ 0.")
                    % {"row": r, "column": column, "value": value}
                )
            parsed.append(number)
        rows.append(ActivityInput(equipment_type, period.id, parsed[0], parsed[1], parsed[2]))
    if not rows:
        raise ValidationFailed(_("The sheet has no rows."))
    return record_activities(scope, unit, rows)
