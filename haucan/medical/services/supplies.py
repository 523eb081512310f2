"""Medical supplies on the shared stock ledger (haucan.inventory, domain "medical").

Each facility has one pharmacy store (a Location of its unit). Receipts bring lots with their
expiry; issues to departments are issue notes with the department in the note's meta; counts use
the engine's physical counts. The warnings follow OpenLMIS (reference/dhis2.md §5):

- average monthly consumption P = mean of the issues of the last AVERAGE_MONTHS whole months;
- maximum stock H = P × max_periods, minimum = P × min_periods;
- suggested order quantity = max(0, H − E), E the stock on hand;
- stockout (E ≤ 0, critical), below minimum (E < P × min_periods), near expiry (a lot with stock
  that expires within NEAR_EXPIRY_DAYS, or already expired).

Each is an alert for the facility's unit keyed by item (and lot), raised and cleared after every
posting, so the inbox always shows the current state.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from haucan.alerts.models import Severity
from haucan.alerts.services import clear_event, raise_event
from haucan.audit import services as audit
from haucan.core.errors import NotFound, PermissionDenied, ValidationFailed
from haucan.core.scope import Action, Domain, Scope
from haucan.inventory import queries as stock
from haucan.inventory.models import Balance, DocType, Item, Line, Location, Lot
from haucan.inventory.services import DocumentSpec, LineSpec, PostResult, post_document
from haucan.medical.models import Department, Facility, SupplyGroup, SupplyItem

DOMAIN = "medical"
AVERAGE_MONTHS = 3
NEAR_EXPIRY_DAYS = 90
ZERO = Decimal(0)

STOCKOUT = "medical.stockout"
BELOW_MIN = "medical.below_minimum"
NEAR_EXPIRY = "medical.near_expiry"


def _require_enter(scope: Scope, facility: Facility) -> None:
    if not scope.covers_path(facility.unit.path):
        raise NotFound(_("Facility not found."))
    if not scope.can(Action.ENTER, Domain.MEDICAL):
        raise PermissionDenied(_("You may not change medical data."))


def register_item(
    scope: Scope,
    *,
    code: str,
    name: str,
    uom: str,
    group: str,
    unit_price: Decimal = ZERO,
    min_periods: Decimal = Decimal(1),
    max_periods: Decimal = Decimal(3),
    key_medicine: bool = False,
) -> SupplyItem:
    """A medicine or supply of the army-wide list (the medical department designs it)."""
    if not scope.can(Action.DESIGN, Domain.MEDICAL):
        raise PermissionDenied(_("Only the medical department may change the supply list."))
    if group not in SupplyGroup.values:
        raise ValidationFailed(_("Unknown supply group."), field="group")
    if unit_price < 0 or min_periods < 0 or max_periods < min_periods:
        raise ValidationFailed(
            _("Price and stock levels cannot be negative; the maximum is at least the minimum."),
            field="max_periods",
        )
    with transaction.atomic():
        item, _created = Item.objects.update_or_create(
            domain=DOMAIN,
            code=code.strip().upper(),
            defaults={"name": name.strip(), "uom": uom.strip(), "tracks_lots": True},
        )
        supply, _c = SupplyItem.objects.update_or_create(
            item=item,
            defaults={
                "group": group,
                "unit_price": unit_price,
                "min_periods": min_periods,
                "max_periods": max_periods,
                "key_medicine": key_medicine,
            },
        )
        audit.record(scope, "medical.supply_item", item, {"code": item.code, "group": group})
    return supply


def pharmacy(facility: Facility) -> Location:
    """The facility's pharmacy store (created on first use)."""
    location, _created = Location.objects.get_or_create(
        domain=DOMAIN,
        code=f"{facility.unit.code}-KHO-DUOC",
        defaults={"unit": facility.unit, "name": _("Pharmacy store"), "kind": "pharmacy"},
    )
    return location


@dataclass(frozen=True)
class ReceiptLine:
    item: Item
    quantity: Decimal
    lot: str
    expiry: date


@dataclass(frozen=True)
class IssueLine:
    item: Item
    quantity: Decimal
    lot: Lot | None = None  # None: the lot that expires first (FEFO)


def receive(
    scope: Scope,
    facility: Facility,
    day: date,
    lines: Sequence[ReceiptLine],
    *,
    supplier: str = "",
    number: str = "",
    publish: bool = True,
) -> PostResult:
    _require_enter(scope, facility)
    if not lines:
        raise ValidationFailed(_("A receipt needs at least one line."), field="lines")
    with transaction.atomic():
        specs = []
        for i, line in enumerate(lines, start=1):
            if line.quantity <= 0:
                raise ValidationFailed(
                    _("Line %(n)s: the quantity must be positive.") % {"n": i}, field="quantity"
                )
            if not line.lot.strip():
                raise ValidationFailed(
                    _("Line %(n)s: the lot number is required.") % {"n": i}, field="lot"
                )
            lot, created = Lot.objects.get_or_create(
                item=line.item, code=line.lot.strip(), defaults={"expiry": line.expiry}
            )
            if not created and lot.expiry != line.expiry:
                raise ValidationFailed(
                    _("Line %(n)s: lot %(lot)s is on record with another expiry date.")
                    % {"n": i, "lot": lot.code},
                    field="expiry",
                )
            specs.append(LineSpec(item=line.item, quantity=line.quantity, lot=lot))
        result = post_document(
            scope,
            DocumentSpec(
                domain=DOMAIN,
                doc_type=DocType.RECEIPT,
                unit=facility.unit,
                date=day,
                location=pharmacy(facility),
                lines=specs,
                counterparty=supplier,
                number=number,
            ),
        )
        check_warnings(scope, facility, [s.item for s in specs])
        if publish:
            publish_medicines(scope, facility, day)
    return result


def _fefo(location: Location, item: Item, quantity: Decimal) -> list[tuple[Lot, Decimal]]:
    """Split an issue over the lots with stock, the earliest expiry first."""
    rows = (
        Balance.objects.filter(location=location, item=item, quantity__gt=0)
        .select_related("lot")
        .order_by("lot__expiry", "lot__code")
    )
    out, left = [], quantity
    for balance in rows:
        if left <= 0:
            break
        take = min(left, balance.quantity)
        if balance.lot is not None:
            out.append((balance.lot, take))
            left -= take
    if left > 0:
        raise ValidationFailed(
            _("Not enough %(item)s in stock: %(missing)s %(uom)s missing.")
            % {"item": item.name, "missing": f"{left.normalize():f}", "uom": item.uom},
            field="quantity",
        )
    return out


def issue_to_department(
    scope: Scope,
    facility: Facility,
    department: Department,
    day: date,
    lines: Sequence[IssueLine],
    *,
    publish: bool = True,
) -> PostResult:
    _require_enter(scope, facility)
    if department.facility_id != facility.pk:
        raise NotFound(_("Department not found."))
    if not lines:
        raise ValidationFailed(_("An issue needs at least one line."), field="lines")
    store = pharmacy(facility)
    with transaction.atomic():
        specs = []
        for i, line in enumerate(lines, start=1):
            if line.quantity <= 0:
                raise ValidationFailed(
                    _("Line %(n)s: the quantity must be positive.") % {"n": i}, field="quantity"
                )
            if line.lot is not None:
                specs.append(LineSpec(item=line.item, quantity=line.quantity, lot=line.lot))
            else:
                for lot, qty in _fefo(store, line.item, line.quantity):
                    specs.append(LineSpec(item=line.item, quantity=qty, lot=lot))
        result = post_document(
            scope,
            DocumentSpec(
                domain=DOMAIN,
                doc_type=DocType.ISSUE,
                unit=facility.unit,
                date=day,
                location=store,
                lines=specs,
                counterparty=department.name,
                meta={"department": department.code},
            ),
        )
        check_warnings(scope, facility, [s.item for s in specs])
        if publish:
            publish_medicines(scope, facility, day)
    return result


@dataclass
class SupplyStatus:
    supply: SupplyItem
    on_hand: Decimal
    average_monthly: Decimal  # P
    near_expiry: list[tuple[Lot, Decimal]]

    @property
    def item(self) -> Item:
        return self.supply.item

    @property
    def minimum(self) -> Decimal:
        return self.average_monthly * self.supply.min_periods

    @property
    def maximum(self) -> Decimal:
        return self.average_monthly * self.supply.max_periods

    @property
    def order_quantity(self) -> Decimal:
        return max(ZERO, self.maximum - self.on_hand)

    @property
    def days_of_stock(self) -> Decimal | None:
        daily = self.average_monthly / 30
        return (self.on_hand / daily).quantize(Decimal("0.1")) if daily > 0 else None

    @property
    def stockout(self) -> bool:
        return self.on_hand <= 0

    @property
    def below_minimum(self) -> bool:
        return not self.stockout and self.on_hand < self.minimum


def _month_start(day: date, back: int) -> date:
    y, m = day.year, day.month - back
    while m <= 0:
        y, m = y - 1, m + 12
    return date(y, m, 1)


def supply_status(
    facility: Facility,
    today: date | None = None,
    items: Sequence[Item] | None = None,
    *,
    key_only: bool = False,
) -> list[SupplyStatus]:
    """Stock, consumption and expiring lots of the facility's supplies (four queries)."""
    today = today or timezone.localdate()
    supplies = SupplyItem.objects.select_related("item").filter(item__domain=DOMAIN)
    if items is not None:
        supplies = supplies.filter(item__in=items)
    if key_only:
        supplies = supplies.filter(key_medicine=True)
    supplies_list = list(supplies.order_by("item__code"))
    ids = [s.item_id for s in supplies_list]
    on_hand = dict(
        Balance.objects.filter(
            location__unit=facility.unit, location__domain=DOMAIN, item_id__in=ids
        )
        .values_list("item_id")
        .annotate(q=Sum("quantity"))
        .values_list("item_id", "q")
    )
    start, end = _month_start(today, AVERAGE_MONTHS), _month_start(today, 0) - timedelta(days=1)
    used = dict(
        Line.objects.filter(
            domain=DOMAIN,
            unit=facility.unit,
            item_id__in=ids,
            doc_type__in=stock.ISSUE_TYPES,
            date__gte=start,
            date__lte=end,
        )
        .values_list("item_id")
        .annotate(q=Sum("quantity"))
        .values_list("item_id", "q")
    )
    horizon = today + timedelta(days=NEAR_EXPIRY_DAYS)
    expiring: dict[int, list[tuple[Lot, Decimal]]] = defaultdict(list)
    for balance in (
        Balance.objects.filter(
            location__unit=facility.unit,
            location__domain=DOMAIN,
            item_id__in=ids,
            quantity__gt=0,
            lot__expiry__lte=horizon,
        )
        .select_related("lot")
        .order_by("lot__expiry")
    ):
        assert balance.lot is not None
        expiring[balance.item_id].append((balance.lot, balance.quantity))
    return [
        SupplyStatus(
            s,
            on_hand.get(s.item_id) or ZERO,
            (-(used.get(s.item_id) or ZERO) / AVERAGE_MONTHS).quantize(Decimal("0.001")),
            expiring.get(s.item_id, []),
        )
        for s in supplies_list
    ]


def _q(value: Decimal) -> str:
    return f"{value.normalize():f}"


def check_warnings(
    scope: Scope, facility: Facility, items: Sequence[Item] | None = None, today: date | None = None
) -> list[SupplyStatus]:
    """Raise or clear the stockout, below-minimum and near-expiry alerts of the items."""
    today = today or timezone.localdate()
    statuses = supply_status(facility, today, items)
    unit = facility.unit
    for s in statuses:
        key = f"item:{s.item.code}"
        params = {"item": s.item.name, "unit": unit.name, "uom": s.item.uom}
        values = {
            "on_hand": float(s.on_hand),
            "average_monthly": float(s.average_monthly),
            "order_quantity": float(s.order_quantity),
        }
        if s.stockout:
            raise_event(
                scope,
                code=STOCKOUT,
                domain=Domain.MEDICAL,
                unit=unit,
                severity=Severity.CRITICAL,
                message=gettext_lazy(
                    "Stockout of %(item)s at %(unit)s; suggested order %(order)s %(uom)s."
                ),
                params={**params, "order": _q(s.order_quantity)},
                values=values,
                key=key,
            )
        else:
            clear_event(scope, code=STOCKOUT, unit=unit, key=key)
        if s.below_minimum:
            raise_event(
                scope,
                code=BELOW_MIN,
                domain=Domain.MEDICAL,
                unit=unit,
                severity=Severity.WARNING,
                message=gettext_lazy(
                    "%(item)s at %(unit)s is below the minimum stock (%(on_hand)s of %(min)s "
                    "%(uom)s); suggested order %(order)s %(uom)s."
                ),
                params={
                    **params,
                    "on_hand": _q(s.on_hand),
                    "min": _q(s.minimum.quantize(Decimal("1"))),
                    "order": _q(s.order_quantity.quantize(Decimal("1"))),
                },
                values=values,
                key=key,
            )
        else:
            clear_event(scope, code=BELOW_MIN, unit=unit, key=key)
        expiring_keys = set()
        for lot, qty in s.near_expiry:
            lot_key = f"{key}:lot:{lot.code}"
            expiring_keys.add(lot_key)
            assert lot.expiry is not None
            raise_event(
                scope,
                code=NEAR_EXPIRY,
                domain=Domain.MEDICAL,
                unit=unit,
                severity=Severity.CRITICAL if lot.expiry < today else Severity.WARNING,
                message=gettext_lazy(
                    "Lot %(lot)s of %(item)s at %(unit)s (%(qty)s %(uom)s) expires on %(day)s."
                ),
                params={
                    **params,
                    "lot": lot.code,
                    "qty": _q(qty),
                    "day": lot.expiry.strftime("%d/%m/%Y"),
                },
                values={"quantity": float(qty), "expiry": lot.expiry.isoformat()},
                key=lot_key,
            )
        from haucan.alerts.models import Alert, AlertStatus

        for stale in (
            Alert.objects.filter(code=NEAR_EXPIRY, unit=unit, key__startswith=f"{key}:lot:")
            .exclude(status=AlertStatus.RESOLVED)
            .exclude(key__in=expiring_keys)
            .values_list("key", flat=True)
        ):
            clear_event(scope, code=NEAR_EXPIRY, unit=unit, key=stale)
    return statuses


MEDICINES_FORM = "QY_THUOC_VTYT_QUY"


def medicines_values(
    scope: Scope, facility: Facility, start: date, end: date
) -> dict[tuple[str, str | None], float | int | None]:
    """The quarterly medicines report (values in thousand đồng by group) from the ledger:
    opening, receipts, issues, expired or damaged write-offs and closing, and the number of
    items that closed below their minimum stock (average monthly issue of the quarter × the
    minimum months)."""
    supplies_by_item = {
        s.item_id: s for s in SupplyItem.objects.filter(item__domain=DOMAIN).select_related("item")
    }
    moves = stock.period_movements(
        scope, domain=DOMAIN, start=start, end=end, unit=facility.unit, by=("item",)
    )
    totals: dict[str, dict[str, Decimal]] = {
        g: defaultdict(lambda: ZERO) for g in SupplyGroup.values
    }
    short = 0
    months = Decimal(max(1, round(((end - start).days + 1) / 30)))
    for (item_id,), m in moves.items():
        supply = supplies_by_item.get(item_id)  # type: ignore[call-overload]
        if supply is None:
            continue
        price, group = supply.unit_price, totals[supply.group]
        group["TVT_TON_DAU"] += m.opening * price
        group["TVT_NHAP"] += m.receipts * price
        group["TVT_XUAT"] += m.issues * price
        group["TVT_HET_HAN"] += (m.outflow(DocType.WRITE_OFF) + m.outflow(DocType.LOSS)) * price
        group["TVT_TON_CUOI"] += m.closing * price
        if m.closing < m.issues / months * supply.min_periods or m.closing <= 0:
            short += 1
    values: dict[tuple[str, str | None], float | int | None] = {}
    for group_code, figures in totals.items():
        for element in ("TVT_TON_DAU", "TVT_NHAP", "TVT_XUAT", "TVT_HET_HAN", "TVT_TON_CUOI"):
            values[(element, group_code)] = int(figures[element].quantize(Decimal("1")))
    values[("TVT_MAT_HANG_THIEU", None)] = short
    return values


def publish_medicines(scope: Scope, facility: Facility, day: date) -> None:
    """Publish the quarter of `day` (and the quarters after it, whose opening it changes)."""
    from haucan.catalog.models import DataSet
    from haucan.core.errors import Conflict
    from haucan.core.periods import PeriodType, periods_between
    from haucan.reporting.services.sources import publish_source_values

    if not facility.publishes_reports:
        return
    form = DataSet.objects.filter(code=MEDICINES_FORM, units=facility.unit_id).first()
    if form is None:
        return
    today = timezone.localdate()
    for quarter in periods_between(day, today, PeriodType.QUARTERLY):
        values = medicines_values(scope, facility, quarter.start, min(quarter.end, today))
        try:
            with transaction.atomic():
                publish_source_values(
                    scope,
                    source="medical",
                    data_set=form,
                    unit=facility.unit,
                    period_id=quarter.id,
                    values=values,
                )
        except Conflict:  # an approved or locked quarter keeps its values
            continue
